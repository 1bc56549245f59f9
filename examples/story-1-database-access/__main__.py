"""OEP-0005 user story 1: a data scientist's database tools as an MCP server.

Alice deploys a PostgreSQL MCP server in her team's namespace. The database URL comes
from the Secret ``postgres-credentials`` (created outside the stack: only its name is
here); the builtin ``network`` profile lets the server reach the database (every
address but the cloud metadata endpoint); clients authenticate with Kubernetes
service-account tokens for the audience ``data-tools``. The OEP's InferenceService is
OME's and deployed by OME, so it is not part of this program. ``manifest.yaml`` is the
same stack as OME YAML.
"""

import pulumi

from ome_mcp_components import MCPServer

postgres = MCPServer(
    "postgres-mcp",
    {
        "metadata": {"namespace": "data-science"},
        "spec": {
            "type": "Hosted",
            "image": "mcp/postgres-server:latest",
            "transport": "streamable-http",
            "secrets": [
                {"name": "postgres-credentials", "key": "url", "targetEnvName": "DATABASE_URL"},
            ],
            "permissionProfile": {"type": "builtin", "name": "network"},
            "oidcConfig": {
                "type": "kubernetes",
                "kubernetes": {"audience": "data-tools", "namespace": "data-science"},
            },
        },
    },
)

pulumi.export("url", postgres.url)
pulumi.export("status", postgres.status)
