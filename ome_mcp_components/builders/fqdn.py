"""A CiliumNetworkPolicy that was planned but has nothing to allow.

Under Cilium, a server whose permission profile or OIDC configuration is read from the
cluster at deploy time gets its ``<n>-server-fqdn`` / ``<n>-gateway-fqdn`` policies
planned before that data is known (the set of objects must not depend on data read
later). If the data then names no host that needs Cilium, the planned policy is rendered
by this builder: same name, labels and endpoint selector, and no rule at all. Cilium puts
an endpoint in default-deny only for a direction in which some policy has rules, so this
one neither allows nor denies anything, and the side's NetworkPolicy stays its only rule.
"""

from __future__ import annotations

import copy
from typing import Any


def empty_cilium_policy(planned: dict[str, Any]) -> dict[str, Any]:
    """``planned`` (a CiliumNetworkPolicy) with its rules taken out."""
    return {
        "apiVersion": planned["apiVersion"],
        "kind": planned["kind"],
        "metadata": copy.deepcopy(planned["metadata"]),
        "spec": {
            "description": "Nothing to allow: the resolved configuration names no host "
                           "that needs Cilium.",
            "endpointSelector": copy.deepcopy(planned["spec"]["endpointSelector"]),
            "egress": [],
        },
    }
