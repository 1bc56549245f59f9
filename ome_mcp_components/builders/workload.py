"""The server workload: a Deployment for the HTTP transports, a StatefulSet for stdio."""

from __future__ import annotations

from typing import Any

from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.builders.server_pod import server_pod_template
from ome_mcp_components.plan.context import ServerContext
from ome_mcp_components.vocabulary import labels, names


def server_deployment(ctx: ServerContext) -> dict[str, Any]:
    """Deployment ``<n>`` of an HTTP (streamable-http, sse) server, ``replicas`` pods."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(ctx, names.server_workload(ctx.name), labels.SERVER),
        "spec": {
            "replicas": ctx.spec.effective_replicas,
            "selector": {"matchLabels": labels.selector(ctx.name, labels.SERVER)},
            "template": server_pod_template(ctx),
        },
    }


def server_statefulset(ctx: ServerContext) -> dict[str, Any]:
    """StatefulSet ``<n>`` of a stdio server: one pod, ``<n>-0``, whose stdin the gateway
    attaches to.

    A StatefulSet rather than a Deployment because its pod name is stable, so the
    gateway's Role can name it. ``serviceName`` is left out (optional in the API since
    Kubernetes 1.29): nothing reaches a stdio server over the network, the gateway
    attaches through the API server, so the pod needs no DNS identity.
    """
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": object_meta(ctx, names.server_workload(ctx.name), labels.SERVER),
        "spec": {
            # one pod at most (zero when scaled down): two would race for one gateway
            "replicas": ctx.spec.effective_replicas,
            "selector": {"matchLabels": labels.selector(ctx.name, labels.SERVER)},
            "template": server_pod_template(ctx),
        },
    }
