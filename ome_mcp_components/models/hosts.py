"""What a host (a permission profile's ``allowHost`` entry, or a URL's host) points at.

NetworkPolicy cannot name hosts, so each host is sorted into what *can* be selected:

========================  ==========================================  ===================
host                      kind                                        selected by
========================  ==========================================  ===================
``10.0.0.0/8``, ``::1``   ``cidr`` (normalized, host bits cleared)    ``ipBlock``
``kubernetes``,           ``api-server``: the Kubernetes API server,  Cilium entity
``kubernetes.default``,   whose endpoints are no pods (no             ``kube-apiserver``
``kubernetes.default.svc  podSelector reaches them) and whose
[.cluster.local]``        address is unknown when rendering
``db.data.svc``,          ``service``: a Service in namespace         ``namespaceSelector``
``db.data.svc.cluster.    ``data`` (``*.svc``, ``*.cluster.local``:   (the namespace's
local``, ``*.data.svc``   every namespace; a one-label name such as   pods)
                          ``db``: the server's own namespace, as the
                          pod's DNS search path resolves it)
``localhost``             ``loopback``: never leaves the pod          nothing needed
``api.example.com``,      ``external``: a name outside the cluster    Cilium ``toFQDNs``
``*.example.com``
========================  ==========================================  ===================

In-cluster names are matched by suffix (``.svc``, ``.svc.cluster.local``,
``.cluster.local``): a cluster whose DNS domain is not ``cluster.local`` should spell
Services as ``<service>.<namespace>.svc``. A Service is selected by its namespace, not its
pods, because its pod selector is not known here; and since traffic to a Service reaches
its pods after address translation, ports that apply to it are the *pods'* ports.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from ome_mcp_components.vocabulary import defaults

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
HostKind = Literal["cidr", "api-server", "service", "loopback", "external"]

#: The cloud metadata networks; no rule may ever reach them.
METADATA_NETWORKS: tuple[Network, ...] = (
    ipaddress.ip_network(defaults.METADATA_CIDR),
    ipaddress.ip_network(defaults.METADATA_CIDR_V6),
)
#: The names of the Kubernetes API server's Service as pods resolve them.
API_SERVER_NAMES = frozenset(
    {
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    }
)
#: Names that never leave the pod.
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
#: The cluster DNS domain assumed for ``<name>.cluster.local`` names (Kubernetes' default).
CLUSTER_DOMAIN = "cluster.local"
#: The kinds of destination plain NetworkPolicy cannot select, only Cilium can
#: (``toFQDNs``, the ``kube-apiserver`` entity): without Cilium a server cannot reach them.
CILIUM_ONLY_KINDS: frozenset[HostKind] = frozenset({"api-server", "external"})

# A host name, or a pattern with ``*`` wildcards (Cilium's matchName/matchPattern syntax).
_NAME = re.compile(r"^([-a-zA-Z0-9_*]+\.?)+$")
_NUMERIC = re.compile(r"^[0-9.]+$")
_DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class Destination:
    """One host, classified: what kind of destination it is and how to select it."""

    host: str
    kind: HostKind
    #: The normalized network (kind ``cidr``).
    cidr: str | None = None
    #: The namespace of a Service (kind ``service``); None means every namespace.
    namespace: str | None = None


@functools.lru_cache(maxsize=4096)
def as_network(host: str) -> Network | None:
    """``host`` as an IP network when it is an IP address or a CIDR, else None.

    Cached: every server's profile, egress rules and NetworkPolicies parse the same
    entries again (about 10 parses per server, 9% of the pure render path); the result is
    immutable and stacks share hosts."""
    try:
        return ipaddress.ip_network(host, strict=False)
    except ValueError:
        return None


def is_metadata(network: Network) -> bool:
    """True when ``network`` lies entirely within a cloud metadata network."""
    return any(
        network.version == meta.version and network.subnet_of(meta)  # type: ignore[arg-type]
        for meta in METADATA_NETWORKS
    )


def metadata_inside(network: Network) -> list[str]:
    """The metadata networks ``network`` contains (to list in an ``ipBlock``'s ``except``)."""
    return [
        str(meta)
        for meta in METADATA_NETWORKS
        if meta.version == network.version
        and meta != network
        and meta.subnet_of(network)  # type: ignore[arg-type]
    ]


def check_allow_host(host: str) -> str:
    """Validate one ``allowHost`` entry (an IP, a CIDR, a host name or a pattern).

    Raises ``ValueError`` naming the entry and the rule; returns it unchanged.
    """
    network = as_network(host)
    if network is not None:
        if is_metadata(network):
            raise ValueError(
                f"{host!r} is the cloud metadata address, which is never reachable"
            )
        return host
    if len(host) > 253 or _NUMERIC.match(host) or not _NAME.match(host):
        raise ValueError(
            f"{host!r} is not an IP address, a CIDR or a host name (letters, digits, "
            "'-', '_' and '.', with '*' as wildcard; no scheme, port or path)"
        )
    return host


@functools.lru_cache(maxsize=4096)
def classify(host: str, namespace: str) -> Destination:
    """Classify ``host`` as seen from a pod in ``namespace`` (see the module docstring).

    Cached: a ``Destination`` is immutable, and a stack's servers share their hosts."""
    network = as_network(host)
    if network is not None:
        return Destination(host, "cidr", cidr=str(network))
    name = host.lower().rstrip(".")
    if name in LOOPBACK_NAMES:
        return Destination(host, "loopback")
    if name in API_SERVER_NAMES:
        return Destination(host, "api-server")
    if "." not in name and "*" not in name:
        return Destination(host, "service", namespace=namespace)
    if name.endswith("." + CLUSTER_DOMAIN):
        name = name.removesuffix("." + CLUSTER_DOMAIN)
        if not name.endswith(".svc"):
            return Destination(host, "service", namespace=None)
    if name.endswith(".svc"):
        service_namespace = name.removesuffix(".svc").rsplit(".", 1)[-1]
        in_all = "*" in service_namespace
        return Destination(host, "service", namespace=None if in_all else service_namespace)
    return Destination(host, "external")


def url_endpoint(url: str) -> tuple[str, int] | None:
    """The host and TCP port an ``http(s)`` URL connects to, or None if it has neither."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.hostname, port
