"""One hosted server; config ``name``, ``replicas`` and ``tool`` (the tool its one Cedar
policy permits) are what the update tests change between two ``pulumi up``s."""

import pulumi

from ome_mcp_components import MCPServer

config = pulumi.Config()
name = config.get("name") or "notes"
tool = config.get("tool") or "search"

server = MCPServer(name, {
    "metadata": {"namespace": "updates"},
    "spec": {
        "image": "ghcr.io/acme/notes-mcp:1.2.0",
        "transport": "streamable-http",
        "replicas": config.get_int("replicas") or 1,
        "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "notes"}},
        "authzConfig": {"type": "inline", "inline": {"policies": [
            f'permit(principal, action == Action::"call_tool", resource == Tool::"{tool}");',
        ]}},
    },
})
pulumi.export("url", server.url)
