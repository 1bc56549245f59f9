"""PodDisruptionBudgets of the two sides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from expected import GATEWAY_SELECTOR, SERVER_SELECTOR, meta

from ome_mcp_components.builders.pdb import gateway_pdb, server_pdb
from ome_mcp_components.plan.context import ServerContext

MakeCtx = Callable[..., ServerContext]


@pytest.mark.parametrize(
    ("builder", "name", "component", "selector"),
    [(server_pdb, "demo", "mcp-server", SERVER_SELECTOR),
     (gateway_pdb, "demo-gateway", "mcp-gateway", GATEWAY_SELECTOR)],
    ids=["server -> <n>", "gateway -> <n>-gateway"],
)
def test_pdb(
    make_ctx: MakeCtx, builder: Callable[[ServerContext], dict[str, Any]], name: str,
    component: str, selector: dict[str, str],
) -> None:
    ctx = make_ctx({"image": "x:1", "transport": "streamable-http", "replicas": 3})
    assert builder(ctx) == {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(name, component),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector}},
    }
