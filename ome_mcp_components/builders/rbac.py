"""Role and RoleBinding ``<n>-gateway`` of a stdio server: what the gateway needs of the
Kubernetes API to attach to the server's pod ``<n>-0``, and nothing else.

The HTTP transports and Remote servers get neither: their gateways never call the API
(the runner only builds a client at start-up, ``gateway.py``).
"""

from __future__ import annotations

from typing import Any

from ome_mcp_components.builders import gateway
from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.plan.context import ServerContext, ServerShape
from ome_mcp_components.vocabulary import labels, names

RBAC_API_GROUP = "rbac.authorization.k8s.io"
RBAC_API_VERSION = f"{RBAC_API_GROUP}/v1"


def gateway_rbac_rules(shape: ServerShape) -> list[dict[str, Any]]:
    """The rules of Role ``<n>-gateway``; none unless the server is stdio.

    What the runner does through the API for stdio, and nothing more (its calls recorded
    by ``tests/gateway/test_gateway_kubernetes.py``): read StatefulSet ``<n>`` (ownership
    check, readiness), list pods to find ``app=<n>`` (a label selector, which
    ``resourceNames`` cannot narrow) and attach to ``<n>-0`` (``create``: the pinned
    runner attaches with an SPDY POST, never a WebSocket GET). It cannot create or change
    a workload. Once attached it also asks for Service ``<n>`` (port information only),
    is refused, and carries on.
    """
    if not gateway.is_stdio(shape):
        return []
    return [
        {"apiGroups": ["apps"], "resources": ["statefulsets"],
         "resourceNames": [names.server_workload(shape.name)], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["pods/attach"],
         "resourceNames": [names.stdio_pod(shape.name)], "verbs": ["create"]},
    ]


def needs_role(shape: ServerShape) -> bool:
    """True when the gateway needs any permission (a stdio server's gateway)."""
    return bool(gateway_rbac_rules(shape))


def gateway_role(ctx: ServerContext) -> dict[str, Any]:
    """Role ``<n>-gateway``."""
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "Role",
        "metadata": object_meta(ctx, names.gateway_role(ctx.name), labels.GATEWAY),
        "rules": gateway_rbac_rules(ctx),
    }


def gateway_role_binding(ctx: ServerContext) -> dict[str, Any]:
    """RoleBinding ``<n>-gateway``: the Role to the gateway's ServiceAccount."""
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "RoleBinding",
        "metadata": object_meta(ctx, names.gateway_role(ctx.name), labels.GATEWAY),
        "roleRef": {"apiGroup": RBAC_API_GROUP, "kind": "Role",
                    "name": names.gateway_role(ctx.name)},
        "subjects": [
            {"kind": "ServiceAccount", "name": names.gateway_service_account(ctx.name),
             "namespace": ctx.namespace}
        ],
    }
