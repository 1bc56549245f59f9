"""An insecure stack: what the policy pack must refuse (tests/policy/test_examples_pack.py
and tests/e2e/test_policy_pack_real.py)."""

import pulumi_kubernetes as k8s

from ome_mcp_components import ClusterMCPServer, MCPServer

# shared with every namespace, with neither authentication nor authorization
ClusterMCPServer("shared-tools", {"spec": {
    "image": "ghcr.io/acme/tools:v1.0.0", "transport": "streamable-http"}})
# egress to every address
MCPServer("open-egress", {"metadata": {"namespace": "tools"}, "spec": {
    "image": "ghcr.io/acme/tools:v1.0.0", "transport": "streamable-http",
    "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "open-egress"}},
    "permissionProfile": {"type": "inline", "inline": {
        "network": {"outbound": {"insecureAllowAll": True}}}}}})
# a hand-written workload next to the components
k8s.apps.v1.Deployment("legacy", metadata={"name": "legacy", "namespace": "tools"}, spec={
    "selector": {"matchLabels": {"app": "legacy"}},
    "template": {"metadata": {"labels": {"app": "legacy"}}, "spec": {
        "hostNetwork": True,
        "containers": [{"name": "app", "image": "legacy/tool:latest",
                        "securityContext": {"privileged": True}}]}}})
