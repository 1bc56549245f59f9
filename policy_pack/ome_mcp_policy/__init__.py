"""The policies of the ome-mcp CrossGuard pack, grouped by what they look at.

``POLICIES`` is the whole pack, in the order ``__main__`` registers it; the table in
``README.md`` beside this package documents each one.
"""

from __future__ import annotations

from pulumi_policy import Policy

from ome_mcp_policy import components, pod_security, stack, workloads

POLICIES: list[Policy] = [
    *pod_security.POLICIES,
    *workloads.POLICIES,
    *components.POLICIES,
    *stack.POLICIES,
]

__all__ = ["POLICIES"]
