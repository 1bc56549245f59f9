"""The stack of ../profile-yaml/Pulumi.yaml in Python: the PermissionProfile component itself
is the server's permissionProfile."""

import pulumi

from ome_mcp_components import MCPServer, PermissionProfile

db_only = PermissionProfile("db-only", {
    "metadata": {"namespace": "yaml-profile"},
    "spec": {"network": {"outbound": {"allowHost": ["10.20.0.0/16"], "allowPort": [5432]}}},
})
orders = MCPServer("orders", {
    "metadata": {"namespace": "yaml-profile"},
    "spec": {
        "image": "ghcr.io/acme/orders-mcp:1.0.0",
        "transport": "streamable-http",
        "permissionProfile": db_only,
        "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "orders"}},
    },
})
pulumi.export("url", orders.url)
pulumi.export("status", orders.status)
