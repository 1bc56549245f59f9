"""OEP-0005 deployment pattern 1: departmental MCP services.

The data-science department runs its own tools server in its own namespace. The spec
sets no transport, so the server speaks stdio (the OEP's default): it runs as a
one-replica StatefulSet and its gateway attaches to the server container's stdin
through the Kubernetes API (a Role allows exactly that, on pod
``data-science-tools-0``). The builtin ``network`` profile gives it egress to every
address but the cloud metadata endpoint. ``manifest.yaml`` is the same stack as OME
YAML.
"""

import pulumi

from ome_mcp_components import MCPServer

tools = MCPServer(
    "data-science-tools",
    {
        "metadata": {"namespace": "data-science"},
        "spec": {
            "image": "mcp/data-tools:latest",
            "permissionProfile": {"type": "builtin", "name": "network"},
            "env": [{"name": "DEPARTMENT", "value": "data-science"}],
        },
    },
)

pulumi.export("url", tools.url)
pulumi.export("status", tools.status)
