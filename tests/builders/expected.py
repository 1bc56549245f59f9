"""Pieces of expected manifests that every builder test repeats, spelled out once."""

from __future__ import annotations

from typing import Any

NAMESPACE = "tools"
SERVER_SELECTOR = {"ome.io/mcp-server": "demo", "app.kubernetes.io/component": "mcp-server"}
GATEWAY_SELECTOR = {"ome.io/mcp-server": "demo", "app.kubernetes.io/component": "mcp-gateway"}


def labels(component: str | None = None, **extra: str) -> dict[str, str]:
    """The labels of an object of server ``demo``."""
    found = {
        "app.kubernetes.io/managed-by": "ome-mcp-components",
        "app.kubernetes.io/name": "demo",
        "app.kubernetes.io/part-of": "ome-mcp",
        "ome.io/mcp-server": "demo",
        **extra,
    }
    if component:
        found["app.kubernetes.io/component"] = component
    return dict(sorted(found.items()))


def meta(name: str, component: str | None = None) -> dict[str, Any]:
    """The metadata of an object of server ``demo`` in ``tools``."""
    return {"name": name, "namespace": NAMESPACE, "labels": labels(component)}


POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 65532,
    "runAsGroup": 65532,
    "fsGroup": 65532,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY = {
    "privileged": False,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "readOnlyRootFilesystem": True,
}
SERVER_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": "500m", "memory": "512Mi"},
}
IMAGE = "ghcr.io/acme/tools:1.2.3"
