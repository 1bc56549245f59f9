"""Deployment ``<n>-gateway``: the authenticating MCP proxy in front of the server.

The container, its volumes and whether the pod mounts a service-account token come
from the gateway contract (``gateway.py``); this module only wraps them in a pod with
the security defaults, the gateway ServiceAccount, the config-hash annotation that
rolls the pods when their configuration changes and, with metrics on, the scrape
annotations.
"""

from __future__ import annotations

from typing import Any

from ome_mcp_components import gateway, labels, names, security
from ome_mcp_components.builders.config_maps import gateway_config_inputs
from ome_mcp_components.builders.meta import object_meta, pod_labels
from ome_mcp_components.context import ServerContext

#: Pod-template annotation holding the hash of the gateway's configuration: a change of
#: the configuration changes the template, so Kubernetes rolls the gateway pods.
CONFIG_HASH_ANNOTATION = "ome.io/gateway-config-hash"


def gateway_replicas(ctx: ServerContext) -> int:
    """One gateway pod per server pod; a stdio server's gateway runs alone (one attach)."""
    return ctx.spec.effective_replicas


def gateway_deployment(ctx: ServerContext) -> dict[str, Any]:
    """Deployment ``<n>-gateway``."""
    config_hash = gateway.config_hash(gateway_config_inputs(ctx))
    pod: dict[str, Any] = {
        "serviceAccountName": names.gateway_service_account(ctx.name),
        "automountServiceAccountToken": gateway.gateway_automount_token(ctx),
        # no environment variables describing every Service of the namespace
        "enableServiceLinks": False,
        "securityContext": security.pod_security_context(),
        "containers": [gateway.gateway_container(ctx)],
    }
    volumes = gateway.gateway_volumes(ctx)
    if volumes:
        pod["volumes"] = volumes
    spec: dict[str, Any] = {
        "replicas": gateway_replicas(ctx),
        "selector": {"matchLabels": labels.selector(ctx.name, labels.GATEWAY)},
    }
    if ctx.hosted and not ctx.spec.is_http:
        # stdio: the old gateway detaches before the new one attaches (a rolling update
        # would run two gateways on one stdin for a while)
        spec["strategy"] = {"type": "Recreate"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(ctx, names.gateway_deployment(ctx.name), labels.GATEWAY),
        "spec": {
            **spec,
            "template": {
                "metadata": {
                    "labels": pod_labels(ctx, labels.GATEWAY),
                    "annotations": {CONFIG_HASH_ANNOTATION: config_hash,
                                    **gateway.gateway_pod_annotations(ctx)},
                },
                "spec": pod,
            },
        },
    }
