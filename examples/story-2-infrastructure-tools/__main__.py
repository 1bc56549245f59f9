"""OEP-0005 user story 2: infrastructure tools with a custom permission profile.

Bob deploys an MCP server with OCI and Kubernetes tools. Its credentials come from the
Secrets ``oci-credentials`` and ``kubeconfig`` (created outside the stack; only their
names are here). Its permission profile is the ConfigMap ``infra-permissions``, which
this program creates and also hands to the server (``config_maps``), so the server's
egress rules and writable ``/tmp`` are computed from it when the program runs, without
reading the cluster.

The profile names hosts (``*.ocicloud.com``, ``kubernetes.default.svc``), which a
Kubernetes NetworkPolicy cannot express: ``network_enforcement="cilium"`` adds a
CiliumNetworkPolicy with ``toFQDNs`` and the ``kube-apiserver`` entity. That option is
this example's addition to the OEP's YAML (``manifest.yaml`` sets it as the annotation
``ome.io/network-enforcement: cilium``).

As in the OEP, the Secrets' contents reach the server in ``OCI_SHARED_CREDENTIALS_FILE``
and ``KUBECONFIG``; tools that expect file paths there need the Secrets mounted as
volumes instead (``volumes``/``volumeMounts`` in the spec).
"""

import pulumi
import pulumi_kubernetes as k8s

from ome_mcp_components import MCPServer

NAMESPACE = "devops"

# The profile exactly as the OEP's ConfigMap holds it (the OEP's permission JSON format).
INFRA_PERMISSIONS = """\
{
  "read": ["/etc/ssl/certs", "/tmp"],
  "write": ["/tmp"],
  "network": {
    "outbound": {
      "allowHost": [
        "*.ocicloud.com",
        "kubernetes.default.svc"
      ],
      "allowPort": [443, 6443]
    }
  }
}
"""

permissions = k8s.core.v1.ConfigMap(
    "infra-permissions",
    metadata={"name": "infra-permissions", "namespace": NAMESPACE},
    data={"policy.json": INFRA_PERMISSIONS},
)

infra_tools = MCPServer(
    "infra-tools-mcp",
    {
        "metadata": {"namespace": NAMESPACE},
        "spec": {
            "type": "Hosted",
            "image": "mcp/infra-tools:latest",
            "transport": "streamable-http",
            "capabilities": {"tools": True, "resources": True},
            "secrets": [
                {"name": "oci-credentials", "key": "credentials",
                 "targetEnvName": "OCI_SHARED_CREDENTIALS_FILE"},
                {"name": "kubeconfig", "key": "config", "targetEnvName": "KUBECONFIG"},
            ],
            "permissionProfile": {
                "type": "configMap",
                "configMap": {"name": "infra-permissions", "key": "policy.json"},
            },
            "resources": {
                "requests": {"cpu": "100m", "memory": "256Mi"},
                "limits": {"cpu": "500m", "memory": "1Gi"},
            },
        },
        "network_enforcement": "cilium",
        "config_maps": {"infra-permissions": {"policy.json": INFRA_PERMISSIONS}},
    },
    opts=pulumi.ResourceOptions(depends_on=[permissions]),
)

pulumi.export("url", infra_tools.url)
pulumi.export("status", infra_tools.status)
