"""Role and RoleBinding ``<n>-gateway`` of a stdio server: the gateway may attach to the
server's one pod, ``<n>-0``, and do nothing else with the Kubernetes API."""

from __future__ import annotations

from typing import Any

from ome_mcp_components import labels, names
from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.context import ServerContext

RBAC_API_VERSION = "rbac.authorization.k8s.io/v1"
#: ``pods`` get: read the pod (phase, container ``mcp`` running) before attaching to it.
POD_VERBS = ("get",)
#: ``pods/attach``: ``create`` for the SPDY attach (POST); ``get`` for the WebSocket
#: upgrade (GET), which older API servers authorize as ``get``.
ATTACH_VERBS = ("create", "get")


def gateway_role_rules(n: str) -> list[dict[str, Any]]:
    """The rules of ``<n>-gateway``, limited by ``resourceNames`` to pod ``<n>-0``."""
    pod = [names.stdio_pod(n)]
    return [
        {"apiGroups": [""], "resources": ["pods"], "resourceNames": pod,
         "verbs": list(POD_VERBS)},
        {"apiGroups": [""], "resources": ["pods/attach"], "resourceNames": pod,
         "verbs": list(ATTACH_VERBS)},
    ]


def gateway_role(ctx: ServerContext) -> dict[str, Any]:
    """Role ``<n>-gateway``."""
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "Role",
        "metadata": object_meta(ctx, names.gateway_role(ctx.name), labels.GATEWAY),
        "rules": gateway_role_rules(ctx.name),
    }


def gateway_role_binding(ctx: ServerContext) -> dict[str, Any]:
    """RoleBinding ``<n>-gateway``: the Role to the gateway's ServiceAccount."""
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "RoleBinding",
        "metadata": object_meta(ctx, names.gateway_role(ctx.name), labels.GATEWAY),
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": names.gateway_role(ctx.name),
        },
        "subjects": [
            {"kind": "ServiceAccount", "name": names.gateway_service_account(ctx.name),
             "namespace": ctx.namespace}
        ],
    }
