"""The recording monitor and engine: what a program registers, reads and logs.

``RecordingMonitor`` is Pulumi's ``MockMonitor`` (answered by the ``OfflineCluster``)
writing each registration and read into a ``Recording``, in arrival order;
``RecordingEngine`` writes ``pulumi.log`` lines into it. ``transforms`` (resource and
stack) are not run, and a warning says so; the older ``transformations`` run in the SDK
and do apply.
"""

from __future__ import annotations

import threading
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto import engine_pb2, resource_pb2

from ome_mcp_components.errors import OmeMcpError
from ome_mcp_components.offline.engine.cluster import OfflineCluster
from ome_mcp_components.offline.recording import RecordedResource, Recording, urn_type_and_name
from ome_mcp_components.offline.values import plain_struct, to_struct
from ome_mcp_components.vocabulary.tokens import STACK_TYPE

_NO_TRANSFORMS = (
    "transforms are not applied offline; the recorded inputs are the untransformed ones"
)

_LOG_LEVELS = {
    engine_pb2.INFO: "info",
    engine_pb2.WARNING: "warning",
    engine_pb2.ERROR: "error",
}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A ``MockMonitor`` that records every registration and read, in arrival order.

    A custom resource's response echoes its serialized inputs, so the program's outputs
    keep their secrets marked as secrets; a local component's carries no outputs, as the
    engine's does. The recording holds the plain (secret-free) form.
    """

    def __init__(self, cluster: OfflineCluster, recording: Recording) -> None:
        super().__init__(cluster)
        self._recording = recording
        self._stack_urn = ""
        self._urns: set[str] = set()
        self._lock = threading.Lock()

    def RegisterResource(  # noqa: N802 (the gRPC method's name)
        self, request: resource_pb2.RegisterResourceRequest
    ) -> resource_pb2.RegisterResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = plain_struct(request.object)
        if request.type == STACK_TYPE:
            self._stack_urn = urn
        local_component = not request.custom and not request.remote
        resource_id = None if local_component else self.mocks.new_resource(
            pulumi_mocks.MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=inputs,
                provider=request.provider,
                resource_id=request.importId,
                custom=request.custom,
            )
        )[0]
        self._record(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                inputs=inputs,
                custom=request.custom,
                provider=request.provider or None,
                dependencies=tuple(dict.fromkeys(request.dependencies)),
                property_dependencies={
                    key: tuple(request.propertyDependencies[key].urns)
                    for key in sorted(request.propertyDependencies)
                },
            )
        )
        if request.transforms:
            self._recording.warnings.append(
                f"warning: {request.type} ({request.name}): {_NO_TRANSFORMS}"
            )
        if local_component:
            # as the engine answers a local component (and the stack): no outputs, its
            # inputs stay the program's own (pulumi's source_eval.go); the cluster is not
            # asked, a component is nothing in it
            return resource_pb2.RegisterResourceResponse(urn=urn)
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=(resource_id or "") if request.custom else "", object=request.object
        )

    def ReadResource(  # noqa: N802 (the gRPC method's name)
        self, request: resource_pb2.ReadResourceRequest
    ) -> resource_pb2.ReadResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        _, state = self.mocks.new_resource(
            pulumi_mocks.MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=plain_struct(request.properties),
                provider=request.provider,
                resource_id=request.id,
            )
        )
        self._record(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                inputs=state,
                custom=True,
                read=True,
                provider=request.provider or None,
                dependencies=tuple(dict.fromkeys(request.dependencies)),
            )
        )
        return resource_pb2.ReadResourceResponse(urn=urn, properties=to_struct(state))

    def RegisterStackTransform(  # noqa: N802 (the gRPC method's name)
        self, request: Any
    ) -> Any:
        self._recording.warnings.append(f"warning: stack transform: {_NO_TRANSFORMS}")
        return super().RegisterStackTransform(request)  # type: ignore[no-untyped-call]

    def RegisterResourceOutputs(  # noqa: N802 (the gRPC method's name)
        self, request: resource_pb2.RegisterResourceOutputsRequest
    ) -> Any:
        if request.urn == self._stack_urn:
            self._recording.outputs = plain_struct(request.outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """Pulumi's URN: the parents' types (not the stack's) ``$``-joined before the type."""
        if parent and parent != self._stack_urn:
            type_ = f"{parent.split('::')[2]}${type_}"
        stack, project = pulumi.get_stack(), pulumi.get_project()
        return f"urn:pulumi:{stack}::{project}::{type_}::{name}"

    def _record(self, resource: RecordedResource) -> None:
        with self._lock:
            if resource.urn in self._urns:
                raise OmeMcpError(
                    f"{resource.type} '{resource.name}'",
                    f"duplicate resource URN {resource.urn}; give each resource a unique "
                    "name within its parent",
                )
            self._urns.add(resource.urn)
            self._recording.resources.append(resource)


class RecordingEngine(pulumi_mocks.MockEngine):
    """Writes ``pulumi.log`` info, warning and error lines into the recording.

    A line about a resource names it: ``warning: <type> (<name>): <message>``.
    """

    def __init__(self, recording: Recording) -> None:
        super().__init__(None)
        self._recording = recording

    def Log(self, request: engine_pb2.LogRequest) -> None:  # noqa: N802 (the gRPC method)
        level = _LOG_LEVELS.get(request.severity)
        if level is None:  # debug lines: Pulumi's own tracing
            return
        if request.urn:
            type_, name = urn_type_and_name(request.urn) or ("", request.urn)
            self._recording.warnings.append(f"{level}: {type_} ({name}): {request.message}")
        else:
            self._recording.warnings.append(f"{level}: {request.message}")
