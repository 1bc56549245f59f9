"""Pulumi components that deploy Model Context Protocol servers on Kubernetes, secure by default.

::

    from ome_mcp_components import MCPServer, ClusterMCPServer, PermissionProfile

    MCPServer("postgres-mcp", {"metadata": {"namespace": "data-science"}, "spec": {...}})

See ``components`` for the arguments, the objects each component creates and its outputs.
"""

from ome_mcp_components.components import (
    ClusterMCPServer,
    ClusterMCPServerArgs,
    MCPServer,
    MCPServerArgs,
    PermissionProfile,
    PermissionProfileArgs,
)
from ome_mcp_components.components.registry import track as _track
from ome_mcp_components.errors import (
    ConfigReferenceError,
    ManifestError,
    OmeMcpError,
    SpecValidationError,
)
from ome_mcp_components.models import MCPServerSpec, PermissionProfileSpec

# Imported inside a running program: note the ConfigMaps it creates from here on, so that
# servers find them by name without a cluster read (``registry``; nothing outside a run).
_track()

__all__ = [
    "ClusterMCPServer",
    "ClusterMCPServerArgs",
    "ConfigReferenceError",
    "MCPServer",
    "MCPServerArgs",
    "MCPServerSpec",
    "ManifestError",
    "OmeMcpError",
    "PermissionProfile",
    "PermissionProfileArgs",
    "PermissionProfileSpec",
    "SpecValidationError",
]
