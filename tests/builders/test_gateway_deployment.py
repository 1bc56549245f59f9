"""The gateway Deployment: the gateway contract's container in a restricted pod."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from expected import GATEWAY_SELECTOR, POD_SECURITY, labels, meta

from ome_mcp_components.builders import gateway
from ome_mcp_components.builders.config_maps import gateway_config_inputs
from ome_mcp_components.builders.gateway_container import gateway_container
from ome_mcp_components.builders.gateway_deployment import (
    CONFIG_HASH_ANNOTATION,
    gateway_automount_token,
    gateway_deployment,
    gateway_volumes,
)
from ome_mcp_components.plan.context import ServerContext

MakeCtx = Callable[..., ServerContext]


RECREATE = {"strategy": {"type": "Recreate"}}
#: Metrics are on by default: Prometheus' conventional annotations name the gateway port.
SCRAPE = {"prometheus.io/scrape": "true", "prometheus.io/port": "8080",
          "prometheus.io/path": "/metrics"}


@pytest.mark.parametrize(
    ("spec", "replicas", "strategy"),
    [
        ({"image": "x:1"}, 1, RECREATE),
        ({"image": "x:1", "replicas": 3}, 1, RECREATE),
        ({"image": "x:1", "transport": "streamable-http", "replicas": 3}, 3, {}),
        ({"type": "Remote", "url": "https://mcp.example.com/mcp",
          "oidcConfig": {"type": "kubernetes"}}, 1, {}),
    ],
    ids=[
        "stdio -> one gateway, recreated (never two attached)",
        "defaulted stdio with replicas 3 -> one gateway (one attach)",
        "streamable-http with 3 replicas -> 3 gateways",
        "remote with OIDC -> one gateway",
    ],
)
def test_gateway_deployment(make_ctx: MakeCtx, spec: dict[str, Any], replicas: int,
                            strategy: dict[str, Any]) -> None:
    ctx = make_ctx(spec)
    volumes = gateway_volumes(ctx)
    pod: dict[str, Any] = {
        "serviceAccountName": "demo-gateway",
        "automountServiceAccountToken": gateway_automount_token(ctx),
        "enableServiceLinks": False,
        "securityContext": POD_SECURITY,
        "containers": [gateway_container(ctx)],
    }
    if volumes:
        pod["volumes"] = volumes
    assert gateway_deployment(ctx) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta("demo-gateway", "mcp-gateway"),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": GATEWAY_SELECTOR},
            **strategy,
            "template": {
                "metadata": {
                    "labels": labels("mcp-gateway"),
                    "annotations": {
                        CONFIG_HASH_ANNOTATION: gateway.config_hash(gateway_config_inputs(ctx)),
                        **SCRAPE,
                    },
                },
                "spec": pod,
            },
        },
    }


def test_config_change_changes_the_hash(make_ctx: MakeCtx) -> None:
    def config_hash(ctx: ServerContext) -> str:
        annotations = gateway_deployment(ctx)["spec"]["template"]["metadata"]["annotations"]
        return str(annotations[CONFIG_HASH_ANNOTATION])

    base = make_ctx({"image": "x:1", "transport": "streamable-http"})
    moved = make_ctx({"image": "x:1", "transport": "streamable-http", "targetPort": 3000})
    assert config_hash(base) == config_hash(make_ctx({"image": "x:1",
                                                       "transport": "streamable-http"}))
    assert config_hash(base) != config_hash(moved)
