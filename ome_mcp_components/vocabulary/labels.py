"""Labels and selectors: one place, so selectors and the policy pack agree.

Every object gets the recommended ``app.kubernetes.io`` labels plus ``ome.io/mcp-server``;
objects that belong to one side carry ``app.kubernetes.io/component`` (``mcp-server`` or
``mcp-gateway``). User labels are added but can never replace ours (selectors depend on
them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Component = Literal["mcp-server", "mcp-gateway"]

SERVER: Component = "mcp-server"
GATEWAY: Component = "mcp-gateway"
#: ``app.kubernetes.io/component`` of a PermissionProfile's ConfigMap.
PERMISSION_PROFILE = "permission-profile"
SERVER_LABEL = "ome.io/mcp-server"
COMPONENT_LABEL = "app.kubernetes.io/component"
PART_OF = "ome-mcp"
MANAGED_BY = "ome-mcp-components"


def selector(n: str, component: Component) -> dict[str, str]:
    """The labels that select the pods of one side of server ``n``."""
    return {SERVER_LABEL: n, COMPONENT_LABEL: component}


def labels(
    n: str, component: Component | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """All labels of an object of server ``n``: the user's, then ours on top, sorted."""
    ours = {
        "app.kubernetes.io/name": n,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        SERVER_LABEL: n,
    }
    if component is not None:
        ours[COMPONENT_LABEL] = component
    merged = {**(extra or {}), **ours}
    return dict(sorted(merged.items()))


def profile_labels(p: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Labels of a ``PermissionProfile``'s ConfigMap ``p``: the user's, then ours on top.

    No ``ome.io/mcp-server`` label: a profile belongs to no one server (many may use it).
    """
    ours = {
        "app.kubernetes.io/name": p,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        COMPONENT_LABEL: PERMISSION_PROFILE,
    }
    return dict(sorted({**(extra or {}), **ours}.items()))
