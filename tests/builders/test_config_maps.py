"""ConfigMaps: the gateway's config, the inline Cedar config, a PermissionProfile's."""

from __future__ import annotations

import json
from collections.abc import Callable

from expected import meta

from ome_mcp_components import gateway
from ome_mcp_components.builders.config_maps import (
    authz_config_map,
    gateway_config_inputs,
    gateway_config_map,
    profile_config_map,
)
from ome_mcp_components.context import ServerContext
from ome_mcp_components.models import PermissionProfileSpec

MakeCtx = Callable[..., ServerContext]
AUTHZ = {"type": "inline", "inline": {"policies": ['permit(principal, action, resource);']}}


def test_gateway_config_map(make_ctx: MakeCtx) -> None:
    ctx = make_ctx()
    assert gateway_config_map(ctx) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta("demo-gateway", "mcp-gateway"),
        "data": {gateway.CONFIG_KEY: json.dumps(gateway.run_config(ctx), indent=2,
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
    assert sorted(gateway_config_inputs(plain)) == [f"demo-gateway/{gateway.CONFIG_KEY}"]
    assert sorted(gateway_config_inputs(with_authz)) == sorted(
        [f"demo-gateway/{gateway.CONFIG_KEY}",
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
