"""Pulumi type tokens: the components' own and the provider's types we look for."""

from __future__ import annotations

#: The components' type tokens (package ``ome-mcp``, module ``index``).
MCP_SERVER_TYPE = "ome-mcp:index:MCPServer"
CLUSTER_MCP_SERVER_TYPE = "ome-mcp:index:ClusterMCPServer"
PERMISSION_PROFILE_TYPE = "ome-mcp:index:PermissionProfile"
SERVER_TYPES = frozenset({MCP_SERVER_TYPE, CLUSTER_MCP_SERVER_TYPE})

#: pulumi-kubernetes' ConfigMap, which references by name resolve to.
CONFIG_MAP_TYPE = "kubernetes:core/v1:ConfigMap"
#: The root resource of every Pulumi program.
STACK_TYPE = "pulumi:pulumi:Stack"


def kubernetes_kind(resource_type: str) -> str | None:
    """``"Deployment"`` for ``"kubernetes:apps/v1:Deployment"``; None for other providers."""
    parts = resource_type.split(":")
    if len(parts) == 3 and parts[0] == "kubernetes":
        return parts[2]
    return None
