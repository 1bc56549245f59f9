"""``resolve.plan_server``: whatever the arguments, a plan or one of the package's errors,
never a traceback from inside the library."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import valid_specs

from ome_mcp_components.builders import layout, render
from ome_mcp_components.errors import OmeMcpError
from ome_mcp_components.plan.resolve import plan_server

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
spec_keys = st.sampled_from([
    "type", "image", "url", "transport", "replicas", "port", "targetPort", "args", "env",
    "volumeMounts", "secrets", "serviceAccount", "permissionProfile", "podTemplateSpec",
    "oidcConfig", "authzConfig", "toolsFilter", "resources", "tolerations", "nodeSelector",
    "affinity", "volumes",
])
arg_keys = st.sampled_from(
    ["metadata", "network_enforcement", "gateway_image", "config_maps", "shared_namespace",
     "bogus"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_specs(), st.dictionaries(spec_keys, json_values, max_size=3),
       st.dictionaries(arg_keys, json_values, max_size=2),
       st.sampled_from(["MCPServer", "ClusterMCPServer"]))
def test_any_input_gives_a_plan_or_a_package_error(
    spec: dict[str, Any], override: dict[str, Any], args: dict[str, Any], kind: Any
) -> None:
    errors: list[OmeMcpError] = []
    try:
        plan = plan_server(kind, "demo", {"spec": {**spec, **override}, **args})
    except OmeMcpError as error:
        errors.append(error)
    else:
        slots = layout(plan.shape, plan.known)
        if not plan.reads:
            assert [obj["metadata"]["name"] for obj in render(plan.context())] == [
                slot.name for slot in slots]
    assert all(error.issues for error in errors)
