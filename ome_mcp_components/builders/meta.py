"""The ``metadata`` every rendered object carries: name, namespace, labels, annotations."""

from __future__ import annotations

from typing import Any

from ome_mcp_components.plan.context import ServerContext
from ome_mcp_components.vocabulary import labels


def object_meta(
    ctx: ServerContext, name: str, component: labels.Component | None = None
) -> dict[str, Any]:
    """Metadata of an object of server ``ctx``: our labels over the user's, the user's
    annotations (omitted when there are none)."""
    meta: dict[str, Any] = {
        "name": name,
        "namespace": ctx.namespace,
        "labels": labels.labels(ctx.name, component, ctx.labels),
    }
    if ctx.annotations:
        meta["annotations"] = dict(sorted(ctx.annotations.items()))
    return meta


def pod_labels(ctx: ServerContext, component: labels.Component) -> dict[str, str]:
    """Labels of the pods of one side: every object label, so selectors always match."""
    return labels.labels(ctx.name, component, ctx.labels)
