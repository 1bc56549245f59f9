"""The offline "cluster" behind the recording monitor.

- a managed resource gets its inputs back as outputs (``metadata.name`` is not
  auto-named, so programs should name their objects);
- ``ConfigMap.get(name, "ns/name")`` is answered from the ConfigMaps the run was given;
  a ConfigMap not held there is a ``ConfigReferenceError``; other reads get an object
  holding only their metadata;
- provider functions (invokes) cannot be answered and raise ``OmeMcpError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

from ome_mcp_components.errors import ConfigReferenceError, OmeMcpError
from ome_mcp_components.vocabulary.tokens import CONFIG_MAP_TYPE

ConfigMapData = Mapping[tuple[str, str], Mapping[str, str]]
"""ConfigMaps that exist in the cluster: ``(namespace, name) -> data``."""


class OfflineCluster(pulumi_mocks.Mocks):
    """What the monitor answers: inputs echoed back, reads served from known ConfigMaps."""

    def __init__(self, config_maps: ConfigMapData) -> None:
        self._config_maps = config_maps

    def new_resource(
        self, args: pulumi_mocks.MockResourceArgs
    ) -> tuple[str | None, dict[Any, Any]]:
        if args.resource_id and args.custom is None:  # a read: MockMonitor.ReadResource
            return args.resource_id, self._read(args.typ, args.resource_id)
        return _resource_id(args.name, args.typ, args.inputs), dict(args.inputs)

    def call(
        self, args: pulumi_mocks.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        raise OmeMcpError(
            f"function {args.token}",
            "provider functions cannot be answered offline; ome-mcp renders programs "
            "that only declare resources",
        )

    def _read(self, type_: str, resource_id: str) -> dict[str, Any]:
        namespace, _, name = resource_id.rpartition("/")
        if type_ != CONFIG_MAP_TYPE:
            return {"metadata": {"name": name, **({"namespace": namespace} if namespace else {})}}
        namespace = namespace or "default"  # no namespace: the provider's default one
        metadata = {"name": name, "namespace": namespace}
        data = self._config_maps.get((namespace, name))
        if data is None:
            raise ConfigReferenceError(
                f"ConfigMap {namespace}/{name}",
                "the program reads it from the cluster, and there is no offline copy. If "
                "the program creates it, create it before the server that references it "
                "(a pulumi_kubernetes ConfigMap with a literal metadata.name, or a "
                "PermissionProfile component, which may also be passed itself as "
                "spec.permissionProfile), or pass its data in the server's config_maps= "
                f"({{{name!r}: {{...}}}}); if it exists in the cluster, give a copy with "
                "--cluster-state FILE",
            )
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": dict(data)}


def _resource_id(name: str, type_: str, inputs: Mapping[str, Any]) -> str:
    """The ID a provider would give: ``namespace/name`` for namespaced Kubernetes objects."""
    metadata = inputs.get("metadata")
    if type_.startswith("kubernetes:") and isinstance(metadata, dict) and "name" in metadata:
        namespace = metadata.get("namespace")
        return f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])
    return f"{name}-id"
