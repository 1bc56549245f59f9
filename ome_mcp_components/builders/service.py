"""The Services: ``<n>-backend`` to the server pods, ``<n>`` (the public endpoint) to the
gateway pods. Both are ClusterIP: exposing a server outside the cluster is a choice the
platform makes with its own Ingress or Gateway API objects."""

from __future__ import annotations

import copy
from typing import Any

from ome_mcp_components.builders import gateway
from ome_mcp_components.builders.gateway_deployment import gateway_replicas
from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.builders.server_pod import MCP_PORT_NAME
from ome_mcp_components.plan.context import ServerContext
from ome_mcp_components.vocabulary import labels, names

#: Service fields for a public Service in front of several gateway replicas: the runner
#: keeps MCP sessions in memory, so a client must keep reaching the same replica.
SESSION_AFFINITY: dict[str, Any] = {
    "sessionAffinity": "ClientIP",
    "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 1800}},
}


def backend_service(ctx: ServerContext) -> dict[str, Any]:
    """Service ``<n>-backend``: ``targetPort`` of the server pods, for the gateway only
    (the server NetworkPolicy admits nothing else)."""
    port = ctx.spec.resolved_target_port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(ctx, names.backend_service(ctx.name), labels.SERVER),
        "spec": {
            "type": "ClusterIP",
            "selector": labels.selector(ctx.name, labels.SERVER),
            "ports": [
                {"name": MCP_PORT_NAME, "port": port, "targetPort": MCP_PORT_NAME,
                 "protocol": "TCP"}
            ],
        },
    }


def public_service(ctx: ServerContext) -> dict[str, Any]:
    """Service ``<n>``: ``port`` of the gateway pods, the endpoint in the server's URL.

    In front of several gateway replicas it keeps each client on one replica
    (``SESSION_AFFINITY``): the gateway holds MCP sessions in memory.
    """
    spec: dict[str, Any] = {
        "type": "ClusterIP",
        "selector": labels.selector(ctx.name, labels.GATEWAY),
        "ports": [
            {"name": MCP_PORT_NAME, "port": ctx.spec.port,
             "targetPort": gateway.GATEWAY_PORT_NAME, "protocol": "TCP"}
        ],
    }
    if gateway_replicas(ctx) > 1:
        spec.update(copy.deepcopy(SESSION_AFFINITY))
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(ctx, names.public_service(ctx.name), labels.GATEWAY),
        "spec": spec,
    }
