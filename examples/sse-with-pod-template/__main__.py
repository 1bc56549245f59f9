"""An SSE MCP server customised through its pod: scheduling, volumes, a pod template.

A web-search MCP server speaking Server-Sent Events, two replicas (so both the server
and its gateway get a PodDisruptionBudget). Clients connect to the gateway on port
8080 at ``/sse``; the server itself listens on 3000 (``targetPort``).

- ``serviceAccount`` names an existing ServiceAccount, ``web-search-reader``, so the
  component creates none for the server (its token is still not mounted).
- ``tolerations``, ``nodeSelector`` and ``affinity`` put the pods on the dedicated MCP
  nodes, preferably one per node.
- ``volumes``/``volumeMounts`` mount the ConfigMap ``web-search-config`` (created here)
  read-only, and an ``emptyDir`` cache.
- ``podTemplateSpec`` adds pod labels and annotations, a priority class and a topology
  spread, and, through the container named ``mcp``, an environment variable and a
  startup probe; the security defaults stay as they are.
- The builtin ``network`` profile: egress to every address but the cloud metadata
  endpoint.

``manifest.yaml`` is the same stack as OME YAML.
"""

import pulumi
import pulumi_kubernetes as k8s

from ome_mcp_components import MCPServer

NAMESPACE = "research"

SEARCH_CONFIG = """\
engines:
  - duckduckgo
  - wikipedia
max_results: 10
safe_search: strict
"""

search_config = k8s.core.v1.ConfigMap(
    "web-search-config",
    metadata={"name": "web-search-config", "namespace": NAMESPACE},
    data={"config.yaml": SEARCH_CONFIG},
)

web_search = MCPServer(
    "web-search",
    {
        "metadata": {"namespace": NAMESPACE},
        "spec": {
            "image": "ghcr.io/acme/web-search-mcp:2.3.0",
            "transport": "sse",
            "replicas": 2,
            "port": 8080,
            "targetPort": 3000,
            "serviceAccount": "web-search-reader",
            "permissionProfile": {"type": "builtin", "name": "network"},
            "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "web-search"}},
            "tolerations": [
                {"key": "dedicated", "operator": "Equal", "value": "mcp",
                 "effect": "NoSchedule"},
            ],
            "nodeSelector": {"kubernetes.io/os": "linux", "node-pool": "mcp"},
            "affinity": {
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [{
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": {
                                "ome.io/mcp-server": "web-search",
                                "app.kubernetes.io/component": "mcp-server",
                            }},
                        },
                    }],
                },
            },
            "volumes": [
                {"name": "search-config", "configMap": {"name": "web-search-config"}},
                {"name": "cache", "emptyDir": {"sizeLimit": "256Mi"}},
            ],
            "volumeMounts": [
                {"name": "search-config", "mountPath": "/etc/web-search", "readOnly": True},
                {"name": "cache", "mountPath": "/var/cache/web-search"},
            ],
            "podTemplateSpec": {
                "metadata": {
                    "labels": {"cost-center": "research"},
                    "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
                },
                "spec": {
                    "priorityClassName": "mcp-standard",
                    "terminationGracePeriodSeconds": 20,
                    "topologySpreadConstraints": [{
                        "maxSkew": 1,
                        "topologyKey": "topology.kubernetes.io/zone",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": {"ome.io/mcp-server": "web-search"}},
                    }],
                    "containers": [{
                        "name": "mcp",
                        "env": [{"name": "SEARCH_CONFIG", "value": "/etc/web-search/config.yaml"}],
                        "startupProbe": {
                            "tcpSocket": {"port": 3000},
                            "periodSeconds": 5,
                            "failureThreshold": 24,
                        },
                    }],
                },
            },
            "resources": {
                "requests": {"cpu": "100m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"},
            },
        },
        "config_maps": {"web-search-config": {"config.yaml": SEARCH_CONFIG}},
    },
    opts=pulumi.ResourceOptions(depends_on=[search_config]),
)

pulumi.export("url", web_search.url)
pulumi.export("status", web_search.status)
