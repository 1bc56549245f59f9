"""PodDisruptionBudgets ``<n>`` and ``<n>-gateway``, for sides with more than one replica.

``maxUnavailable: 1`` rather than ``minAvailable: 1``: a drain evicts one pod at a time
whatever the replica count, so the server keeps ``replicas - 1`` pods serving, and a
budget that tracks the replica count can never block a drain of healthy pods.
"""

from __future__ import annotations

from typing import Any

from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.plan.context import ServerContext
from ome_mcp_components.vocabulary import labels, names

#: Pods of one side a voluntary disruption may take down at once.
MAX_UNAVAILABLE = 1


def _pdb(ctx: ServerContext, name: str, component: labels.Component) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": object_meta(ctx, name, component),
        "spec": {
            "maxUnavailable": MAX_UNAVAILABLE,
            "selector": {"matchLabels": labels.selector(ctx.name, component)},
        },
    }


def server_pdb(ctx: ServerContext) -> dict[str, Any]:
    """PodDisruptionBudget ``<n>`` of the server pods."""
    return _pdb(ctx, names.server_pdb(ctx.name), labels.SERVER)


def gateway_pdb(ctx: ServerContext) -> dict[str, Any]:
    """PodDisruptionBudget ``<n>-gateway`` of the gateway pods."""
    return _pdb(ctx, names.gateway_pdb(ctx.name), labels.GATEWAY)
