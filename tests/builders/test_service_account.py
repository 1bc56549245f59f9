"""ServiceAccounts: neither mounts its token by default."""

from __future__ import annotations

from collections.abc import Callable

from expected import meta

from ome_mcp_components.builders.service_account import (
    gateway_service_account,
    server_service_account,
)
from ome_mcp_components.plan.context import ServerContext

MakeCtx = Callable[..., ServerContext]


def test_server_service_account(make_ctx: MakeCtx) -> None:
    assert server_service_account(make_ctx()) == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta("demo", "mcp-server"),
        "automountServiceAccountToken": False,
    }


def test_gateway_service_account(make_ctx: MakeCtx) -> None:
    assert gateway_service_account(make_ctx()) == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta("demo-gateway", "mcp-gateway"),
        "automountServiceAccountToken": False,
    }
