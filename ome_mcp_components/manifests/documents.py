"""What a manifest document becomes: one typed document per kind, and the kinds known."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: The API group and version of OME's resources.
OME_API_VERSION = "ome.io/v1beta1"
#: The kinds of ``OME_API_VERSION`` that become components.
SERVER_KINDS = ("MCPServer", "ClusterMCPServer")
PROFILE_KIND = "PermissionProfile"
#: OME's other kinds: not MCP resources, skipped with a note (OME's controllers deploy them).
OME_OTHER_KINDS = frozenset({
    "InferenceService", "ServingRuntime", "ClusterServingRuntime", "BaseModel",
    "ClusterBaseModel", "FineTunedModel", "BenchmarkJob", "InferenceGraph",
    "AcceleratorClass",
})

ServerKind = Literal["MCPServer", "ClusterMCPServer"]


@dataclass(frozen=True)
class _NamespacedDocument:
    """A document of a namespaced object named ``<namespace>/<name>`` in Pulumi."""

    where: str
    name: str
    namespace: str
    metadata: dict[str, Any]

    @property
    def resource_name(self) -> str:
        """The Pulumi resource name: ``<namespace>/<name>``."""
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ConfigMapDocument(_NamespacedDocument):
    """A ``v1 ConfigMap`` document: created as written, its data shared with servers."""

    data: dict[str, str]
    binary_data: dict[str, str]
    immutable: bool | None


@dataclass(frozen=True)
class ProfileDocument(_NamespacedDocument):
    """A ``PermissionProfile`` document."""

    spec: Any


@dataclass(frozen=True)
class ServerDocument:
    """An ``MCPServer`` or ``ClusterMCPServer`` document with its option annotations
    turned into component arguments."""

    where: str
    kind: ServerKind
    name: str
    #: The namespace the server's objects go to (the shared one for a ClusterMCPServer).
    namespace: str
    metadata: dict[str, Any]
    spec: Any
    options: dict[str, str] = field(default_factory=dict)

    @property
    def resource_name(self) -> str:
        """The Pulumi resource name: ``<namespace>/<name>``, or ``<name>`` for a
        ClusterMCPServer (cluster-scoped)."""
        return self.name if self.kind == "ClusterMCPServer" else f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class SkippedDocument:
    """A document that is not an MCP resource (OME's other kinds), or that no server used
    (a ToolHive MCPToolConfig or MCPOIDCConfig)."""

    where: str
    kind: str
    name: str
    #: Why it is skipped, when it is not one of OME's other kinds.
    reason: str | None = None

    @property
    def note(self) -> str:
        """The line logged when the program runs."""
        if self.reason is not None:
            return f"{self.where}: {self.kind} '{self.name}': {self.reason}"
        return (f"{self.where}: {self.kind} '{self.name}' ({OME_API_VERSION}) is not an MCP "
                f"resource; skipped (OME deploys it, not ome-mcp)")


@dataclass(frozen=True)
class Manifests:
    """Every document of a set of files, sorted by what it becomes, in file order."""

    config_maps: tuple[ConfigMapDocument, ...] = ()
    profiles: tuple[ProfileDocument, ...] = ()
    servers: tuple[ServerDocument, ...] = ()
    skipped: tuple[SkippedDocument, ...] = ()
