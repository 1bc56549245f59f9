"""From a component's arguments to what is known of it: validation and reference resolution.

Pure (no Pulumi, no I/O), so that the components can validate *everything* before they
register anything. ``plan_server`` checks the arguments, the metadata and the spec into
a ``ServerShape`` (which alone decides the server's objects, ``builders.layout``), finds
where the data of each referenced ConfigMap comes from (``config_maps``, a ConfigMap or
``PermissionProfile`` the program declares, found through ``registry``, or a ``Read``
at deploy time), and resolves what it can now.

References resolve along one path, ``settle``: given the data of some references (now,
or once read), it resolves each into its setting (profile, OIDC, authz) and computes the
warnings of what has become known. The plan settles what is known now; the component
settles the rest, inside the read's ``apply``, with the same function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ome_mcp_components.errors import Issue, SpecValidationError
from ome_mcp_components.models import (
    MCPServerSpec,
    ObjectMetadata,
    PermissionProfileSpec,
    parse_model,
)
from ome_mcp_components.models.dns import dns_options
from ome_mcp_components.models.observability import audit_options, telemetry_options
from ome_mcp_components.plan import arguments, auth, profiles, warnings
from ome_mcp_components.plan.arguments import (
    CLUSTER_ARG_KEYS,
    SERVER_ARG_KEYS,
    Declared,
    ProfileHandle,
    ProfileSource,
)
from ome_mcp_components.plan.context import (
    PENDING,
    Kind,
    Known,
    Pending,
    Role,
    ServerContext,
    ServerShape,
)
from ome_mcp_components.vocabulary import defaults

#: Finds a ConfigMap the running program declares, by namespace and name.
DeclaredLookup = Callable[[str, str], Declared | None]
#: ConfigMap data by the role of the reference that names it; None for a reference that
#: names no ConfigMap (builtin, inline, kubernetes).
RoleData = Mapping[Role, Mapping[str, str] | None]
#: Nothing resolved yet.
_NOTHING_KNOWN = Known(PENDING, PENDING, PENDING)


@dataclass(frozen=True)
class Read:
    """A ConfigMap whose data is known only at deploy time: read from the cluster, or
    (``source``) the output of the resource of this program that creates it."""

    role: Role
    config_map: str
    source: object | None = None


@dataclass(frozen=True)
class Settlement:
    """Settings resolved from ConfigMap data, and the warnings they raised."""

    known: Known
    warnings: tuple[str, ...]


def settle(shape: ServerShape, known: Known, data: RoleData) -> Settlement:
    """Resolve the references of ``data``'s roles into ``known``; warn about what has
    become known. Raises ``ConfigReferenceError`` for data that holds no valid setting
    (``SpecValidationError`` for an invalid inline one)."""
    profile, oidc, authz = known.profile, known.oidc, known.authz
    spec, resource, namespace = shape.spec, shape.resource, shape.namespace
    if "profile" in data:
        profile = profiles.resolve_profile(
            spec.permission_profile, config_map_data=data["profile"], resource=resource,
            namespace=namespace)
    if "oidc" in data:
        oidc = None if spec.oidc_config is None else auth.resolve_oidc(
            spec.oidc_config, namespace=namespace, default_resource_url=shape.url,
            config_map_data=data["oidc"], resource=resource)
    if "authz" in data:
        authz = None if spec.authz_config is None else auth.resolve_authz(
            spec.authz_config, config_map_data=data["authz"], resource=resource,
            namespace=namespace)
    after = Known(profile, oidc, authz)
    return Settlement(after, tuple(warnings.settled_warnings(shape, known, after)))


def complete(shape: ServerShape, known: Known) -> ServerContext:
    """The server with every setting resolved."""
    profile, oidc, authz = known.profile, known.oidc, known.authz
    if profile is PENDING or oidc is PENDING or authz is PENDING:
        raise ValueError(f"{shape.resource}: {sorted(known.pending)} not resolved yet")
    return ServerContext(
        kind=shape.kind, name=shape.name, namespace=shape.namespace, spec=shape.spec,
        gateway_image=shape.gateway_image, network_enforcement=shape.network_enforcement,
        labels=shape.labels, annotations=shape.annotations, audit=shape.audit,
        telemetry=shape.telemetry, dns=shape.dns, profile=profile, oidc=oidc, authz=authz,
    )


@dataclass(frozen=True)
class ServerPlan:
    """A validated server: everything known before any resource is registered."""

    shape: ServerShape
    metadata: ObjectMetadata
    known: Known
    reads: tuple[Read, ...] = ()
    #: Resources of the program the server's objects depend on (PermissionProfile
    #: components, ConfigMaps it declares).
    depends_on: tuple[object, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The server's name (``metadata.name``, else the resource name)."""
        return self.shape.name

    @property
    def namespace(self) -> str:
        """The namespace of the server's objects."""
        return self.shape.namespace

    @property
    def resource(self) -> str:
        """The resource as error and warning messages name it."""
        return self.shape.resource

    def props(self) -> dict[str, Any]:
        """The component's own inputs: metadata, validated spec (references, never
        secret values) and the enforcement mode."""
        return {
            "metadata": _metadata_props(self.name, self.namespace, self.metadata),
            "spec": self.shape.spec.wire(),
            "networkEnforcement": self.shape.network_enforcement,
        }

    def context(self, settlement: Settlement | None = None) -> ServerContext:
        """The complete server: the plan's own when nothing is left to read, else with
        the ``settlement`` of its reads."""
        return complete(self.shape, self.known if settlement is None else settlement.known)

    def settlement(self, data: Mapping[str, Mapping[str, str] | None]) -> Settlement:
        """What the data of each ``Read`` (by role; a ConfigMap without data reads as
        empty) resolves to, and its warnings."""
        read = {read.role: dict(data.get(read.role) or {}) for read in self.reads}
        return settle(self.shape, self.known, read)


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
    metadata, name = _metadata(values, kind, resource_name)
    resource = f"{kind} '{name}'"
    arguments.check_server_name(name, resource)
    namespace = arguments.server_namespace(kind, metadata, values, resource)
    enforcement = arguments.network_enforcement(values.get("network_enforcement"), resource)
    gateway_image = arguments.gateway_image(values.get("gateway_image"), resource)
    config_maps = arguments.config_maps(values.get("config_maps"), resource)
    audit = audit_options(values.get("audit"), resource)
    telemetry = telemetry_options(values.get("telemetry"), resource)
    dns = dns_options(values.get("dns"), resource)
    raw_spec, source = arguments.take_profile_source(
        _spec_value(values, resource), namespace, resource)
    spec = parse_model(MCPServerSpec, raw_spec, resource=resource, root="spec")
    arguments.check_service_account(spec, name, resource)
    shape = ServerShape(
        kind=kind, name=name, namespace=namespace, spec=spec, gateway_image=gateway_image,
        network_enforcement=enforcement, labels=metadata.labels,
        annotations=metadata.annotations, audit=audit, telemetry=telemetry, dns=dns,
    )
    sources = _Sources(namespace, config_maps, declared or _nothing_declared, source)
    now: dict[Role, Mapping[str, str] | None] = {}
    for role, config_map in _references(spec):
        data = sources.data(role, config_map)
        if data is not PENDING:
            now[role] = data
    settled = settle(shape, _NOTHING_KNOWN, now)
    return ServerPlan(
        shape=shape, metadata=metadata, known=settled.known, reads=tuple(sources.reads),
        depends_on=tuple(sources.depends_on),
        warnings=(*warnings.plan_warnings(shape), *settled.warnings),
    )


@dataclass(frozen=True)
class ProfilePlan:
    """A validated ``PermissionProfile``: its ConfigMap's name, namespace and profile."""

    name: str
    namespace: str
    metadata: ObjectMetadata
    spec: PermissionProfileSpec

    @property
    def resource(self) -> str:
        """The resource as error messages name it."""
        return f"PermissionProfile '{self.name}'"

    @property
    def handle(self) -> ProfileHandle:
        """What a server of the same program needs of it."""
        return ProfileHandle(self.name, self.namespace, self.spec)

    def props(self) -> dict[str, Any]:
        """The component's own inputs: metadata and the validated profile."""
        return {"metadata": _metadata_props(self.name, self.namespace, self.metadata),
                "spec": self.spec.wire()}


def plan_profile(resource_name: str, args: Any) -> ProfilePlan:
    """Validate a ``PermissionProfile``'s arguments; raise ``SpecValidationError`` on the
    first input that breaks a rule."""
    values = arguments.argument_values(
        args, frozenset({"metadata", "spec"}), f"PermissionProfile '{resource_name}'")
    metadata, name = _metadata(values, "PermissionProfile", resource_name)
    resource = f"PermissionProfile '{name}'"
    arguments.check_config_map_name(name, resource)
    spec = parse_model(PermissionProfileSpec, _spec_value(values, resource),
                       resource=resource, root="spec")
    return ProfilePlan(name, metadata.namespace or defaults.DEFAULT_NAMESPACE, metadata, spec)


def _metadata(
    values: Mapping[str, Any], kind: str, resource_name: str,
) -> tuple[ObjectMetadata, str]:
    """A component's metadata, checked, and the name its objects take (``metadata.name``,
    else the resource name)."""
    metadata = parse_model(ObjectMetadata, values.get("metadata") or {},
                           resource=f"{kind} '{resource_name}'", root="metadata")
    return metadata, metadata.name if metadata.name is not None else resource_name


def _spec_value(values: Mapping[str, Any], resource: str) -> Any:
    if values.get("spec") is None:
        raise SpecValidationError(resource, Issue("spec", "field required"))
    return values["spec"]


def _metadata_props(name: str, namespace: str, metadata: ObjectMetadata) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(metadata.labels),
            "annotations": dict(metadata.annotations)}


def _references(spec: MCPServerSpec) -> list[tuple[Role, str | None]]:
    """Each role and the ConfigMap its reference names (None: it names none)."""
    profile = spec.permission_profile
    oidc, authz = spec.oidc_config, spec.authz_config
    return [
        ("profile", profile.config_map.name
         if profile is not None and profile.type == "configMap" and profile.config_map
         else None),
        ("oidc", oidc.config_map.name
         if oidc is not None and oidc.type == "configMap" and oidc.config_map else None),
        ("authz", authz.config_map.name
         if authz is not None and authz.type == "configMap" and authz.config_map else None),
    ]


def _nothing_declared(namespace: str, name: str) -> Declared | None:
    return None


class _Sources:
    """Where each referenced ConfigMap's data comes from: ``config_maps``, a
    ``PermissionProfile`` given as the profile, a ConfigMap the program declares
    (``registry``), or a read; and what the server then depends on."""

    def __init__(self, namespace: str, config_maps: Mapping[str, Mapping[str, str]],
                 declared: DeclaredLookup, profile_source: ProfileSource | None) -> None:
        self._namespace, self._config_maps, self._declared = namespace, config_maps, declared
        self._profile_source = profile_source
        self.reads: list[Read] = []
        self.depends_on: list[object] = [] if profile_source is None else [profile_source]

    def data(self, role: Role, name: str | None) -> Mapping[str, str] | Pending | None:
        """The data of ConfigMap ``name`` now (None when the reference names none), or
        ``PENDING`` when it is left to a ``Read``."""
        if name is None:
            return None
        if role == "profile" and self._profile_source is not None:
            return profiles.profile_config_map_data(self._profile_source.profile_handle.spec)
        found = self._declared(self._namespace, name)
        if found is not None and found.source not in self.depends_on:
            self.depends_on.append(found.source)
        if name in self._config_maps:
            return self._config_maps[name]
        if found is not None and found.data is not None:
            return found.data
        self.reads.append(Read(role, name, source=found.source if found else None))
        return PENDING
