"""OEP-0005 deployment pattern 4: a development and testing server.

A lightweight tools server for the ``development`` namespace: one replica, small
requests and limits, and the builtin ``none`` profile, so the server has no egress at
all and no writable path (its root file system is read-only, as always).
``manifest.yaml`` is the same stack as OME YAML.
"""

import pulumi

from ome_mcp_components import MCPServer

dev_tools = MCPServer(
    "dev-tools",
    {
        "metadata": {"namespace": "development"},
        "spec": {
            "image": "mcp/dev-tools:latest",
            "transport": "streamable-http",
            "replicas": 1,
            "permissionProfile": {"type": "builtin", "name": "none"},
            "resources": {
                "requests": {"cpu": "50m", "memory": "128Mi"},
                "limits": {"cpu": "200m", "memory": "512Mi"},
            },
        },
    },
)

pulumi.export("url", dev_tools.url)
pulumi.export("status", dev_tools.status)
