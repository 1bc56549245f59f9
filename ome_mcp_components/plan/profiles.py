"""Permission profiles: where a server's profile comes from, and what it grants.

Resolution (``resolve_profile``): no profile is the builtin ``none``; a builtin is taken
from ``models.BUILTIN_PROFILES``; an inline profile is used as given; a ``configMap``
profile is the JSON under its key (default ``permissions.json``) of a ConfigMap in the
server's namespace, validated like an inline one. The OEP allows no merging: the
resolved profile replaces the builtin default entirely.

What a profile grants (design.md §5), enforced by ``builders.network_policy`` and
``builders.cilium``:

* **No network** (builtin ``none``, no ``network.outbound``, or an ``outbound`` that
  allows nothing): no egress at all, not even DNS.
* **insecureAllowAll** (and builtin ``network``): egress to every address except the
  cloud metadata address (169.254.169.254, and its IPv6 twin fd00:ec2::254), on every
  port; ``allowHost`` and ``allowPort`` add nothing to that and are ignored.
* **allowHost and allowPort together** mean *these hosts, on these ports*: a
  connection must match both lists (OEP user story 2: ``*.ocicloud.com`` and
  ``kubernetes.default.svc`` on 443 and 6443 - not 6443 on the whole internet).
  ``allowPort`` alone means those TCP ports on any address (still not the metadata
  address); ``allowHost`` alone means every port of those hosts.
* Every profile that grants some egress also gets DNS (to kube-dns, UDP and TCP 53).
* Each ``allowHost`` entry is enforced by the rule that can select it
  (``hosts.classify``): an IP or CIDR by an ``ipBlock``; an in-cluster Service name
  (``<svc>.<ns>.svc``, ``*.svc``, a one-label name) by a ``namespaceSelector`` for its
  namespace (every namespace for wildcards); the API server's names
  (``kubernetes.default.svc``) by Cilium's ``kube-apiserver`` entity; other host names
  by Cilium ``toFQDNs``. NetworkPolicy alone can express neither of the last two: with
  ``network_enforcement="kubernetes"`` those hosts are **not reachable** (we fail closed
  rather than open the ports to the whole internet) and the component warns, naming
  them. The API server gets no ``ipBlock`` guess either: its address differs per cluster
  and is not known when rendering.
* ``write`` paths get an ``emptyDir`` each (``write_volumes``); ``read`` paths are
  recorded only, since everything else is read-only anyway.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from typing import Any

from ome_mcp_components.errors import ConfigReferenceError, Issue, SpecValidationError
from ome_mcp_components.models import (
    BUILTIN_PROFILES,
    ConfigMapPermissionRef,
    PermissionProfileRef,
    PermissionProfileSpec,
    hosts,
    parse_model,
)
from ome_mcp_components.vocabulary.keys import PROFILE_KEY

#: Volumes of writable paths are named ``profile-write-<i>`` (``i`` counts the distinct
#: paths of ``write`` in order): valid, deterministic DNS labels that no user volume is
#: likely to take.
WRITE_VOLUME_PREFIX = "profile-write"


def resolve_profile(
    ref: PermissionProfileRef | None,
    *,
    config_map_data: Mapping[str, str] | None,
    resource: str,
    field: str = "spec.permissionProfile",
    namespace: str | None = None,
) -> PermissionProfileSpec:
    """The permission profile ``ref`` designates.

    ``config_map_data`` is the ``data`` of the ConfigMap a ``configMap`` reference names
    (None when it could not be found); ``resource`` and ``field`` name the resource and
    the reference's path in errors; ``namespace``, when given, is named with the
    ConfigMap. Raises ``ConfigReferenceError`` when the ConfigMap is missing, lacks the
    key, or holds no valid profile (naming the field inside the profile).
    """
    if ref is None:
        return BUILTIN_PROFILES["none"]
    if ref.type == "builtin":
        return BUILTIN_PROFILES[ref.name or "none"]
    if ref.type == "inline":
        assert ref.inline is not None  # the model requires it for type inline
        return ref.inline
    assert ref.config_map is not None  # the model requires it for type configMap
    return _from_config_map(
        ref.config_map, config_map_data, resource, f"{field}.configMap", namespace
    )


def _from_config_map(
    ref: ConfigMapPermissionRef,
    data: Mapping[str, str] | None,
    resource: str,
    field: str,
    namespace: str | None,
) -> PermissionProfileSpec:
    where = f"ConfigMap {namespace}/{ref.name}" if namespace else f"ConfigMap {ref.name}"

    def fail(message: str) -> ConfigReferenceError:
        return ConfigReferenceError(resource, Issue(field, f"{where} {message}"))

    if data is None:
        raise fail("was not found")
    if ref.key not in data:
        keys = ", ".join(repr(k) for k in sorted(data)) or "none"
        raise fail(f"has no key {ref.key!r} (its keys: {keys})")
    try:
        content = json.loads(data[ref.key])
    except json.JSONDecodeError as exc:
        raise fail(
            f"key {ref.key!r} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    try:
        return parse_model(PermissionProfileSpec, content, resource=resource, root="")
    except SpecValidationError as exc:
        issues = [
            Issue(field, f"{where} key {ref.key!r}: {issue}") for issue in exc.issues
        ]
        raise ConfigReferenceError(resource, issues) from None


def profile_config_map_data(spec: PermissionProfileSpec) -> dict[str, str]:
    """The ``data`` of a ConfigMap holding ``spec`` in the OEP's format: canonical JSON
    (camelCase, defaults filled, sorted keys) under ``permissions.json``."""
    text = json.dumps(spec.wire(), indent=2, sort_keys=True) + "\n"
    return {PROFILE_KEY: text}


def allows_network(profile: PermissionProfileSpec) -> bool:
    """True when the profile grants any egress (and with it DNS)."""
    outbound = profile.outbound
    if outbound is None:
        return False
    return bool(outbound.insecure_allow_all or outbound.allow_host or outbound.allow_port)


def allows_all(profile: PermissionProfileSpec) -> bool:
    """True for ``insecureAllowAll`` (builtin ``network``): open egress but the metadata address."""
    return profile.outbound is not None and profile.outbound.insecure_allow_all


def host_names(profile: PermissionProfileSpec) -> list[str]:
    """The ``allowHost`` entries that are host names or patterns (not IPs or CIDRs)."""
    return [host for host in _allow_host(profile) if hosts.as_network(host) is None]


def ip_blocks(profile: PermissionProfileSpec) -> list[str]:
    """The ``allowHost`` entries that are IPs or CIDRs, as normalized CIDRs, in order."""
    blocks: list[str] = []
    for host in _allow_host(profile):
        network = hosts.as_network(host)
        if network is not None and str(network) not in blocks:
            blocks.append(str(network))
    return blocks


def destinations(profile: PermissionProfileSpec, namespace: str) -> list[hosts.Destination]:
    """Every ``allowHost`` entry, classified as seen from a pod in ``namespace``."""
    return [hosts.classify(host, namespace) for host in _allow_host(profile)]


def _allow_host(profile: PermissionProfileSpec) -> list[str]:
    return list(profile.outbound.allow_host) if profile.outbound else []


def write_volumes(
    profile: PermissionProfileSpec,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An ``emptyDir`` volume per ``write`` path, and its mount for container ``mcp``.

    Volumes are named ``profile-write-0``, ``profile-write-1``, ... in the order of
    ``write``; paths are normalized (``/tmp/`` is ``/tmp``) and a path listed twice that
    way is mounted once. The mounts are meant for the server container ``mcp``.
    """
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    for path in _unique_paths(profile.write):
        name = f"{WRITE_VOLUME_PREFIX}-{len(volumes)}"
        volumes.append({"name": name, "emptyDir": {}})
        mounts.append({"name": name, "mountPath": path})
    return volumes, mounts


def _unique_paths(paths: list[str]) -> list[str]:
    unique: list[str] = []
    for path in paths:
        normalized = posixpath.normpath(path)
        if normalized not in unique:
            unique.append(normalized)
    return unique
