"""The shared vocabulary: one definition, imported by the components and the policy pack."""

from __future__ import annotations

from typing import Any

import pytest
from ome_mcp_policy import _base, components, stack, workloads

from ome_mcp_components.models import MCPServerSpec
from ome_mcp_components.vocabulary import keys, labels, servers, tokens, wire


def test_the_pack_uses_the_components_names_not_copies() -> None:
    assert components.MCP_SERVER_TYPE is tokens.MCP_SERVER_TYPE
    assert components.SERVER_TYPES is tokens.SERVER_TYPES
    assert stack.PROFILE_KEY is keys.PROFILE_KEY
    assert _base.RUN_CONFIG_KEY is keys.RUN_CONFIG_KEY
    assert workloads.COMPONENT_LABEL is labels.COMPONENT_LABEL
    assert (workloads.SERVER_COMPONENT, workloads.GATEWAY_COMPONENT) == (
        labels.SERVER, labels.GATEWAY)
    assert stack.plain is wire.plain


REMOTE = {"type": "Remote", "url": "https://mcp.example.com/mcp"}
OIDC = {"type": "kubernetes", "kubernetes": {}}
AUTHZ = {"type": "inline", "inline": {"policies": ["permit(principal, action, resource);"]}}


@pytest.mark.parametrize(("spec", "expected"), [
    ({"image": "ghcr.io/acme/mcp:1.0"}, True),
    (REMOTE, False),
    ({**REMOTE, "oidcConfig": OIDC}, True),
    ({**REMOTE, "authzConfig": AUTHZ}, True),
])
def test_has_gateway_is_one_rule_for_the_spec_and_its_wire_form(
        spec: dict[str, Any], expected: bool) -> None:
    model = MCPServerSpec.model_validate(spec)
    assert servers.has_gateway(hosted=model.type == "Hosted",
                               oidc=model.oidc_config is not None,
                               authz=model.authz_config is not None) is expected
    assert servers.wire_spec_has_gateway(model.wire()) is expected


def test_plain_is_what_json_would_decode() -> None:
    class Proxy(dict[str, Any]):
        pass

    assert wire.plain(Proxy(port=8080.0, ratio=0.5, hosts=("a", "b"), name="x")) == {
        "port": 8080, "ratio": 0.5, "hosts": ["a", "b"], "name": "x"}
    assert type(wire.plain(Proxy())) is dict
    assert wire.plain("abc") == "abc"


def test_kubernetes_kind_of_a_type_token() -> None:
    assert tokens.kubernetes_kind("kubernetes:apps/v1:Deployment") == "Deployment"
    assert tokens.kubernetes_kind(tokens.MCP_SERVER_TYPE) is None
