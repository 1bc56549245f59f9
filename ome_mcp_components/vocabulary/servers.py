"""Which servers have a gateway: the topology rule of design.md section 3, once.

The components decide from a validated spec which objects to render; the policy pack
decides from the component's recorded inputs (the spec on the wire, camelCase) which
checks apply. Both ask this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def has_gateway(*, hosted: bool, oidc: bool, authz: bool) -> bool:
    """Hosted servers always have a gateway; a Remote one only with OIDC or authz."""
    return hosted or oidc or authz


def wire_spec_has_gateway(spec: Mapping[str, Any]) -> bool:
    """``has_gateway`` of a spec as the components record it (camelCase; ``type``
    defaults to ``Hosted``)."""
    return has_gateway(
        hosted=spec.get("type", "Hosted") != "Remote",
        oidc=bool(spec.get("oidcConfig")),
        authz=bool(spec.get("authzConfig")),
    )
