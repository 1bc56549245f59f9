"""A Remote MCP server without authentication: nothing to deploy, only a URL.

A public documentation-search MCP server outside the cluster. Without ``oidcConfig`` or
``authzConfig`` there is nothing for a gateway to enforce, so the component creates no
Kubernetes object at all; its ``url`` output is the server's own URL, which clients use
directly. (Add ``oidcConfig`` to put an authenticating gateway in front of it, as
``pattern-3-external-service`` does.) ``manifest.yaml`` is the same stack as OME YAML.
"""

import pulumi

from ome_mcp_components import MCPServer

docs = MCPServer(
    "public-docs",
    {
        "metadata": {"namespace": "research"},
        "spec": {
            "type": "Remote",
            "url": "https://docs-mcp.example.com/mcp",
            "transport": "streamable-http",
        },
    },
)

pulumi.export("url", docs.url)
pulumi.export("status", docs.status)
