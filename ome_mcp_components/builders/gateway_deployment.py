"""Deployment ``<n>-gateway``: the authenticating MCP proxy in front of the server.

A pod with the security defaults, the gateway ServiceAccount, the gateway container
(``builders.gateway_container``) and its volumes: the RunConfig from ConfigMap
``<n>-gateway``, a projected service-account token, and ``/tmp``. The token is mounted
explicitly (``automountServiceAccountToken: false``) because the runner builds a
Kubernetes client at start-up on every gateway (``gateway.py``, *Mounts*). The pod
template carries the config-hash annotation that rolls the pods when their
configuration changes and, with metrics on, the scrape annotations.
"""

from __future__ import annotations

from typing import Any

from ome_mcp_components.builders import gateway, security
from ome_mcp_components.builders.config_maps import gateway_config_inputs
from ome_mcp_components.builders.gateway_container import (
    CONFIG_VOLUME,
    TMP_VOLUME,
    TOKEN_VOLUME,
    gateway_container,
)
from ome_mcp_components.builders.meta import object_meta, pod_labels
from ome_mcp_components.plan.context import ServerContext, ServerShape
from ome_mcp_components.vocabulary import labels, names
from ome_mcp_components.vocabulary.keys import RUN_CONFIG_KEY

#: Pod-template annotation holding the hash of the gateway's configuration: a change of
#: the configuration changes the template, so Kubernetes rolls the gateway pods.
CONFIG_HASH_ANNOTATION = "ome.io/gateway-config-hash"
#: Lifetime of the projected token (the kubelet refreshes it; Kubernetes' own default).
TOKEN_EXPIRATION_SECONDS = 3607
#: The conventional annotations that tell a Prometheus where to scrape a pod.
SCRAPE_ANNOTATIONS = ("prometheus.io/scrape", "prometheus.io/port", "prometheus.io/path")


def gateway_replicas(shape: ServerShape) -> int:
    """One gateway pod per server pod; a stdio server's gateway runs alone (one attach)."""
    return shape.spec.effective_replicas


def gateway_deployment(ctx: ServerContext) -> dict[str, Any]:
    """Deployment ``<n>-gateway``."""
    config_hash = gateway.config_hash(gateway_config_inputs(ctx))
    pod: dict[str, Any] = {
        "serviceAccountName": names.gateway_service_account(ctx.name),
        "automountServiceAccountToken": gateway_automount_token(ctx),
        # no environment variables describing every Service of the namespace
        "enableServiceLinks": False,
        "securityContext": security.pod_security_context(),
        "containers": [gateway_container(ctx)],
        "volumes": gateway_volumes(ctx),
    }
    spec: dict[str, Any] = {
        "replicas": gateway_replicas(ctx),
        "selector": {"matchLabels": labels.selector(ctx.name, labels.GATEWAY)},
    }
    if gateway.is_stdio(ctx):
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
                                    **gateway_pod_annotations(ctx)},
                },
                "spec": pod,
            },
        },
    }


def gateway_volumes(ctx: ServerContext) -> list[dict[str, Any]]:
    """The volumes of the gateway pod: config, projected service account, ``/tmp``."""
    return [
        {"name": CONFIG_VOLUME, "configMap": {
            "name": names.gateway_config_map(ctx.name),
            "items": [{"key": RUN_CONFIG_KEY, "path": RUN_CONFIG_KEY}]}},
        {"name": TOKEN_VOLUME, "projected": {"sources": [
            {"serviceAccountToken": {"path": "token",
                                     "expirationSeconds": TOKEN_EXPIRATION_SECONDS}},
            {"configMap": {"name": "kube-root-ca.crt",
                           "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
        ]}},
        {"name": TMP_VOLUME, "emptyDir": {"sizeLimit": "64Mi"}},
    ]


def gateway_automount_token(ctx: ServerContext) -> bool:
    """Always False: the token is mounted explicitly (``gateway_volumes``)."""
    return False


def gateway_pod_annotations(ctx: ServerContext) -> dict[str, str]:
    """Scrape annotations of the gateway pods (when metrics are on): the runner serves
    ``gateway.METRICS_PATH`` on the gateway's own port."""
    if not ctx.telemetry.metrics.enabled:
        return {}
    scrape, port, path = SCRAPE_ANNOTATIONS
    return {scrape: "true", port: str(gateway.gateway_port(ctx)), path: gateway.METRICS_PATH}
