"""Where each side's pods may connect to: the *what*, before NetworkPolicy or Cilium says *how*.

``server_egress`` reads the permission profile (semantics in ``profiles``);
``gateway_egress`` collects what the gateway needs. Each takes the server's shape and
the one setting it depends on, so that the layout can ask before the others are known
(``builders.cilium``). Both return ``Target``s of two sets:

* ``world``, ``cidr``, ``service``, ``backend``: NetworkPolicy can select these
  (``builders.network_policy``);
* ``fqdn`` and ``api-server``: only Cilium can (``builders.cilium``), so they appear only
  when ``network_enforcement="cilium"``.

What has no rule without Cilium is decided here, differently per side:

* the **server** runs untrusted code: a host name or the API server that NetworkPolicy
  cannot select is *not reachable* (fail closed), and listed in ``unenforced`` so that
  the component warns;
* the **gateway** is our pinned proxy and must reach the token issuer, its JWKS and
  introspection endpoints, a Remote server's URL, an OTLP collector if one is configured
  and (for stdio attach and Kubernetes token validation) the API server. Without
  Cilium, such a host name can only be allowed as *its TCP port on every address but
  the metadata address* (the API server as TCP 443 and 6443): broader than one host,
  accepted for the gateway alone because the gateway connects only to the URLs in its
  own config. With Cilium it is exact (``toFQDNs``,
  ``kube-apiserver``).

A URL host that is an in-cluster Service is allowed to its namespace's pods on every
port: a Service's port is translated to its pods' port before policy applies, and that
port is not known here. The metadata address is never a target.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ome_mcp_components.models import PermissionProfileSpec, hosts
from ome_mcp_components.plan import profiles
from ome_mcp_components.plan.context import OIDCSettings, ServerShape
from ome_mcp_components.vocabulary import defaults

TargetKind = Literal["world", "cidr", "service", "backend", "fqdn", "api-server"]
#: The target kinds only Cilium can enforce.
CILIUM_KINDS: frozenset[TargetKind] = frozenset({"fqdn", "api-server"})


@dataclass(frozen=True)
class Target:
    """One destination of egress and the TCP ports allowed to it."""

    kind: TargetKind
    #: TCP ports, sorted; empty means every port (and protocol).
    ports: tuple[int, ...] = ()
    #: The CIDR (``cidr``), namespace (``service``; None: every namespace), or host name or
    #: pattern (``fqdn``); None for ``world``, ``backend`` and ``api-server``.
    value: str | None = None


@dataclass(frozen=True)
class Egress:
    """The egress of one side: DNS or not, and the targets."""

    dns: bool = False
    targets: tuple[Target, ...] = ()

    @property
    def network_policy_targets(self) -> list[Target]:
        """The targets a Kubernetes NetworkPolicy renders."""
        return [t for t in self.targets if t.kind not in CILIUM_KINDS]

    @property
    def cilium_targets(self) -> list[Target]:
        """The targets only a CiliumNetworkPolicy can render."""
        return [t for t in self.targets if t.kind in CILIUM_KINDS]


def _ports(ports: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted(set(ports)))


def _cidr_target(cidr: str | None, ports: tuple[int, ...]) -> Target | None:
    network = hosts.as_network(cidr or "")
    if network is None or hosts.is_metadata(network):
        return None  # never the metadata address, whatever a profile or URL says
    return Target("cidr", ports, str(network))


def server_egress(shape: ServerShape, profile: PermissionProfileSpec) -> Egress:
    """The server pods' egress: exactly what the permission profile grants."""
    if not profiles.allows_network(profile):
        return Egress()
    if profiles.allows_all(profile):
        return Egress(dns=True, targets=(Target("world"),))
    assert profile.outbound is not None  # allows_network
    ports = _ports(profile.outbound.allow_port)
    if not profile.outbound.allow_host:
        return Egress(dns=True, targets=(Target("world", ports),))
    cilium = shape.network_enforcement == "cilium"
    targets: list[Target] = []
    for dest in profiles.destinations(profile, shape.namespace):
        target = _server_target(dest, ports, cilium)
        if target is not None and target not in targets:
            targets.append(target)
    return Egress(dns=True, targets=tuple(targets))


def cilium_only_hosts(profile: PermissionProfileSpec, namespace: str) -> list[str]:
    """The profile's ``allowHost`` entries that only Cilium can allow (the API server's
    names, names outside the cluster), in the profile's order; none when the profile
    grants no egress, or all of it (``insecureAllowAll``). The policy pack asks the same
    of a server's inputs."""
    if not profiles.allows_network(profile) or profiles.allows_all(profile):
        return []
    return [dest.host for dest in profiles.destinations(profile, namespace)
            if dest.kind in hosts.CILIUM_ONLY_KINDS]


def unenforced_hosts(shape: ServerShape, profile: PermissionProfileSpec) -> list[str]:
    """Host names of the server's profile that no rule enforces (so stay unreachable):
    its Cilium-only hosts, unless Cilium enforces them."""
    if not shape.hosted or shape.network_enforcement == "cilium":
        return []
    return cilium_only_hosts(profile, shape.namespace)


def _server_target(
    dest: hosts.Destination, ports: tuple[int, ...], cilium: bool
) -> Target | None:
    if dest.kind == "cidr":
        return _cidr_target(dest.cidr, ports)
    if dest.kind == "service":
        return Target("service", ports, dest.namespace)
    if dest.kind == "external" and cilium:
        return Target("fqdn", ports, dest.host)
    if dest.kind == "api-server" and cilium:
        return Target("api-server", ports)
    return None  # loopback needs no rule; the rest cannot be enforced without Cilium


def gateway_urls(shape: ServerShape, oidc: OIDCSettings | None) -> list[str]:
    """The URLs the gateway connects to: token issuer, JWKS, introspection, Remote URL,
    OTLP collector."""
    urls: list[str] = []
    if oidc is not None:
        candidates = (oidc.issuer, oidc.jwks_url, oidc.introspection_url)
        urls.extend(url for url in candidates if url)
    if not shape.hosted and shape.spec.url:
        urls.append(shape.spec.url)
    if shape.telemetry.otlp is not None:
        urls.append(shape.telemetry.otlp.url)
    return urls


def needs_api_server(shape: ServerShape, oidc: OIDCSettings | None) -> bool:
    """The gateway talks to the API server: stdio attach, or Kubernetes token validation."""
    stdio = shape.hosted and not shape.spec.is_http
    cluster_auth = oidc is not None and oidc.use_cluster_auth
    return stdio or cluster_auth or any(
        hosts.classify(host, shape.namespace).kind == "api-server"
        for host, _ in _endpoints(shape, oidc)
    )


def _endpoints(shape: ServerShape, oidc: OIDCSettings | None) -> list[tuple[str, int]]:
    found = (hosts.url_endpoint(url) for url in gateway_urls(shape, oidc))
    return [endpoint for endpoint in found if endpoint is not None]


def gateway_egress(shape: ServerShape, oidc: OIDCSettings | None) -> Egress:
    """The gateway pods' egress: DNS, the backend pods, the API server and its URLs."""
    cilium = shape.network_enforcement == "cilium"
    targets: list[Target] = []
    if shape.hosted and shape.spec.is_http:
        targets.append(Target("backend", (shape.spec.resolved_target_port,)))
    world_ports: set[int] = set()
    if needs_api_server(shape, oidc):
        if cilium:
            targets.append(Target("api-server", _ports(defaults.API_SERVER_PORTS)))
        else:
            world_ports.update(defaults.API_SERVER_PORTS)
    for host, port in _endpoints(shape, oidc):
        dest = hosts.classify(host, shape.namespace)
        if dest.kind == "external" and not cilium:
            world_ports.add(port)
            continue
        target = _gateway_target(dest, port)
        if target is not None and target not in targets:
            targets.append(target)
    if world_ports:
        targets.append(Target("world", _ports(world_ports)))
    return Egress(dns=True, targets=tuple(targets))


def _gateway_target(dest: hosts.Destination, port: int) -> Target | None:
    if dest.kind == "cidr":
        return _cidr_target(dest.cidr, (port,))
    if dest.kind == "service":
        return Target("service", (), dest.namespace)
    if dest.kind == "external":
        return Target("fqdn", (port,), dest.host)
    return None  # loopback; the API server is handled by needs_api_server
