"""ServiceMonitor ``<n>-gateway``: prometheus-operator scrapes the gateway's metrics.

Rendered only when asked for (``telemetry.metrics.service_monitor.enabled``): the
``monitoring.coreos.com/v1`` CRD must be installed. It selects the public Service ``<n>``
(the gateway pods) by its labels, in the server's namespace only, and scrapes
``/metrics`` on the Service port ``mcp`` over plain HTTP (the gateway serves no TLS
itself). Extra ``labels`` let a Prometheus' ``serviceMonitorSelector`` pick it up.
"""

from __future__ import annotations

from typing import Any

from ome_mcp_components.builders import gateway
from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.builders.server_pod import MCP_PORT_NAME
from ome_mcp_components.plan.context import ServerContext, ServerShape
from ome_mcp_components.vocabulary import labels, names

API_VERSION = "monitoring.coreos.com/v1"
KIND = "ServiceMonitor"


def wants_service_monitor(shape: ServerShape) -> bool:
    """A gateway whose metrics are on and whose options ask for a ServiceMonitor."""
    metrics = shape.telemetry.metrics
    return shape.has_gateway and metrics.enabled and metrics.service_monitor.enabled


def service_monitor(ctx: ServerContext) -> dict[str, Any]:
    """ServiceMonitor ``<n>-gateway``."""
    options = ctx.telemetry.metrics.service_monitor
    metadata = object_meta(ctx, names.service_monitor(ctx.name), labels.GATEWAY)
    metadata["labels"] = dict(sorted({**options.labels, **metadata["labels"]}.items()))
    endpoint: dict[str, Any] = {"port": MCP_PORT_NAME, "path": gateway.METRICS_PATH,
                                "scheme": "http"}
    if options.interval:
        endpoint["interval"] = options.interval
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": {
            "selector": {"matchLabels": labels.selector(ctx.name, labels.GATEWAY)},
            "namespaceSelector": {"matchNames": [ctx.namespace]},
            "endpoints": [endpoint],
        },
    }
