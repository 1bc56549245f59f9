"""OEP-0005 deployment pattern 3: an external MCP service, authenticated in the cluster.

The sales team uses a CRM vendor's MCP server, hosted outside the cluster at
``https://mcp.crm-system.company.com``. As a ``Remote`` server it runs no workload
here; because it sets ``oidcConfig``, the component deploys a gateway that checks each
caller's token against the company's identity provider (issuer
``https://auth.company.com``, audience ``crm-api-access``) and proxies to the external
URL. The exported ``url`` is the gateway's in-cluster URL. ``manifest.yaml`` is the
same stack as OME YAML.
"""

import pulumi

from ome_mcp_components import MCPServer

crm = MCPServer(
    "external-crm-api",
    {
        "metadata": {"namespace": "sales"},
        "spec": {
            "type": "Remote",
            "url": "https://mcp.crm-system.company.com",
            "transport": "streamable-http",
            "oidcConfig": {
                "type": "inline",
                "inline": {"issuer": "https://auth.company.com", "audience": "crm-api-access"},
            },
        },
    },
)

pulumi.export("url", crm.url)
pulumi.export("status", crm.status)
