"""From a component's arguments to a ``ServerContext``: validation and reference resolution.

Pure (no Pulumi, no I/O), so that the components can validate *everything* before they
register anything. ``plan_server`` checks the arguments, the metadata, the spec and every
reference that can be resolved now (inline and builtin settings, ConfigMaps whose data
the program supplies in ``config_maps``, ConfigMaps and ``PermissionProfile`` components
the program declares, found through ``registry``) and returns a ``ServerPlan``.
A ConfigMap it cannot resolve becomes a ``Read`` that the component performs at deploy
time (from the cluster, or from the output of the program's own ConfigMap);
``ServerPlan.resolve`` then finishes the context from the data read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ome_mcp_components import arguments, auth, names, profiles
from ome_mcp_components.arguments import (
    CLUSTER_ARG_KEYS,
    SERVER_ARG_KEYS,
    Declared,
    ProfileSource,
)
from ome_mcp_components.builders import network_policy
from ome_mcp_components.context import (
    AuthzSettings,
    Kind,
    NetworkEnforcement,
    OIDCSettings,
    ServerContext,
)
from ome_mcp_components.dns import KUBE_DNS, DNSOptions, dns_options
from ome_mcp_components.errors import Issue, SpecValidationError
from ome_mcp_components.models import (
    MCPServerSpec,
    NetworkPermissions,
    ObjectMetadata,
    OutboundNetworkPermissions,
    PermissionProfileSpec,
    parse_model,
)
from ome_mcp_components.observability import (
    AuditOptions,
    TelemetryOptions,
    audit_options,
    telemetry_options,
)

ReadRole = Literal["profile", "oidc", "authz"]
#: Finds a ConfigMap the running program declares, by namespace and name.
DeclaredLookup = Callable[[str, str], Declared | None]
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
class Read:
    """A ConfigMap whose data is known only at deploy time: read from the cluster, or
    (``source``) the output of the resource of this program that creates it."""

    role: ReadRole
    config_map: str
    source: object | None = None


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
    #: Resources of the program the server's objects depend on (PermissionProfile
    #: components, ConfigMaps it declares).
    depends_on: tuple[object, ...] = ()
    warnings: tuple[str, ...] = ()
    audit: AuditOptions = field(default_factory=AuditOptions)
    telemetry: TelemetryOptions = field(default_factory=TelemetryOptions)
    dns: DNSOptions = KUBE_DNS

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
            audit=self.audit,
            telemetry=self.telemetry,
            dns=self.dns,
        )


def _data(data: Mapping[str, Mapping[str, str] | None], role: ReadRole) -> dict[str, str]:
    return dict(data.get(role) or {})


def plan_server(
    kind: Kind, resource_name: str, args: Any, declared: DeclaredLookup | None = None,
) -> ServerPlan:
    """Validate an MCPServer's or ClusterMCPServer's arguments and resolve what can be
    resolved now; raise ``SpecValidationError`` (or ``ConfigReferenceError`` for bad
    supplied ConfigMap data) on the first input that breaks a rule.

    ``declared(namespace, name)`` finds a ConfigMap the running program declares
    (``registry``); its data is used like ``config_maps``' (or, given as an output, read
    from the declaring resource), and the server depends on it."""
    allowed = CLUSTER_ARG_KEYS if kind == "ClusterMCPServer" else SERVER_ARG_KEYS
    values = arguments.argument_values(args, allowed, f"{kind} '{resource_name}'")
    metadata = parse_model(
        ObjectMetadata, values.get("metadata") or {}, resource=f"{kind} '{resource_name}'",
        root="metadata",
    )
    name = metadata.name if metadata.name is not None else resource_name
    resource = f"{kind} '{name}'"
    arguments.check_server_name(name, resource)
    namespace = arguments.server_namespace(kind, metadata, values, resource)
    enforcement = arguments.network_enforcement(values.get("network_enforcement"), resource)
    gateway_image = arguments.gateway_image(values.get("gateway_image"), resource)
    config_maps = arguments.config_maps(values.get("config_maps"), resource)
    audit = audit_options(values.get("audit"), resource)
    telemetry = telemetry_options(values.get("telemetry"), resource)
    dns = dns_options(values.get("dns"), resource)
    if "spec" not in values or values["spec"] is None:
        raise SpecValidationError(resource, Issue("spec", "field required"))
    raw_spec, source = arguments.take_profile_source(values["spec"], namespace, resource)
    spec = parse_model(MCPServerSpec, raw_spec, resource=resource, root="spec")
    arguments.check_service_account(spec, name, resource)

    plan = ServerPlan(
        kind=kind, name=name, namespace=namespace, metadata=metadata, spec=spec,
        network_enforcement=enforcement, gateway_image=gateway_image,
        profile=None, oidc=None, authz=None, profile_source=source,
        audit=audit, telemetry=telemetry, dns=dns,
    )
    return _resolve_known(plan, config_maps, declared or _nothing_declared)


def _nothing_declared(namespace: str, name: str) -> Declared | None:
    return None


class _Sources:
    """Where each referenced ConfigMap's data comes from: ``config_maps``, a ConfigMap the
    program declares (``registry``), or a read; and what the server then depends on."""

    def __init__(self, plan: ServerPlan, config_maps: Mapping[str, Mapping[str, str]],
                 declared: DeclaredLookup) -> None:
        self._plan, self._config_maps, self._declared = plan, config_maps, declared
        self.reads: list[Read] = []
        self.depends_on: list[object] = (
            [plan.profile_source] if plan.profile_source is not None else [])

    def data(self, role: ReadRole, name: str) -> Mapping[str, str] | None:
        """The data of ConfigMap ``name``, or None when it is left to read (a ``Read``)."""
        found = self._declared(self._plan.namespace, name)
        if found is not None and found.source not in self.depends_on:
            self.depends_on.append(found.source)
        if name in self._config_maps:
            return self._config_maps[name]
        if found is not None and found.data is not None:
            return found.data
        self.reads.append(Read(role, name, source=found.source if found else None))
        return None


def _resolve_known(
    plan: ServerPlan, config_maps: Mapping[str, Mapping[str, str]], declared: DeclaredLookup,
) -> ServerPlan:
    spec, resource = plan.spec, plan.resource
    sources = _Sources(plan, config_maps, declared)
    warnings = replica_warnings(resource, spec) + scrape_warnings(plan)

    profile: PermissionProfileSpec | None
    ref = spec.permission_profile
    if plan.profile_source is not None:
        profile = plan.profile_source.profile_handle.spec
    else:
        data = sources.data("profile", ref.config_map.name) \
            if ref is not None and ref.type == "configMap" and ref.config_map else None
        unread = any(read.role == "profile" for read in sources.reads)
        profile = None if unread else profiles.resolve_profile(
            ref, config_map_data=data, resource=resource, namespace=plan.namespace)

    oidc: OIDCSettings | None = None
    oidc_ref = spec.oidc_config
    if oidc_ref is not None:
        cm = oidc_ref.config_map.name if oidc_ref.type == "configMap" and oidc_ref.config_map \
            else None
        oidc_data = sources.data("oidc", cm) if cm is not None else None
        if any(read.role == "oidc" for read in sources.reads):
            oidc = OIDCSettings(
                issuer=_PLANNING_ISSUER, audience=None, jwks_url=None, introspection_url=None,
                resource_url=default_resource_url(plan),
            )
        else:
            oidc = _resolve_oidc(plan, oidc_data)

    authz: AuthzSettings | None = None
    authz_ref = spec.authz_config
    if authz_ref is not None:
        cm = authz_ref.config_map.name if authz_ref.type == "configMap" and authz_ref.config_map \
            else None
        authz_data = sources.data("authz", cm) if cm is not None else None
        if any(read.role == "authz" for read in sources.reads):
            authz = AuthzSettings(config_map=authz_ref.config_map)
        else:
            authz = auth.resolve_authz(
                authz_ref, config_map_data=authz_data, resource=resource,
                namespace=plan.namespace,
            )

    resolved = replace(plan, profile=profile, oidc=oidc, authz=authz,
                       reads=tuple(sources.reads), depends_on=tuple(sources.depends_on))
    roles = {read.role for read in sources.reads}
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


def scrape_warnings(plan: ServerPlan) -> list[str]:
    """A ServiceMonitor for an MCPServer's gateway whose NetworkPolicy admits no scraper
    from outside its namespace."""
    metrics = plan.telemetry.metrics
    if plan.kind != "MCPServer" or not metrics.service_monitor.enabled \
            or metrics.scraper is not None:
        return []
    return [
        f"{plan.resource}: telemetry.metrics.service_monitor is on, but the gateway's "
        f"NetworkPolicy admits only pods of namespace {plan.namespace!r}: a Prometheus "
        f"elsewhere cannot scrape it. Set telemetry.metrics.scrape_namespace_selector "
        f"(and scrape_pod_selector) to where Prometheus runs"
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


