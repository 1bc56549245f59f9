"""A server referencing three ConfigMaps that exist in the cluster before the program runs
(created by the test, not by this program): they are read at deploy time and shape the
objects (egress from the profile, the gateway's OIDC and Cedar config)."""

import pulumi

from ome_mcp_components import MCPServer

server = MCPServer("ledger", {
    "metadata": {"namespace": "refs"},
    "spec": {
        "image": "ghcr.io/acme/ledger-mcp:2.0.1",
        "transport": "streamable-http",
        "permissionProfile": {"type": "configMap",
                              "configMap": {"name": "ledger-profile", "key": "permissions.json"}},
        "oidcConfig": {"type": "configMap", "configMap": {"name": "ledger-oidc"}},
        "authzConfig": {"type": "configMap", "configMap": {"name": "ledger-authz"}},
    },
})
pulumi.export("url", server.url)
