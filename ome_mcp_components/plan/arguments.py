"""A component's arguments besides the spec: what each may hold, checked.

Every check raises ``SpecValidationError`` naming the resource, the argument (or
``metadata.name``) and the rule; none registers anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Protocol, cast, get_args, runtime_checkable

from ome_mcp_components.errors import Issue, SpecValidationError
from ome_mcp_components.models import (
    MCPServerSpec,
    ObjectMetadata,
    PermissionProfileSpec,
)
from ome_mcp_components.plan.context import Kind, NetworkEnforcement
from ome_mcp_components.vocabulary import defaults, names
from ome_mcp_components.vocabulary.keys import PROFILE_KEY

#: RFC 1035 label: the server's name becomes Service names, which must be DNS-1035.
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: Argument keys of MCPServer; ClusterMCPServer also takes ``shared_namespace``.
SERVER_ARG_KEYS = frozenset(
    {"metadata", "spec", "network_enforcement", "gateway_image", "config_maps", "audit",
     "telemetry", "dns"}
)
CLUSTER_ARG_KEYS = SERVER_ARG_KEYS | {"shared_namespace"}
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)


@dataclass(frozen=True)
class ProfileHandle:
    """What a server needs of a ``PermissionProfile`` component: where its ConfigMap is,
    and the profile itself (known when the program runs, so nothing is read)."""

    name: str
    namespace: str
    spec: PermissionProfileSpec


@dataclass(frozen=True)
class Declared:
    """A ConfigMap the running program declares (``registry``): where it is, the resource
    that creates it (what a server then depends on), its data when the program gave it as
    plain strings (else None: it is read from the resource's output), how messages name
    it, and the ``PermissionProfile`` it belongs to, if any."""

    namespace: str
    name: str
    source: object
    data: Mapping[str, str] | None
    what: str
    profile: ProfileHandle | None = None


@runtime_checkable
class ProfileSource(Protocol):
    """Anything that carries a ``ProfileHandle`` (the ``PermissionProfile`` component)."""

    @property
    def profile_handle(self) -> ProfileHandle: ...


def argument_values(args: Any, allowed: frozenset[str], resource: str) -> dict[str, Any]:
    """A component's arguments as a dict, from a mapping or an args dataclass; an
    unknown key is an error."""
    if is_dataclass(args) and not isinstance(args, type):
        # an args object of another component: its extra fields count only when set
        args = {f.name: getattr(args, f.name) for f in fields(args)
                if f.name in allowed or getattr(args, f.name) is not None}
    if not isinstance(args, Mapping):
        raise SpecValidationError(
            resource, Issue("", f"args must be a mapping or an args object, "
                                f"got {type(args).__name__}")
        )
    unknown = sorted(str(key) for key in args if key not in allowed)
    if unknown:
        raise SpecValidationError(resource, [
            Issue(key, f"unknown argument (allowed: {', '.join(sorted(allowed))})")
            for key in unknown
        ])
    return dict(args)


def check_server_name(name: Any, resource: str) -> None:
    """A server name: a DNS-1035 label short enough for every derived name."""
    problem = None
    if not isinstance(name, str) or not name:
        problem = "a name is required"
    elif len(name) > names.MAX_SERVER_NAME:
        problem = (f"{name!r} is {len(name)} characters long; at most "
                   f"{names.MAX_SERVER_NAME} so that every derived object name stays valid")
    elif not _DNS1035.match(name):
        problem = (f"{name!r} is not a valid server name (a DNS-1035 label: lowercase "
                   f"letters, digits and '-', starting with a letter, ending alphanumeric)")
    if problem:
        raise SpecValidationError(resource, Issue("metadata.name", problem))


def server_namespace(
    kind: Kind, metadata: ObjectMetadata, values: Mapping[str, Any], resource: str
) -> str:
    """The server's namespace: ``metadata.namespace`` or ``default``; for a
    ClusterMCPServer ``shared_namespace`` (default ``ome-mcp-system``), which
    ``metadata.namespace`` may repeat but not contradict."""
    if kind != "ClusterMCPServer":
        return metadata.namespace or defaults.DEFAULT_NAMESPACE
    shared = values.get("shared_namespace")
    if shared is None:
        return metadata.namespace or defaults.SHARED_NAMESPACE
    if not isinstance(shared, str) or len(shared) > 63 or not _DNS1123_LABEL.match(shared):
        raise SpecValidationError(resource, Issue(
            "shared_namespace", f"{shared!r} is not a valid namespace name (RFC 1123 label)"))
    if metadata.namespace and metadata.namespace != shared:
        raise SpecValidationError(resource, Issue(
            "metadata.namespace", f"{metadata.namespace!r} conflicts with shared_namespace "
                                  f"{shared!r}; set one of them"))
    return shared


def network_enforcement(value: Any, resource: str) -> NetworkEnforcement:
    """``kubernetes`` (the default) or ``cilium``."""
    allowed = get_args(NetworkEnforcement)
    if value is None:
        return "kubernetes"
    if value not in allowed:
        raise SpecValidationError(resource, Issue(
            "network_enforcement", f"{value!r} is not allowed: expected "
                                   f"{' or '.join(repr(a) for a in allowed)}"))
    return cast(NetworkEnforcement, value)


def gateway_image(value: Any, resource: str) -> str:
    """The gateway image: the pinned default, or a non-empty reference."""
    if value is None:
        return defaults.GATEWAY_IMAGE
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise SpecValidationError(resource, Issue(
            "gateway_image", f"{value!r} is not a container image reference"))
    return value


def config_maps(value: Any, resource: str) -> dict[str, dict[str, str]]:
    """ConfigMap data the program supplies, by name: string keys to string values."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecValidationError(resource, Issue(
            "config_maps", f"must map ConfigMap names to their data, got {type(value).__name__}"))
    result: dict[str, dict[str, str]] = {}
    for cm_name, data in value.items():
        if not isinstance(cm_name, str) or not isinstance(data, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise SpecValidationError(resource, Issue(
                f"config_maps[{cm_name!r}]", "must be a mapping of string keys to string values "
                                             "(a ConfigMap's data)"))
        result[cm_name] = dict(data)
    return result


def take_profile_source(
    raw: Any, namespace: str, resource: str
) -> tuple[Any, ProfileSource | None]:
    """Replace a ``PermissionProfile`` component in ``spec.permissionProfile`` by the
    ConfigMap reference it stands for."""
    if not isinstance(raw, Mapping):
        return raw, None
    for key in ("permissionProfile", "permission_profile"):
        source = raw.get(key)
        if isinstance(source, ProfileSource):
            handle = source.profile_handle
            if handle.namespace != namespace:
                raise SpecValidationError(resource, Issue(
                    "spec.permissionProfile",
                    f"PermissionProfile '{handle.name}' is in namespace {handle.namespace!r}, "
                    f"the server in {namespace!r}; a profile ConfigMap is read from the "
                    f"server's own namespace"))
            ref = {"type": "configMap",
                   "configMap": {"name": handle.name, "key": PROFILE_KEY}}
            return {**raw, key: ref}, source
    return raw, None


def check_service_account(spec: MCPServerSpec, name: str, resource: str) -> None:
    """The server must not run as the gateway's ServiceAccount (which may attach to it)."""
    gateway_account = names.gateway_service_account(name)
    if spec.service_account == gateway_account:
        raise SpecValidationError(resource, Issue(
            "spec.serviceAccount", f"{gateway_account!r} is the gateway's ServiceAccount (it "
                                   f"may attach to the server); name another one"))


def check_config_map_name(name: Any, resource: str) -> None:
    """A ConfigMap name (a PermissionProfile's): a DNS-1123 subdomain."""
    if not isinstance(name, str) or len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        raise SpecValidationError(resource, Issue(
            "metadata.name", f"{name!r} is not a valid ConfigMap name (lowercase RFC 1123 "
                             f"subdomain, at most 253 characters)"))
