"""OEP-0005 user story 3: shared MCP services for every team.

Carol's platform team runs one enterprise-tools MCP server for the whole cluster: a
``ClusterMCPServer`` in the shared namespace ``ome-mcp-system`` whose gateway accepts
clients from every namespace. It runs three replicas (with PodDisruptionBudgets),
authenticates Kubernetes service-account tokens for the audience ``enterprise-tools``
and authorizes with the OEP's Cedar policies.

Those policies are the OEP's, unchanged, and the component warns that as written they
admit no one: the first uses actions and a resource type that MCP requests never carry
(``Action::"read"``, ``ResourceType::"database"``), so it can never match; both rely on
groups (``developers``, ``admins``), which Kubernetes service-account tokens do not
carry. ``docs/auth.md`` shows policies in the MCP model (``Action::"call_tool"`` on
``Tool::"<name>"``, service accounts named by ``principal.claim_sub``).
``manifest.yaml`` is the same stack as OME YAML.
"""

import pulumi

from ome_mcp_components import ClusterMCPServer

DEVELOPERS_POLICY = """\
permit(
  principal in Group::"developers",
  action in [Action::"read", Action::"query"],
  resource in ResourceType::"database"
) when {
  principal.department == resource.department
};
"""

ADMINS_POLICY = """\
permit(
  principal in Group::"admins",
  action,
  resource
);
"""

ENTITIES = """\
[
  {
    "uid": {"type": "Group", "id": "developers"},
    "attrs": {},
    "parents": []
  },
  {
    "uid": {"type": "Group", "id": "admins"},
    "attrs": {},
    "parents": []
  }
]
"""

shared_tools = ClusterMCPServer(
    "shared-tools-mcp",
    {
        "metadata": {},
        "spec": {
            "type": "Hosted",
            "image": "mcp/enterprise-tools:v2.1.0",
            "transport": "streamable-http",
            "replicas": 3,
            "oidcConfig": {
                "type": "kubernetes",
                "kubernetes": {
                    "audience": "enterprise-tools",
                    "issuer": "https://kubernetes.default.svc",
                },
            },
            "authzConfig": {
                "type": "inline",
                "inline": {
                    "policies": [DEVELOPERS_POLICY, ADMINS_POLICY],
                    "entitiesJSON": ENTITIES,
                },
            },
        },
    },
)

pulumi.export("url", shared_tools.url)
pulumi.export("status", shared_tools.status)
