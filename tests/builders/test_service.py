"""The Services: backend to the server pods, public to the gateway pods."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from expected import GATEWAY_SELECTOR, SERVER_SELECTOR, meta

from ome_mcp_components.builders import gateway
from ome_mcp_components.builders.service import SESSION_AFFINITY, backend_service, public_service
from ome_mcp_components.plan.context import ServerContext

MakeCtx = Callable[..., ServerContext]
MakeSpec = Callable[..., dict[str, Any]]


@pytest.mark.parametrize(
    ("overrides", "port"),
    [({"transport": "streamable-http"}, 8080),
     ({"transport": "sse", "port": 9000, "targetPort": 3000}, 3000)],
    ids=["default ports -> 8080", "targetPort 3000 -> backend on 3000"],
)
def test_backend_service(
    make_ctx: MakeCtx, make_spec: MakeSpec, overrides: dict[str, Any], port: int
) -> None:
    assert backend_service(make_ctx(make_spec(**overrides))) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta("demo-backend", "mcp-server"),
        "spec": {
            "type": "ClusterIP",
            "selector": SERVER_SELECTOR,
            "ports": [{"name": "mcp", "port": port, "targetPort": "mcp", "protocol": "TCP"}],
        },
    }


@pytest.mark.parametrize(
    ("spec", "port"),
    [({"image": "x:1", "transport": "sse", "port": 9000, "targetPort": 3000}, 9000),
     ({"image": "x:1"}, 8080),
     ({"type": "Remote", "url": "https://mcp.example.com/mcp", "port": 8443,
       "oidcConfig": {"type": "kubernetes"}}, 8443)],
    ids=["hosted sse port 9000 -> 9000", "stdio -> 8080", "remote with gateway -> 8443"],
)
def test_public_service(make_ctx: MakeCtx, spec: dict[str, Any], port: int) -> None:
    assert public_service(make_ctx(spec)) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta("demo", "mcp-gateway"),
        "spec": {
            "type": "ClusterIP",
            "selector": GATEWAY_SELECTOR,
            "ports": [{"name": "mcp", "port": port, "targetPort": gateway.GATEWAY_PORT_NAME,
                       "protocol": "TCP"}],
        },
    }


def test_public_service_keeps_clients_on_one_of_several_gateways(make_ctx: MakeCtx) -> None:
    spec = public_service(make_ctx({"image": "x:1", "transport": "sse", "replicas": 3}))["spec"]
    assert {k: spec[k] for k in SESSION_AFFINITY} == SESSION_AFFINITY
