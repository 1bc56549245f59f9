"""A streamable-http MCP server with every protection on.

An analytics MCP server (two replicas) that only the right people can use, and that
can only reach its databases:

- ``PermissionProfile`` ``analytics-db-only`` (ConfigMap ``analytics-db-only``, key
  ``permissions.json``, reusable by other servers of the namespace) allows PostgreSQL
  and Redis on two private CIDRs and one address, and ``/tmp`` as the only writable
  path; the server is given the component itself.
- Inline OIDC: tokens of the company's identity provider, for the audience
  ``analytics-mcp``; the JWKS is fetched from the URL given.
- Inline Cedar (one policy per entry): the ``analysts`` group may call the three
  read-only tools; ``data-engineers`` may call every tool the filter lets through.
- ``toolsFilter``: only these four tools are exposed at all.
- The database URL comes from the Secret ``analytics-db`` (created outside the stack;
  only its name is here).

``manifest.yaml`` is the same stack as OME YAML.
"""

import pulumi

from ome_mcp_components import MCPServer, PermissionProfile

NAMESPACE = "analytics"
READ_ONLY_TOOLS = ["run_query", "list_tables", "describe_table"]

db_only = PermissionProfile(
    "analytics-db-only",
    {
        "metadata": {"namespace": NAMESPACE},
        "spec": {
            "write": ["/tmp"],
            "network": {
                "outbound": {
                    "allowHost": ["10.40.0.0/16", "10.41.8.0/24", "10.42.3.17"],
                    "allowPort": [5432, 6379],
                },
            },
        },
    },
)

analytics = MCPServer(
    "analytics-mcp",
    {
        "metadata": {"namespace": NAMESPACE, "labels": {"team": "analytics"}},
        "spec": {
            "image": "ghcr.io/acme/analytics-mcp:1.8.0",
            "transport": "streamable-http",
            "replicas": 2,
            "port": 8080,
            "targetPort": 8000,
            "secrets": [{"name": "analytics-db", "key": "dsn", "targetEnvName": "DATABASE_URL"}],
            "permissionProfile": db_only,
            "oidcConfig": {
                "type": "inline",
                "inline": {
                    "issuer": "https://login.acme.example/realms/platform",
                    "audience": "analytics-mcp",
                    "jwksURL": "https://login.acme.example/realms/platform/protocol/openid-connect/certs",
                },
            },
            "authzConfig": {
                "type": "inline",
                "inline": {
                    "policies": [
                        'permit(principal in Group::"analysts", '
                        'action == Action::"call_tool", resource) '
                        'when { ["run_query", "list_tables", "describe_table"]'
                        ".contains(resource.name) };",
                        'permit(principal in Group::"data-engineers", '
                        'action == Action::"call_tool", resource is Tool);',
                    ],
                },
            },
            "toolsFilter": [*READ_ONLY_TOOLS, "refresh_materialized_view"],
            "resources": {
                "requests": {"cpu": "200m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "1Gi"},
            },
        },
    },
)

pulumi.export("url", analytics.url)
pulumi.export("status", analytics.status)
pulumi.export("permission_profile", db_only.config_map_name)
