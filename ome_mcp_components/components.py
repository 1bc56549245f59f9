"""The Pulumi components: ``MCPServer``, ``ClusterMCPServer`` and ``PermissionProfile``.

Each constructor first validates everything (``resolve.plan_server``), so bad input
raises ``SpecValidationError`` before any resource - the component included - is
registered. It then registers itself with its validated spec as inputs, and turns the
pure builders' manifests (``builders.render``) into Kubernetes resources, each a child
(``parent=self``) named ``f"{name}-<role>"``:

===========================  ================================================================
role                         object
===========================  ================================================================
``service-account``          ServiceAccount ``<n>`` of the server
``gateway-service-account``  ServiceAccount ``<n>-gateway``
``gateway-config``           ConfigMap ``<n>-gateway`` (the gateway's RunConfig)
``authz-config``             ConfigMap ``<n>-authz`` (inline Cedar policies)
``gateway-role``             Role ``<n>-gateway`` (stdio: attach to ``<n>-0``)
``gateway-role-binding``     RoleBinding ``<n>-gateway``
``server``                   Deployment or StatefulSet ``<n>``
``gateway``                  Deployment ``<n>-gateway``
``backend-service``          Service ``<n>-backend``
``service``                  Service ``<n>`` (the public endpoint)
``service-monitor``          ServiceMonitor ``<n>-gateway`` (when asked for)
``server-network-policy``    NetworkPolicy ``<n>-server``
``gateway-network-policy``   NetworkPolicy ``<n>-gateway``
``server-fqdn-policy``       CiliumNetworkPolicy ``<n>-server-fqdn``
``gateway-fqdn-policy``      CiliumNetworkPolicy ``<n>-gateway-fqdn``
``server-pdb``               PodDisruptionBudget ``<n>``
``gateway-pdb``              PodDisruptionBudget ``<n>-gateway``
``profile-ref``              ConfigMap read from the cluster (``ConfigMap.get``): the profile
``oidc-ref``                 ConfigMap read from the cluster: the OIDC configuration
``authz-ref``                ConfigMap read from the cluster: the authz configuration
``config-map``               ConfigMap ``<p>`` of a PermissionProfile
===========================  ================================================================

When every reference is known (builtin, inline, ``config_maps``, a ``PermissionProfile``
component, or a ConfigMap or PermissionProfile the program declared before the server,
found by name through ``registry``), the objects are created from plain dicts, depending
on the resources that declared them. Otherwise the set of objects is planned from the
spec alone, the ConfigMaps are read at deploy time (from the cluster, after whatever the
component's ``depends_on`` names, or from the output of the program's own ConfigMap),
and each object's fields are outputs rendered from the data read; no resource is
created inside ``apply``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ome_mcp_components import arguments, builders, defaults, names, registry, status
from ome_mcp_components.arguments import Declared, ProfileHandle, argument_values
from ome_mcp_components.builders.config_maps import profile_config_map
from ome_mcp_components.builders.fqdn import empty_cilium_policy
from ome_mcp_components.context import Kind, NetworkEnforcement
from ome_mcp_components.errors import Issue, SpecValidationError
from ome_mcp_components.models import (
    MCPServerSpec,
    ObjectMetadata,
    PermissionProfileSpec,
    parse_model,
)
from ome_mcp_components.resolve import Resolution, ServerPlan, plan_server
from ome_mcp_components.status import ServerStatus, Workload

MCP_SERVER_TYPE = "ome-mcp:index:MCPServer"
CLUSTER_MCP_SERVER_TYPE = "ome-mcp:index:ClusterMCPServer"
PERMISSION_PROFILE_TYPE = "ome-mcp:index:PermissionProfile"

Manifest = dict[str, Any]
ResourceFactory = Callable[..., pulumi.CustomResource]

#: The pulumi-kubernetes class of each (apiVersion, kind) the builders render; any other
#: kind (CiliumNetworkPolicy, ServiceMonitor) is created as an
#: ``apiextensions.CustomResource``.
RESOURCE_CLASSES: dict[tuple[str, str], ResourceFactory] = {
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Service"): k8s.core.v1.Service,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("apps/v1", "StatefulSet"): k8s.apps.v1.StatefulSet,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
}


@dataclass(frozen=True)
class MCPServerArgs:
    """Arguments of ``MCPServer`` (a plain mapping with these keys works too).

    ``spec`` is an ``MCPServerSpec`` or a mapping in the OEP's camelCase (or snake_case);
    its ``permissionProfile`` may be a ``PermissionProfile`` component. ``config_maps``
    holds ConfigMap data by name, used first; a referenced ConfigMap not in it is one the
    program created before the server (``registry``), else read from the cluster at
    deploy time. ``audit`` and ``telemetry`` (``observability``) are the gateway's audit
    log, metrics and OTLP export; ``dns`` (``dns``) says where cluster DNS runs.
    """

    spec: MCPServerSpec | Mapping[str, Any]
    metadata: ObjectMetadata | Mapping[str, Any] | None = None
    network_enforcement: NetworkEnforcement = "kubernetes"
    gateway_image: str | None = None
    config_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    audit: bool | Mapping[str, Any] | None = None
    telemetry: Mapping[str, Any] | None = None
    dns: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ClusterMCPServerArgs(MCPServerArgs):
    """Arguments of ``ClusterMCPServer``: those of ``MCPServer`` plus the shared namespace
    (default ``ome-mcp-system``; ``metadata.namespace`` may name it instead, but not a
    different one)."""

    shared_namespace: str | None = None


@dataclass(frozen=True)
class PermissionProfileArgs:
    """Arguments of ``PermissionProfile``: metadata and the profile."""

    spec: PermissionProfileSpec | Mapping[str, Any]
    metadata: ObjectMetadata | Mapping[str, Any] | None = None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _roles(n: str) -> dict[tuple[str, str], str]:
    """The role (resource-name suffix) of each object of server ``n``, by kind and name."""
    return {
        ("ServiceAccount", names.server_service_account(n)): "service-account",
        ("ServiceAccount", names.gateway_service_account(n)): "gateway-service-account",
        ("ConfigMap", names.gateway_config_map(n)): "gateway-config",
        ("ConfigMap", names.authz_config_map(n)): "authz-config",
        ("Role", names.gateway_role(n)): "gateway-role",
        ("RoleBinding", names.gateway_role(n)): "gateway-role-binding",
        ("StatefulSet", names.server_workload(n)): "server",
        ("Deployment", names.server_workload(n)): "server",
        ("Deployment", names.gateway_deployment(n)): "gateway",
        ("Service", names.backend_service(n)): "backend-service",
        ("Service", names.public_service(n)): "service",
        ("ServiceMonitor", names.service_monitor(n)): "service-monitor",
        ("NetworkPolicy", names.server_network_policy(n)): "server-network-policy",
        ("NetworkPolicy", names.gateway_network_policy(n)): "gateway-network-policy",
        ("CiliumNetworkPolicy", names.server_fqdn_policy(n)): "server-fqdn-policy",
        ("CiliumNetworkPolicy", names.gateway_fqdn_policy(n)): "gateway-fqdn-policy",
        ("PodDisruptionBudget", names.server_pdb(n)): "server-pdb",
        ("PodDisruptionBudget", names.gateway_pdb(n)): "gateway-pdb",
    }


def _create(
    resource_name: str, api_version: str, kind: str, fields: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> pulumi.CustomResource:
    """One Kubernetes resource; ``fields`` are the manifest's top-level fields other than
    apiVersion and kind (plain values or outputs, camelCase inside)."""
    factory = RESOURCE_CLASSES.get((api_version, kind))
    if factory is None:
        return k8s.apiextensions.CustomResource(
            resource_name, api_version=api_version, kind=kind, opts=opts, **fields
        )
    return factory(resource_name, opts=opts, **{_snake(k): v for k, v in fields.items()})


def _fields(manifest: Manifest) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}


def _role(roles: Mapping[tuple[str, str], str], obj: Manifest) -> str:
    key = (obj["kind"], obj["metadata"]["name"])
    return roles.get(key) or f"{key[0].lower()}-{key[1]}"


def _render(resolution: Resolution, planned: list[Manifest]) -> list[Manifest]:
    objects = builders.render(resolution.context)
    unplanned = {(o["kind"], o["metadata"]["name"]) for o in objects} - {
        (o["kind"], o["metadata"]["name"]) for o in planned}
    if unplanned:  # the plan must foresee every object the data can call for: a bug of ours
        raise RuntimeError(f"rendered but not planned: {sorted(unplanned)}")
    return objects


def _field(manifest: Manifest, key: str) -> Any:
    return manifest.get(key)


def _select(objects: list[Manifest], planned: Manifest) -> Manifest:
    """The rendered object the plan expected (same kind and name)."""
    key = (planned["kind"], planned["metadata"]["name"])
    for obj in objects:
        if (obj["kind"], obj["metadata"]["name"]) == key:
            return obj
    if planned["kind"] == "CiliumNetworkPolicy":
        # planned while a ConfigMap was unread; its data names no host Cilium must allow
        return empty_cilium_policy(planned)
    raise RuntimeError(f"{key[0]} {key[1]!r} was planned but not rendered")  # a bug of ours


#: The roles of the workloads a status is derived from, and the side each serves.
_WORKLOAD_ROLES: dict[str, status.Side] = {"server": "server", "gateway": "gateway"}


def _status(
    url: str, namespace: str, objects: list[Manifest], roles: Mapping[tuple[str, str], str],
    created: Mapping[str, pulumi.CustomResource],
) -> pulumi.Output[ServerStatus]:
    """The server's status from the live ``status`` of its workloads (``status.py``);
    ``objects`` are the planned manifests (kind, name and desired replicas)."""
    shapes: list[Workload] = []
    outputs: list[pulumi.Output[Any]] = []
    for obj in objects:
        role = _role(roles, obj)
        if role not in _WORKLOAD_ROLES:
            continue
        shapes.append(Workload(side=_WORKLOAD_ROLES[role], kind=obj["kind"],
                               namespace=namespace, name=obj["metadata"]["name"],
                               desired=int(obj["spec"].get("replicas", 1))))
        outputs.append(created[role].status)  # type: ignore[attr-defined]
    if not shapes:
        return pulumi.Output.from_input(status.server_status(url, []))
    return pulumi.Output.all(*outputs).apply(
        functools.partial(_observed_status, url=url, workloads=shapes))


def _observed_status(
    live: list[Any], *, url: str, workloads: list[Workload]
) -> ServerStatus:
    return status.server_status(url, [
        Workload(w.side, w.kind, w.namespace, w.name, w.desired, observed)
        for w, observed in zip(workloads, live, strict=True)])


def _explicit_dependencies(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    """The resources a component's own ``depends_on`` names (what its cluster reads must
    wait for: Pulumi does not pass a component's dependencies on to its children)."""
    given = opts.depends_on if opts is not None else None
    if isinstance(given, pulumi.Resource):
        return [given]
    if isinstance(given, list | tuple):
        return [d for d in given if isinstance(d, pulumi.Resource)]
    return []


class _Server(pulumi.ComponentResource):
    """What MCPServer and ClusterMCPServer share."""

    #: In-cluster URL clients use (``http://<n>.<ns>.svc.cluster.local:<port>/mcp``, or
    #: ``/sse``); a Remote server without gateway: its own ``spec.url``.
    url: pulumi.Output[str]
    #: Namespace of the server's objects.
    namespace: pulumi.Output[str]
    #: The Service clients connect to (``<n>``); None for a Remote server without
    #: gateway, which has no objects at all.
    service_name: pulumi.Output[str | None]
    #: ServiceAccount of the server pods (``<n>`` or ``spec.serviceAccount``); None for a
    #: Remote server, which runs no pods of its own.
    service_account_name: pulumi.Output[str | None]
    #: The OEP's ``MCPServerStatus`` (``url``, ``phase``, ``replicas``, ``readyReplicas``,
    #: ``conditions``, ``message``), from the live workloads (``ome_mcp_components.status``).
    status: pulumi.Output[ServerStatus]

    _kind: Kind
    _type_token: str

    def __init__(
        self, name: str, args: Any, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        registry.track()
        program = registry.current()
        plan = plan_server(self._kind, name, args, program.find)
        context = plan.context()
        objects = builders.render(context)  # pure: a failure here registers nothing either
        super().__init__(self._type_token, name, plan.props(), opts)
        depends_on = [d for d in plan.depends_on if isinstance(d, pulumi.Resource)]
        # no depends_on at all when there is nothing to wait for: an empty list still costs
        # the SDK a dependency gathering per child (bench/README.md)
        child = pulumi.ResourceOptions(parent=self, depends_on=depends_on or None)
        roles = _roles(plan.name)
        if plan.reads:
            read_opts = pulumi.ResourceOptions(
                parent=self, depends_on=[*depends_on, *_explicit_dependencies(opts)])
            for read in plan.reads:
                if read.source is None:
                    program.reading(plan.namespace, read.config_map, plan.resource)
            created = self._create_from_reads(name, plan, objects, roles, child, read_opts)
        else:
            created = {}
            for obj in objects:
                role = _role(roles, obj)
                created[role] = _create(
                    f"{name}-{role}", obj["apiVersion"], obj["kind"], _fields(obj), child)
        for warning in plan.warnings:
            pulumi.log.warn(warning, resource=self)

        self.url = pulumi.Output.from_input(context.url)
        self.namespace = pulumi.Output.from_input(plan.namespace)
        self.service_name = pulumi.Output.from_input(context.service_name)
        self.service_account_name = pulumi.Output.from_input(context.service_account_name)
        self.status = _status(context.url, plan.namespace, objects, roles, created)
        self.register_outputs({
            "url": self.url,
            "namespace": self.namespace,
            "service_name": self.service_name,
            "service_account_name": self.service_account_name,
            "status": self.status,
        })

    def _create_from_reads(
        self, name: str, plan: ServerPlan, planned: list[Manifest],
        roles: Mapping[tuple[str, str], str], child: pulumi.ResourceOptions,
        read_opts: pulumi.ResourceOptions,
    ) -> dict[str, pulumi.CustomResource]:
        """Read the referenced ConfigMaps (from the cluster, or the outputs of the
        program's own ConfigMaps); render each planned object from their data."""
        data: dict[str, pulumi.Output[Any]] = {
            read.role: (
                read.source.data if isinstance(read.source, k8s.core.v1.ConfigMap)
                else k8s.core.v1.ConfigMap.get(
                    f"{name}-{read.role}-ref", f"{plan.namespace}/{read.config_map}",
                    opts=read_opts,
                ).data)
            for read in plan.reads
        }
        resolution = pulumi.Output.all(**data).apply(plan.resolve)
        resolution.apply(self._warn_all)
        rendered = resolution.apply(functools.partial(_render, planned=planned))
        created: dict[str, pulumi.CustomResource] = {}
        for obj in planned:
            actual = rendered.apply(functools.partial(_select, planned=obj))
            fields = {key: actual.apply(functools.partial(_field, key=key))
                      for key in _fields(obj)}
            role = _role(roles, obj)
            created[role] = _create(
                f"{name}-{role}", obj["apiVersion"], obj["kind"], fields, child)
        return created

    def _warn_all(self, resolution: Resolution) -> None:
        for warning in resolution.warnings:
            pulumi.log.warn(warning, resource=self)


class MCPServer(_Server):
    """An MCP server in its own namespace (``default`` unless ``metadata.namespace``):
    the objects of design.md §3. ``args`` is ``MCPServerArgs`` or a mapping with the
    same keys."""

    _kind: Kind = "MCPServer"
    _type_token = MCP_SERVER_TYPE

    def __init__(
        self, name: str, args: MCPServerArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(name, args, opts)


class ClusterMCPServer(_Server):
    """An MCP server shared by every namespace: the same objects, in the shared namespace
    (``ome-mcp-system`` unless ``shared_namespace`` or ``metadata.namespace``), its gateway
    open to clients from all namespaces."""

    _kind: Kind = "ClusterMCPServer"
    _type_token = CLUSTER_MCP_SERVER_TYPE

    def __init__(
        self, name: str, args: ClusterMCPServerArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(name, args, opts)


class PermissionProfile(pulumi.ComponentResource):
    """A permission profile many servers can share: ConfigMap ``<p>`` (key
    ``permissions.json``, the OEP's ConfigMap format). A server of the same namespace
    uses it when given the component itself as ``spec["permissionProfile"]``, or when it
    names it (``{"type": "configMap", "configMap": {"name": <p>}}``) and is created after
    it (``registry``)."""

    #: Name of the ConfigMap (``<p>``, the profile's ``metadata.name``).
    config_map_name: pulumi.Output[str]
    #: Namespace of the ConfigMap.
    namespace: pulumi.Output[str]
    #: Where the profile lives and what it holds, known while the program runs.
    profile_handle: ProfileHandle

    def __init__(
        self, name: str, args: PermissionProfileArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        resource = f"PermissionProfile '{name}'"
        values = argument_values(args, frozenset({"metadata", "spec"}), resource)
        metadata = parse_model(
            ObjectMetadata, values.get("metadata") or {}, resource=resource, root="metadata"
        )
        profile_name = metadata.name if metadata.name is not None else name
        resource = f"PermissionProfile '{profile_name}'"
        arguments.check_config_map_name(profile_name, resource)
        if values.get("spec") is None:
            raise SpecValidationError(resource, Issue("spec", "field required"))
        spec = parse_model(PermissionProfileSpec, values["spec"], resource=resource, root="spec")
        namespace = metadata.namespace or defaults.DEFAULT_NAMESPACE
        manifest = profile_config_map(
            profile_name, namespace, spec,
            extra_labels=metadata.labels, annotations=metadata.annotations,
        )
        props = {
            "metadata": {"name": profile_name, "namespace": namespace,
                         "labels": dict(metadata.labels),
                         "annotations": dict(metadata.annotations)},
            "spec": spec.wire(),
        }
        self.profile_handle = ProfileHandle(profile_name, namespace, spec)
        # servers of this program find the profile by name (registry), with no cluster
        # read; raises, before anything is registered, if one already planned to read it
        registry.track()
        registry.current().declare(Declared(
            namespace, profile_name, self, dict(manifest["data"]), resource,
            self.profile_handle))
        super().__init__(PERMISSION_PROFILE_TYPE, name, props, opts)
        self.config_map = _create(
            f"{name}-config-map", manifest["apiVersion"], manifest["kind"], _fields(manifest),
            pulumi.ResourceOptions(parent=self),
        )
        self.config_map_name = pulumi.Output.from_input(profile_name)
        self.namespace = pulumi.Output.from_input(namespace)
        self.register_outputs(
            {"config_map_name": self.config_map_name, "namespace": self.namespace}
        )


__all__ = [
    "CLUSTER_MCP_SERVER_TYPE",
    "MCP_SERVER_TYPE",
    "PERMISSION_PROFILE_TYPE",
    "ClusterMCPServer",
    "ClusterMCPServerArgs",
    "MCPServer",
    "MCPServerArgs",
    "PermissionProfile",
    "PermissionProfileArgs",
]
