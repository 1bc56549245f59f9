"""``MCPServer`` and ``ClusterMCPServer``: a server's objects as children of one
component, its outputs and its status (the package's docstring has the objects)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

import pulumi
import pulumi_kubernetes as k8s

from ome_mcp_components.builders import Slot, layout
from ome_mcp_components.components import registry, resources, status
from ome_mcp_components.components.resources import Manifest
from ome_mcp_components.components.status import ServerStatus, Workload
from ome_mcp_components.models import MCPServerSpec, ObjectMetadata
from ome_mcp_components.plan.context import Kind, NetworkEnforcement
from ome_mcp_components.plan.resolve import ServerPlan, Settlement, plan_server
from ome_mcp_components.vocabulary.tokens import CLUSTER_MCP_SERVER_TYPE, MCP_SERVER_TYPE

#: The arguments' class of a server component.
ArgsT = TypeVar("ArgsT")


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


#: The roles of the workloads a status is derived from, and the side each serves.
_WORKLOAD_ROLES: dict[str, status.Side] = {"server": "server", "gateway": "gateway"}


def _status(
    plan: ServerPlan, slots: list[Slot], created: Mapping[str, pulumi.CustomResource],
) -> pulumi.Output[ServerStatus]:
    """The server's status from the live ``status`` of its workloads (``status.py``);
    ``slots`` are its objects (each workload's kind and name; the spec says the desired
    replicas)."""
    url, namespace = plan.shape.url, plan.namespace
    shapes: list[Workload] = []
    outputs: list[pulumi.Output[Any]] = []
    for slot in slots:
        if slot.role not in _WORKLOAD_ROLES:
            continue
        shapes.append(Workload(side=_WORKLOAD_ROLES[slot.role], kind=slot.kind,
                               namespace=namespace, name=slot.name,
                               desired=plan.shape.spec.effective_replicas))
        outputs.append(created[slot.role].status)  # type: ignore[attr-defined]
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


class _PlainOutputs(NamedTuple):
    """A server's four plain outputs, as ``register_outputs`` records them."""

    url: str
    namespace: str
    service_name: str | None
    service_account_name: str | None


class _Server(pulumi.ComponentResource, Generic[ArgsT]):
    """What MCPServer and ClusterMCPServer share (``ArgsT``: their arguments' class).

    The subclasses add no ``__init__`` of their own: Pulumi records the call stack of
    every resource it registers, so each frame between the program and a child's
    constructor is paid once per child (bench/README.md, "Component/bare")."""

    #: The OEP's ``MCPServerStatus`` (``url``, ``phase``, ``replicas``, ``readyReplicas``,
    #: ``conditions``, ``message``), from the live workloads (``components.status``).
    status: pulumi.Output[ServerStatus]

    _kind: Kind
    _type_token: str
    #: The four plain outputs, kept alone (the shape would keep the whole spec alive)
    _outputs: _PlainOutputs

    def __init__(
        self, name: str, args: ArgsT | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        registry.track()
        program = registry.current()
        plan = plan_server(self._kind, name, args, program.find)
        slots = layout(plan.shape, plan.known)
        objects: list[Manifest] | None = None
        if not plan.reads:  # pure: a failure here registers nothing either
            context = plan.context()
            objects = [slot.fill(context) for slot in slots]
        super().__init__(self._type_token, name, plan.props(), opts)
        depends_on = [d for d in plan.depends_on if isinstance(d, pulumi.Resource)]
        # no depends_on at all when there is nothing to wait for: an empty list still costs
        # the SDK a dependency gathering per child (bench/README.md)
        child = pulumi.ResourceOptions(parent=self, depends_on=depends_on or None)
        if objects is None:
            read_opts = pulumi.ResourceOptions(
                parent=self, depends_on=[*depends_on, *_explicit_dependencies(opts)])
            fills = self._fills_from_reads(name, plan, slots, program, read_opts)
        else:
            fills = [resources.fields(obj) for obj in objects]
        created: dict[str, pulumi.CustomResource] = {}
        for slot, fields in zip(slots, fills, strict=True):
            created[slot.role] = resources.create(
                f"{name}-{slot.role}", slot.api_version, slot.kind, fields, child)
        for warning in plan.warnings:
            pulumi.log.warn(warning, resource=self)

        shape = plan.shape
        self._outputs = _PlainOutputs(
            shape.url, shape.namespace, shape.service_name, shape.service_account_name)
        self.status = _status(plan, slots, created)
        # the plain values, not the attributes' outputs: the same state, and an output
        # nobody reads costs the SDK futures and a task to wait for (bench/README.md)
        self.register_outputs({**self._outputs._asdict(), "status": self.status})

    @functools.cached_property
    def url(self) -> pulumi.Output[str]:
        """In-cluster URL clients use (``http://<n>.<ns>.svc.cluster.local:<port>/mcp``, or
        ``/sse``); a Remote server without gateway: its own ``spec.url``."""
        return pulumi.Output.from_input(self._outputs.url)

    @functools.cached_property
    def namespace(self) -> pulumi.Output[str]:
        """Namespace of the server's objects."""
        return pulumi.Output.from_input(self._outputs.namespace)

    @functools.cached_property
    def service_name(self) -> pulumi.Output[str | None]:
        """The Service clients connect to (``<n>``); None for a Remote server without
        gateway, which has no objects at all."""
        return pulumi.Output.from_input(self._outputs.service_name)

    @functools.cached_property
    def service_account_name(self) -> pulumi.Output[str | None]:
        """ServiceAccount of the server pods (``<n>`` or ``spec.serviceAccount``); None for
        a Remote server, which runs no pods of its own."""
        return pulumi.Output.from_input(self._outputs.service_account_name)

    def _fills_from_reads(
        self, name: str, plan: ServerPlan, slots: list[Slot],
        program: registry.ProgramRegistry, read_opts: pulumi.ResourceOptions,
    ) -> list[dict[str, pulumi.Output[Any]]]:
        """Read the referenced ConfigMaps (from the cluster, or the outputs of the
        program's own ConfigMaps), settle the plan with their data (``resolve.settle``,
        the path known data took) and fill each slot's fields from the result."""
        data: dict[str, pulumi.Output[Any]] = {}
        for read in plan.reads:
            if isinstance(read.source, k8s.core.v1.ConfigMap):
                data[read.role] = read.source.data
                continue
            if read.source is None:
                program.reading(plan.namespace, read.config_map, plan.resource)
            data[read.role] = k8s.core.v1.ConfigMap.get(
                f"{name}-{read.role}-ref", f"{plan.namespace}/{read.config_map}",
                opts=read_opts).data
        settlement = pulumi.Output.all(**data).apply(plan.settlement)
        settlement.apply(self._warn_all)
        context = settlement.apply(plan.context)
        fills: list[dict[str, pulumi.Output[Any]]] = []
        for slot in slots:
            manifest = context.apply(slot.fill)
            fills.append({key: manifest.apply(functools.partial(resources.field, key=key))
                          for key in slot.fields})
        return fills

    def _warn_all(self, settlement: Settlement) -> None:
        for warning in settlement.warnings:
            pulumi.log.warn(warning, resource=self)


class MCPServer(_Server[MCPServerArgs]):
    """An MCP server in its own namespace (``default`` unless ``metadata.namespace``):
    the objects of design.md §3. ``MCPServer(name, args, opts=None)``: ``args`` is
    ``MCPServerArgs`` or a mapping with the same keys."""

    _kind: Kind = "MCPServer"
    _type_token = MCP_SERVER_TYPE


class ClusterMCPServer(_Server[ClusterMCPServerArgs]):
    """An MCP server shared by every namespace: the same objects, in the shared namespace
    (``ome-mcp-system`` unless ``shared_namespace`` or ``metadata.namespace``), its gateway
    open to clients from all namespaces. ``ClusterMCPServer(name, args, opts=None)``:
    ``args`` is ``ClusterMCPServerArgs`` or a mapping with the same keys."""

    _kind: Kind = "ClusterMCPServer"
    _type_token = CLUSTER_MCP_SERVER_TYPE
