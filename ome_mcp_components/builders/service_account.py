"""ServiceAccounts ``<n>`` (server) and ``<n>-gateway`` (gateway).

Neither automounts its token: the server never needs one, and the gateway pod decides
for itself what it mounts (``builders.gateway_deployment``: a projected token).
"""

from __future__ import annotations

from typing import Any

from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.plan.context import ServerContext
from ome_mcp_components.vocabulary import labels, names


def server_service_account(ctx: ServerContext) -> dict[str, Any]:
    """ServiceAccount ``<n>`` of the server pods (not rendered when ``spec.serviceAccount``
    names an existing one)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_meta(ctx, names.server_service_account(ctx.name), labels.SERVER),
        "automountServiceAccountToken": False,
    }


def gateway_service_account(ctx: ServerContext) -> dict[str, Any]:
    """ServiceAccount ``<n>-gateway`` of the gateway pods."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_meta(ctx, names.gateway_service_account(ctx.name), labels.GATEWAY),
        "automountServiceAccountToken": False,
    }
