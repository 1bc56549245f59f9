"""Demo stack: one team's MCP servers, secured by the components' defaults.

``pulumi up`` in the repository root deploys it (``ome-mcp render .`` and
``ome-mcp preview --policy-pack policy_pack .`` show it offline). Config:
``namespace`` (default ``mcp-demo``) and ``networkEnforcement`` (``kubernetes`` or
``cilium``, default ``kubernetes``).

- ``docs-search``: a streamable-http server, two replicas, reachable only with a
  Kubernetes service-account token of the namespace for the audience ``docs-search``
  (Cedar policy on the token subject), exposing two tools; it may reach only the
  internal documentation service's network on HTTPS (``PermissionProfile``
  ``docs-egress``, shared with any other server of the namespace).
- ``scratch-sqlite``: a stdio server with no network at all and one writable path,
  ``/data``.
- ``vendor-crm``: a Remote server outside the cluster, fronted by a gateway that checks
  the company identity provider's tokens.
"""

import pulumi

from ome_mcp_components import MCPServer, PermissionProfile

config = pulumi.Config()
namespace = config.get("namespace") or "mcp-demo"
network_enforcement = config.get("networkEnforcement") or "kubernetes"

docs_egress = PermissionProfile(
    "docs-egress",
    {
        "metadata": {"namespace": namespace},
        "spec": {
            "read": ["/etc/ssl/certs"],
            "network": {"outbound": {"allowHost": ["10.50.0.0/16"], "allowPort": [443]}},
        },
    },
)

docs_search = MCPServer(
    "docs-search",
    {
        "metadata": {"namespace": namespace, "labels": {"app.kubernetes.io/instance": "demo"}},
        "spec": {
            "image": "ghcr.io/acme/docs-search-mcp:0.7.2",
            "transport": "streamable-http",
            "replicas": 2,
            "permissionProfile": docs_egress,
            "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "docs-search"}},
            "authzConfig": {
                "type": "inline",
                "inline": {
                    "policies": [
                        "permit(principal, action == Action::\"call_tool\", resource) when "
                        f"{{ principal.claim_sub like \"system:serviceaccount:{namespace}:*\" }};",
                    ],
                },
            },
            "toolsFilter": ["search_docs", "get_page"],
        },
        "network_enforcement": network_enforcement,
    },
)

scratch = MCPServer(
    "scratch-sqlite",
    {
        "metadata": {"namespace": namespace},
        "spec": {
            "image": "mcp/sqlite:1.0.0",
            "transport": "stdio",
            "args": ["--db-path", "/data/scratch.db"],
            "permissionProfile": {"type": "inline", "inline": {"write": ["/data"]}},
            "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "scratch-sqlite"}},
        },
        "network_enforcement": network_enforcement,
    },
)

crm = MCPServer(
    "vendor-crm",
    {
        "metadata": {"namespace": namespace},
        "spec": {
            "type": "Remote",
            "url": "https://mcp.crm-vendor.example.com/mcp",
            "oidcConfig": {
                "type": "inline",
                "inline": {"issuer": "https://login.acme.example", "audience": "vendor-crm"},
            },
        },
        "network_enforcement": network_enforcement,
    },
)

pulumi.export("docs_search_url", docs_search.url)
pulumi.export("scratch_sqlite_url", scratch.url)
pulumi.export("vendor_crm_url", crm.url)
pulumi.export("docs_search_status", docs_search.status)
pulumi.export("scratch_sqlite_status", scratch.status)
pulumi.export("vendor_crm_status", crm.status)
