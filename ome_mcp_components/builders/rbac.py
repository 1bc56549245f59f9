"""Role and RoleBinding ``<n>-gateway`` of a stdio server: what the gateway needs of the
Kubernetes API to attach to the server's pod ``<n>-0``, and nothing else.

The rules themselves belong to the gateway contract (``gateway.gateway_rbac_rules``,
which says why each is needed); they are empty for the HTTP transports and Remote
servers, whose gateways never call the API.
"""

from __future__ import annotations

from typing import Any

from ome_mcp_components import gateway, labels, names
from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.context import ServerContext

RBAC_API_GROUP = "rbac.authorization.k8s.io"
RBAC_API_VERSION = f"{RBAC_API_GROUP}/v1"


def needs_role(ctx: ServerContext) -> bool:
    """True when the gateway needs any permission (a stdio server's gateway)."""
    return bool(gateway.gateway_rbac_rules(ctx))


def gateway_role(ctx: ServerContext) -> dict[str, Any]:
    """Role ``<n>-gateway``."""
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "Role",
        "metadata": object_meta(ctx, names.gateway_role(ctx.name), labels.GATEWAY),
        "rules": gateway.gateway_rbac_rules(ctx),
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
