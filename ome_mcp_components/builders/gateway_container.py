"""The gateway container of Deployment ``<n>-gateway``: the runner as the contract
(``gateway.py``) says it is started, as a restricted container with its probes.

The OTLP header variables are the one place a Secret reaches the gateway: each header
comes from its Secret (``secretKeyRef``), and ``OTEL_EXPORTER_OTLP_HEADERS`` refers to
them, so no value is ever rendered.
"""

from __future__ import annotations

from typing import Any

from ome_mcp_components.builders import gateway, security
from ome_mcp_components.plan.auth.oidc import SERVICE_ACCOUNT_DIR
from ome_mcp_components.plan.context import ServerContext
from ome_mcp_components.vocabulary import defaults

#: Volume names of the gateway pod (``builders.gateway_deployment`` defines them).
CONFIG_VOLUME = "runconfig"
TOKEN_VOLUME = "serviceaccount"
TMP_VOLUME = "tmp"


def gateway_container(ctx: ServerContext) -> dict[str, Any]:
    """The gateway container of Deployment ``<n>-gateway``."""
    env = [{"name": name, "value": value}
           for name, value in gateway.gateway_environment(ctx).items()]
    # sorted by name, the OTLP header variables before OTEL_EXPORTER_OTLP_HEADERS, which
    # refers to them ($(VAR) expands only variables defined earlier in the list)
    env = sorted(env + otlp_header_env(ctx), key=lambda var: var["name"])
    container: dict[str, Any] = {
        "name": "gateway",
        "image": ctx.gateway_image,
        "imagePullPolicy": "IfNotPresent",
        "args": gateway.gateway_args(ctx),
        "ports": [{"name": gateway.GATEWAY_PORT_NAME,
                   "containerPort": gateway.gateway_port(ctx), "protocol": "TCP"}],
        "env": env,
        "volumeMounts": [
            {"name": CONFIG_VOLUME, "mountPath": gateway.CONFIG_DIR, "readOnly": True},
            {"name": TOKEN_VOLUME, "mountPath": SERVICE_ACCOUNT_DIR, "readOnly": True},
            {"name": TMP_VOLUME, "mountPath": gateway.TMP_DIR},
        ],
        "securityContext": security.container_security_context(),
        "resources": defaults.GATEWAY_RESOURCES,
    }
    container.update(_probes(ctx))
    return container


def otlp_header_env(ctx: ServerContext) -> list[dict[str, Any]]:
    """The gateway's OTLP header variables: one ``secretKeyRef`` per header, and
    ``OTEL_EXPORTER_OTLP_HEADERS`` referring to them (no value is ever rendered)."""
    otlp = ctx.telemetry.otlp
    if otlp is None or not otlp.headers:
        return []
    env: list[dict[str, Any]] = []
    pairs = []
    for index, header in enumerate(otlp.headers):
        variable = f"{gateway.OTLP_HEADER_ENV_PREFIX}{index}"
        env.append({"name": variable, "valueFrom": {"secretKeyRef": {
            "name": header.secret_key_ref.name, "key": header.secret_key_ref.key}}})
        pairs.append(f"{header.name}=$({variable})")
    env.append({"name": gateway.OTLP_HEADERS_ENV, "value": ",".join(pairs)})
    return env


def _probes(ctx: ServerContext) -> dict[str, Any]:
    """Probes on the health endpoint where the runner serves it, else on the port."""
    check: dict[str, Any] = (
        {"httpGet": {"path": gateway.HEALTH_PATH, "port": gateway.GATEWAY_PORT_NAME}}
        if gateway.serves_health(ctx) else {"tcpSocket": {"port": gateway.GATEWAY_PORT_NAME}})
    return {
        "startupProbe": {**check, "periodSeconds": 5, "timeoutSeconds": 3,
                         "failureThreshold": 18},
        "livenessProbe": {**check, "periodSeconds": 10, "timeoutSeconds": 5,
                          "failureThreshold": 3},
        "readinessProbe": {**check, "periodSeconds": 5, "timeoutSeconds": 3,
                           "failureThreshold": 3},
    }
