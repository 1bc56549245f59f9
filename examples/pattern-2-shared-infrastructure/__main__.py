"""OEP-0005 deployment pattern 2: shared infrastructure services.

The platform team runs infrastructure tools for the whole cluster as a
``ClusterMCPServer`` in the shared namespace ``ome-mcp-system``. Its authorization
policies live in the ConfigMap ``infra-authz-policy``, which the OEP references but does
not define: this program defines it (ToolHive's ``cedarv1`` format under the default key
``authz.json``) and hands its data to the server (``config_maps``), so the policies are
checked with Cedar and embedded in the gateway's configuration when the program runs.

The policies follow the MCP authorization model (``docs/auth.md``): service accounts
of the ``platform-team`` namespace may call the tools that declare themselves read-only;
the ``devops-agent`` service account may call every tool; no one else may call
``drain_node``. ``authzConfig`` without ``oidcConfig`` gets the OEP's default OIDC type,
``kubernetes``, so callers present service-account tokens.

As in the OEP, the spec sets no transport, so the server speaks stdio (the OEP's
default), which runs exactly one replica: ``replicas: 3`` is ignored, with a warning.
``manifest.yaml`` is the same stack as OME YAML.
"""

import pulumi
import pulumi_kubernetes as k8s

from ome_mcp_components import ClusterMCPServer

SHARED_NAMESPACE = "ome-mcp-system"

AUTHZ_POLICY = """\
{
  "version": "1.0",
  "type": "cedarv1",
  "cedar": {
    "policies": [
      "permit(principal, action == Action::\\"call_tool\\", resource) when { principal.claim_sub like \\"system:serviceaccount:platform-team:*\\" && resource has readOnlyHint && resource.readOnlyHint };",
      "permit(principal == Client::\\"system:serviceaccount:platform-team:devops-agent\\", action == Action::\\"call_tool\\", resource);",
      "forbid(principal, action == Action::\\"call_tool\\", resource == Tool::\\"drain_node\\") unless { principal == Client::\\"system:serviceaccount:platform-team:devops-agent\\" };"
    ],
    "entities_json": "[]"
  }
}
"""  # noqa: E501 - one Cedar policy per JSON string, as the gateway reads them

authz_policy = k8s.core.v1.ConfigMap(
    "infra-authz-policy",
    metadata={"name": "infra-authz-policy", "namespace": SHARED_NAMESPACE},
    data={"authz.json": AUTHZ_POLICY},
)

infrastructure_tools = ClusterMCPServer(
    "infrastructure-tools",
    {
        "metadata": {},
        "spec": {
            "image": "mcp/infra-tools:latest",
            "replicas": 3,
            "authzConfig": {"type": "configMap", "configMap": {"name": "infra-authz-policy"}},
        },
        "config_maps": {"infra-authz-policy": {"authz.json": AUTHZ_POLICY}},
    },
    opts=pulumi.ResourceOptions(depends_on=[authz_policy]),
)

pulumi.export("url", infrastructure_tools.url)
pulumi.export("status", infrastructure_tools.status)
