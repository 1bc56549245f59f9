"""Properties of ``render`` over every valid spec (hypothesis): schema-valid objects,
restricted pods, the topology's invariants."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
from cilium_schema import cilium_policy_errors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_fixtures import build_ctx
from strategies import valid_specs

from ome_mcp_components.builders import render
from ome_mcp_components.plan.context import Kind, NetworkEnforcement
from ome_mcp_components.vocabulary import names

kinds: st.SearchStrategy[Kind] = st.sampled_from(["MCPServer", "ClusterMCPServer"])
enforcements: st.SearchStrategy[NetworkEnforcement] = st.sampled_from(["kubernetes", "cilium"])


def rendered(spec: dict[str, Any], kind: Kind, enforcement: NetworkEnforcement
             ) -> list[dict[str, Any]]:
    return render(build_ctx(spec, kind=kind, network_enforcement=enforcement))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_specs(), kinds, enforcements)
def test_every_object_is_schema_valid(spec: dict[str, Any], kind: Kind,
                                      enforcement: NetworkEnforcement) -> None:
    for obj in rendered(spec, kind, enforcement):
        if obj["kind"] == "CiliumNetworkPolicy":
            assert cilium_policy_errors(obj) == []
        else:
            kubernetes_validate.validate(obj, "1.34", strict=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_specs(), kinds, enforcements)
def test_every_pod_is_restricted_and_every_object_labelled(
    spec: dict[str, Any], kind: Kind, enforcement: NetworkEnforcement
) -> None:
    objects = rendered(spec, kind, enforcement)
    for obj in objects:
        assert obj["metadata"]["labels"]["ome.io/mcp-server"] == "demo"
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        pod = obj["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["readOnlyRootFilesystem"] is True
            assert container["resources"]["limits"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_specs(), kinds, enforcements)
def test_topology_invariants(spec: dict[str, Any], kind: Kind,
                             enforcement: NetworkEnforcement) -> None:
    objects = rendered(spec, kind, enforcement)
    keys = [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert len(keys) == len(set(keys))
    hosted = spec.get("type", "Hosted") == "Hosted"
    if not hosted and "oidcConfig" not in spec and "authzConfig" not in spec:
        assert objects == []
        return
    assert ("Service", names.public_service("demo")) in keys
    assert ("NetworkPolicy", names.gateway_network_policy("demo")) in keys
    workloads = [k for k in keys if k[0] in ("Deployment", "StatefulSet")]
    assert len(workloads) == (2 if hosted else 1)
    if hosted:
        assert ("NetworkPolicy", names.server_network_policy("demo")) in keys
        stdio = spec.get("transport", "stdio") == "stdio"
        assert (("StatefulSet", "demo") in keys) is stdio
        assert (("Role", names.gateway_role("demo")) in keys) is stdio
        assert (("Service", names.backend_service("demo")) in keys) is not stdio
        server = next(o for o in objects if o["kind"] in ("Deployment", "StatefulSet")
                      and o["metadata"]["name"] == "demo")
        (mcp,) = [c for c in server["spec"]["template"]["spec"]["containers"]
                  if c["name"] == "mcp"]
        env = {var["name"]: var for var in mcp.get("env", [])}
        for secret in spec.get("secrets", []):
            var = env[secret.get("targetEnvName") or secret["key"]]
            assert var == {"name": var["name"], "valueFrom": {"secretKeyRef": {
                "name": secret["name"], "key": secret["key"], "optional": False}}}
