"""From a component's arguments to a ``ServerContext``: validation and reference resolution.

Pure (no Pulumi, no I/O), so that the components can validate *everything* before they
register anything. ``plan_server`` checks the arguments, the metadata, the spec and every
reference that can be resolved now (inline and builtin settings, ConfigMaps whose data
the program supplies, ``PermissionProfile`` components) and returns a ``ServerPlan``.
A ConfigMap it cannot resolve becomes a ``Read`` that the component performs at deploy
time; ``ServerPlan.resolve`` then finishes the context from the data read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, Literal, Protocol, cast, get_args, runtime_checkable

from ome_mcp_components import auth, defaults, gateway, names, profiles
from ome_mcp_components.builders import network_policy
from ome_mcp_components.context import (
    AuthzSettings,
    Kind,
    NetworkEnforcement,
    OIDCSettings,
    ServerContext,
)
from ome_mcp_components.errors import Issue, SpecValidationError
from ome_mcp_components.models import (
    DEFAULT_PROFILE_KEY,
    MCPServerSpec,
    NetworkPermissions,
    ObjectMetadata,
    OutboundNetworkPermissions,
    PermissionProfileSpec,
    parse_model,
)

ReadRole = Literal["profile", "oidc", "authz"]
#: RFC 1035 label: the server's name becomes Service names, which must be DNS-1035.
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: Argument keys of MCPServer; ClusterMCPServer also takes ``shared_namespace``.
SERVER_ARG_KEYS = frozenset(
    {"metadata", "spec", "network_enforcement", "gateway_image", "config_maps"}
)
CLUSTER_ARG_KEYS = SERVER_ARG_KEYS | {"shared_namespace"}
#: Stand-ins used only to work out *which* objects a server has while a referenced
#: ConfigMap is still unread: a host name (so that, under Cilium, the FQDN policy is
#: planned) and an issuer (so that the gateway is planned). Never rendered for real.
_PLANNING_PROFILE = PermissionProfileSpec(
    network=NetworkPermissions(
        outbound=OutboundNetworkPermissions(allow_host=["unresolved-profile.invalid"])
    )
)
_PLANNING_ISSUER = "https://unresolved-oidc.invalid"


@dataclass(frozen=True)
class ProfileHandle:
    """What a server needs of a ``PermissionProfile`` component: where its ConfigMap is,
    and the profile itself (known when the program runs, so nothing is read)."""

    name: str
    namespace: str
    spec: PermissionProfileSpec


@runtime_checkable
class ProfileSource(Protocol):
    """Anything that carries a ``ProfileHandle`` (the ``PermissionProfile`` component)."""

    @property
    def profile_handle(self) -> ProfileHandle: ...


@dataclass(frozen=True)
class Read:
    """A ConfigMap to read from the cluster at deploy time."""

    role: ReadRole
    config_map: str


@dataclass(frozen=True)
class Resolution:
    """A context resolved from ConfigMap data, and the warnings that data raised."""

    context: ServerContext
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ServerPlan:
    """A validated server: everything known before any resource is registered."""

    kind: Kind
    name: str
    namespace: str
    metadata: ObjectMetadata
    spec: MCPServerSpec
    network_enforcement: NetworkEnforcement
    gateway_image: str
    profile: PermissionProfileSpec | None
    oidc: OIDCSettings | None
    authz: AuthzSettings | None
    reads: tuple[Read, ...] = ()
    profile_source: ProfileSource | None = None
    warnings: tuple[str, ...] = ()

    @property
    def resource(self) -> str:
        """The resource as error and warning messages name it."""
        return f"{self.kind} '{self.name}'"

    def props(self) -> dict[str, Any]:
        """The component's own inputs: metadata, validated spec (references, never
        secret values) and the enforcement mode."""
        return {
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": dict(self.metadata.labels),
                "annotations": dict(self.metadata.annotations),
            },
            "spec": self.spec.wire(),
            "networkEnforcement": self.network_enforcement,
        }

    def context(self) -> ServerContext:
        """The context, complete when nothing is left to read; otherwise a planning
        context whose unread parts are stand-ins (it has the right set of objects)."""
        return self._context(
            self.profile if self.profile is not None else _PLANNING_PROFILE,
            self.oidc,
            self.authz,
        )

    def resolve(self, data: Mapping[str, Mapping[str, str] | None]) -> Resolution:
        """The complete context from the data of each ``Read`` (by role)."""
        profile, oidc, authz = self.profile, self.oidc, self.authz
        warnings: list[str] = []
        if self.spec.permission_profile is not None and profile is None:
            profile = profiles.resolve_profile(
                self.spec.permission_profile, config_map_data=_data(data, "profile"),
                resource=self.resource, namespace=self.namespace,
            )
        if self.spec.oidc_config is not None and "oidc" in data:
            oidc = _resolve_oidc(self, _data(data, "oidc"))
        if self.spec.authz_config is not None and "authz" in data:
            authz = auth.resolve_authz(
                self.spec.authz_config, config_map_data=_data(data, "authz"),
                resource=self.resource, namespace=self.namespace,
            )
        assert profile is not None  # the profile is either known or read
        context = self._context(profile, oidc, authz)
        if "profile" in data:
            warnings += profile_warnings(context)
        if "oidc" in data or "authz" in data:
            warnings += auth_warnings(context)
        return Resolution(context, tuple(warnings))

    def _context(
        self,
        profile: PermissionProfileSpec,
        oidc: OIDCSettings | None,
        authz: AuthzSettings | None,
    ) -> ServerContext:
        return ServerContext(
            kind=self.kind,
            name=self.name,
            namespace=self.namespace,
            spec=self.spec,
            profile=profile,
            gateway_image=self.gateway_image,
            oidc=oidc,
            authz=authz,
            network_enforcement=self.network_enforcement,
            labels=self.metadata.labels,
            annotations=self.metadata.annotations,
        )


def _data(data: Mapping[str, Mapping[str, str] | None], role: ReadRole) -> dict[str, str]:
    return dict(data.get(role) or {})


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


def plan_server(kind: Kind, resource_name: str, args: Any) -> ServerPlan:
    """Validate an MCPServer's or ClusterMCPServer's arguments and resolve what can be
    resolved now; raise ``SpecValidationError`` (or ``ConfigReferenceError`` for bad
    supplied ConfigMap data) on the first input that breaks a rule."""
    allowed = CLUSTER_ARG_KEYS if kind == "ClusterMCPServer" else SERVER_ARG_KEYS
    values = argument_values(args, allowed, f"{kind} '{resource_name}'")
    metadata = parse_model(
        ObjectMetadata, values.get("metadata") or {}, resource=f"{kind} '{resource_name}'",
        root="metadata",
    )
    name = metadata.name if metadata.name is not None else resource_name
    resource = f"{kind} '{name}'"
    _check_server_name(name, resource)
    namespace = _namespace(kind, metadata, values, resource)
    enforcement = _enforcement(values.get("network_enforcement"), resource)
    gateway_image = _gateway_image(values.get("gateway_image"), resource)
    config_maps = _config_maps(values.get("config_maps"), resource)
    if "spec" not in values or values["spec"] is None:
        raise SpecValidationError(resource, Issue("spec", "field required"))
    raw_spec, source = _take_profile_source(values["spec"], namespace, resource)
    spec = parse_model(MCPServerSpec, raw_spec, resource=resource, root="spec")
    _check_service_account(spec, name, resource)

    plan = ServerPlan(
        kind=kind, name=name, namespace=namespace, metadata=metadata, spec=spec,
        network_enforcement=enforcement, gateway_image=gateway_image,
        profile=None, oidc=None, authz=None, profile_source=source,
    )
    return _resolve_known(plan, config_maps)


def _resolve_known(plan: ServerPlan, config_maps: Mapping[str, Mapping[str, str]]) -> ServerPlan:
    spec, resource = plan.spec, plan.resource
    reads: list[Read] = []
    warnings = replica_warnings(resource, spec)

    profile: PermissionProfileSpec | None
    ref = spec.permission_profile
    if plan.profile_source is not None:
        profile = plan.profile_source.profile_handle.spec
    elif ref is not None and ref.type == "configMap" and ref.config_map is not None \
            and ref.config_map.name not in config_maps:
        profile = None
        reads.append(Read("profile", ref.config_map.name))
    else:
        data = config_maps.get(ref.config_map.name) if ref and ref.config_map else None
        profile = profiles.resolve_profile(
            ref, config_map_data=data, resource=resource, namespace=plan.namespace
        )

    oidc: OIDCSettings | None = None
    oidc_ref = spec.oidc_config
    if oidc_ref is not None:
        cm = oidc_ref.config_map.name if oidc_ref.type == "configMap" and oidc_ref.config_map \
            else None
        if cm is not None and cm not in config_maps:
            reads.append(Read("oidc", cm))
            oidc = OIDCSettings(
                issuer=_PLANNING_ISSUER, audience=None, jwks_url=None, introspection_url=None,
                resource_url=default_resource_url(plan),
            )
        else:
            oidc = _resolve_oidc(plan, config_maps.get(cm) if cm else None)

    authz: AuthzSettings | None = None
    authz_ref = spec.authz_config
    if authz_ref is not None:
        cm = authz_ref.config_map.name if authz_ref.type == "configMap" and authz_ref.config_map \
            else None
        if cm is not None and cm not in config_maps:
            reads.append(Read("authz", cm))
            authz = AuthzSettings(config_map=authz_ref.config_map)
        else:
            authz = auth.resolve_authz(
                authz_ref, config_map_data=config_maps.get(cm) if cm else None,
                resource=resource, namespace=plan.namespace,
            )

    resolved = replace(plan, profile=profile, oidc=oidc, authz=authz, reads=tuple(reads))
    roles = {read.role for read in reads}
    if "profile" not in roles:
        warnings += profile_warnings(resolved.context())
    if not roles & {"oidc", "authz"}:
        warnings += auth_warnings(resolved.context())
    return replace(resolved, warnings=tuple(warnings))


def default_resource_url(plan: ServerPlan) -> str:
    """The server's in-cluster URL through its gateway (the OIDC resource URL default)."""
    return names.cluster_url(
        names.public_service(plan.name), plan.namespace, plan.spec.port,
        plan.spec.resolved_transport,
    )


def _resolve_oidc(plan: ServerPlan, data: Mapping[str, str] | None) -> OIDCSettings:
    assert plan.spec.oidc_config is not None
    return auth.resolve_oidc(
        plan.spec.oidc_config, namespace=plan.namespace,
        default_resource_url=default_resource_url(plan), config_map_data=data,
        resource=plan.resource,
    )


def replica_warnings(resource: str, spec: MCPServerSpec) -> list[str]:
    """``replicas`` above one on a server whose transport defaulted to stdio is ignored."""
    if spec.is_http or spec.replicas <= spec.effective_replicas:
        return []
    return [
        f"{resource}: spec.replicas {spec.replicas} is ignored: the transport defaults to "
        f"stdio, which runs exactly one replica; set transport to streamable-http or sse "
        f"to scale"
    ]


def profile_warnings(ctx: ServerContext) -> list[str]:
    """The loud warning for profile hosts a Kubernetes NetworkPolicy cannot enforce."""
    warning = network_policy.unenforced_hosts_warning(ctx)
    return [warning] if warning else []


def auth_warnings(ctx: ServerContext) -> list[str]:
    """Authentication and authorization settings that will not do what they seem to
    (policies that can never match an MCP request, missing audience, ...)."""
    return [f"{ctx.kind} '{ctx.name}': {warning}"
            for warning in auth.auth_warnings(ctx.spec, oidc=ctx.oidc, authz=ctx.authz)]


def _check_server_name(name: Any, resource: str) -> None:
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


def _namespace(
    kind: Kind, metadata: ObjectMetadata, values: Mapping[str, Any], resource: str
) -> str:
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


def _enforcement(value: Any, resource: str) -> NetworkEnforcement:
    allowed = get_args(NetworkEnforcement)
    if value is None:
        return "kubernetes"
    if value not in allowed:
        raise SpecValidationError(resource, Issue(
            "network_enforcement", f"{value!r} is not allowed: expected "
                                   f"{' or '.join(repr(a) for a in allowed)}"))
    return cast(NetworkEnforcement, value)


def _gateway_image(value: Any, resource: str) -> str:
    if value is None:
        return gateway.DEFAULT_IMAGE
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise SpecValidationError(resource, Issue(
            "gateway_image", f"{value!r} is not a container image reference"))
    return value


def _config_maps(value: Any, resource: str) -> dict[str, dict[str, str]]:
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


def _take_profile_source(
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
                   "configMap": {"name": handle.name, "key": DEFAULT_PROFILE_KEY}}
            return {**raw, key: ref}, source
    return raw, None


def _check_service_account(spec: MCPServerSpec, name: str, resource: str) -> None:
    gateway_account = names.gateway_service_account(name)
    if spec.service_account == gateway_account:
        raise SpecValidationError(resource, Issue(
            "spec.serviceAccount", f"{gateway_account!r} is the gateway's ServiceAccount (it "
                                   f"may attach to the server); name another one"))
