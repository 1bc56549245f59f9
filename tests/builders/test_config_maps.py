"""ConfigMaps: the gateway's config, the inline Cedar config, a PermissionProfile's."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from expected import meta

from ome_mcp_components.builders import gateway
from ome_mcp_components.builders.config_maps import (
    MAX_CONFIG_MAP_BYTES,
    authz_config_map,
    config_map_size,
    gateway_config_inputs,
    gateway_config_map,
    profile_config_map,
)
from ome_mcp_components.errors import SpecValidationError
from ome_mcp_components.models import PermissionProfileSpec
from ome_mcp_components.plan.context import ServerContext
from ome_mcp_components.vocabulary import keys

MakeCtx = Callable[..., ServerContext]
AUTHZ = {"type": "inline", "inline": {"policies": ['permit(principal, action, resource);']}}


def test_gateway_config_map(make_ctx: MakeCtx) -> None:
    ctx = make_ctx()
    assert gateway_config_map(ctx) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta("demo-gateway", "mcp-gateway"),
        "data": {keys.RUN_CONFIG_KEY: json.dumps(gateway.run_config(ctx), indent=2,
                                                sort_keys=True) + "\n"},
    }


def test_authz_config_map(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"image": "x:1", "authzConfig": AUTHZ})
    assert authz_config_map(ctx) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta("demo-authz", "mcp-gateway"),
        "data": gateway.authz_config_data(ctx),
    }


def test_config_hash_inputs_cover_the_authz_config_map(make_ctx: MakeCtx) -> None:
    plain = make_ctx()
    with_authz = make_ctx({"image": "x:1", "authzConfig": AUTHZ})
    assert sorted(gateway_config_inputs(plain)) == [f"demo-gateway/{keys.RUN_CONFIG_KEY}"]
    assert sorted(gateway_config_inputs(with_authz)) == sorted(
        [f"demo-gateway/{keys.RUN_CONFIG_KEY}",
         *(f"demo-authz/{key}" for key in gateway.authz_config_data(with_authz))]
    )


def test_profile_config_map() -> None:
    spec = PermissionProfileSpec.model_validate({"write": ["/tmp"]})
    assert profile_config_map("db-only", "analytics", spec, extra_labels={"team": "a"},
                              annotations={"note": "n"}) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "db-only",
            "namespace": "analytics",
            "labels": {
                "app.kubernetes.io/component": "permission-profile",
                "app.kubernetes.io/managed-by": "ome-mcp-components",
                "app.kubernetes.io/name": "db-only",
                "app.kubernetes.io/part-of": "ome-mcp",
                "team": "a",
            },
            "annotations": {"note": "n"},
        },
        "data": {"permissions.json": json.dumps(
            {"read": [], "write": ["/tmp"]}, indent=2, sort_keys=True) + "\n"},
    }


#: Policies that add up to more than 1 MiB: 300 of ~4 KB each (each tests many tools).
def _huge_authz() -> dict[str, object]:
    tools = ", ".join(f'"tool-{i:04d}-with-a-long-name"' for i in range(130))
    policies = [f'permit(principal, action, resource) when {{ [{tools}].contains('
                f'resource.name) && context.claim_n == {i} }};' for i in range(300)]
    return {"type": "inline", "inline": {"policies": policies}}


def test_a_config_map_kubernetes_would_refuse_for_its_size_is_refused(
        make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"image": "x:1", "authzConfig": _huge_authz()})
    with pytest.raises(SpecValidationError) as caught:
        gateway_config_map(ctx)
    message = str(caught.value)
    assert message.startswith("MCPServer 'demo': spec.authzConfig: ConfigMap demo-gateway "
                              "would hold ")
    assert "more than the 1 MiB (1,048,576 bytes) Kubernetes accepts" in message
    with pytest.raises(SpecValidationError, match="ConfigMap demo-authz would hold"):
        authz_config_map(ctx)


def test_the_size_is_what_the_api_server_counts() -> None:
    assert config_map_size({"a": "é"}) == 3
    assert MAX_CONFIG_MAP_BYTES == 1_048_576


def test_a_huge_profile_config_map_is_refused() -> None:
    hosts = [f"svc-{i:05d}.mirror.example.com" for i in range(45_000)]
    spec = PermissionProfileSpec.model_validate(
        {"network": {"outbound": {"allowHost": hosts}}})
    with pytest.raises(SpecValidationError, match=r"^PermissionProfile 'big': spec: ConfigMap "
                                                  r"big would hold [\d,]+ bytes"):
        profile_config_map("big", "tools", spec)
