"""The server workload: Deployment for HTTP transports, one-pod StatefulSet for stdio."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from expected import SERVER_SELECTOR, meta

from ome_mcp_components.builders.server_pod import server_pod_template
from ome_mcp_components.builders.workload import server_deployment, server_statefulset
from ome_mcp_components.plan.context import ServerContext

MakeCtx = Callable[..., ServerContext]
MakeSpec = Callable[..., dict[str, Any]]


@pytest.mark.parametrize(
    ("overrides", "replicas"),
    [
        ({"transport": "streamable-http"}, 1),
        ({"transport": "streamable-http", "replicas": 3}, 3),
        ({"transport": "sse", "replicas": 0}, 0),
    ],
    ids=["streamable-http -> 1 replica", "replicas 3 -> 3", "sse scaled to zero -> 0"],
)
def test_deployment(
    make_ctx: MakeCtx, make_spec: MakeSpec, overrides: dict[str, Any], replicas: int
) -> None:
    ctx = make_ctx(make_spec(**overrides))
    assert server_deployment(ctx) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta("demo", "mcp-server"),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": SERVER_SELECTOR},
            "template": server_pod_template(ctx),
        },
    }


@pytest.mark.parametrize(
    ("overrides", "replicas"),
    [
        ({}, 1),
        ({"transport": "stdio"}, 1),
        ({"replicas": 4}, 1),
        ({"replicas": 0}, 0),
    ],
    ids=[
        "defaulted stdio -> one pod",
        "explicit stdio -> one pod",
        "defaulted stdio with replicas 4 -> still one pod",
        "stdio scaled to zero -> 0",
    ],
)
def test_statefulset(
    make_ctx: MakeCtx, make_spec: MakeSpec, overrides: dict[str, Any], replicas: int
) -> None:
    ctx = make_ctx(make_spec(**overrides))
    assert server_statefulset(ctx) == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta("demo", "mcp-server"),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": SERVER_SELECTOR},
            "template": server_pod_template(ctx),
        },
    }


def test_user_metadata_reaches_the_workload(make_ctx: MakeCtx, make_spec: MakeSpec) -> None:
    ctx = make_ctx(make_spec(), labels={"team": "data", "ome.io/mcp-server": "spoofed"},
                   annotations={"owner": "data@example.com"})
    metadata = server_statefulset(ctx)["metadata"]
    assert metadata["labels"]["team"] == "data"
    assert metadata["labels"]["ome.io/mcp-server"] == "demo"
    assert metadata["annotations"] == {"owner": "data@example.com"}
