"""Helpers behind the shared fixtures (a plain module, importable by any test):
``build_spec``, ``build_ctx`` and ``PulumiHarness``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ome_mcp_components.models import (
    MCPServerSpec,
    PermissionProfileSpec,
    parse_model,
)
from ome_mcp_components.offline.engine import run_program
from ome_mcp_components.offline.recording import Recording
from ome_mcp_components.plan import auth, profiles
from ome_mcp_components.plan.context import (
    AuthzSettings,
    Kind,
    NetworkEnforcement,
    OIDCSettings,
    ServerContext,
)
from ome_mcp_components.vocabulary import defaults
from ome_mcp_components.vocabulary.names import cluster_url, public_service

IMAGE = "ghcr.io/acme/tools:1.2.3"


# --- specs and contexts -------------------------------------------------------------------


def build_spec(**overrides: Any) -> dict[str, Any]:
    """A valid hosted spec in the OEP's camelCase, with ``overrides`` on top."""
    return {"image": IMAGE, **overrides}


def build_ctx(
    spec: Mapping[str, Any] | MCPServerSpec | None = None,
    *,
    name: str = "demo",
    namespace: str = "tools",
    kind: Kind = "MCPServer",
    profile: PermissionProfileSpec | None = None,
    oidc: OIDCSettings | None = None,
    authz: AuthzSettings | None = None,
    network_enforcement: NetworkEnforcement = "kubernetes",
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    gateway_image: str | None = None,
) -> ServerContext:
    """A resolved server as the components would build it; references that need no
    ConfigMap (builtin/inline profile, kubernetes/inline OIDC, inline authz) are
    resolved from the spec unless given."""
    resource = f"{kind} '{name}'"
    parsed = parse_model(MCPServerSpec, build_spec() if spec is None else spec,
                         resource=resource, root="spec")
    ref = parsed.permission_profile
    if profile is None and (ref is None or ref.type != "configMap"):
        profile = profiles.resolve_profile(ref, config_map_data=None, resource=resource)
    if oidc is None and parsed.oidc_config is not None and parsed.oidc_config.type != "configMap":
        url = cluster_url(public_service(name), namespace, parsed.port,
                          parsed.resolved_transport)
        oidc = auth.resolve_oidc(parsed.oidc_config, namespace=namespace,
                                 default_resource_url=url, config_map_data=None,
                                 resource=resource)
    if authz is None and parsed.authz_config is not None:
        authz = auth.resolve_authz(parsed.authz_config, config_map_data=None, resource=resource)
    assert profile is not None, "a configMap profile needs profile= in make_ctx"
    return ServerContext(
        kind=kind, name=name, namespace=namespace, spec=parsed, profile=profile,
        gateway_image=gateway_image or defaults.GATEWAY_IMAGE, oidc=oidc, authz=authz,
        network_enforcement=network_enforcement, labels=dict(labels or {}),
        annotations=dict(annotations or {}),
    )


# --- Pulumi mocks ----------------------------------------------------------------------------

ClusterConfigMaps = Mapping[tuple[str, str], Mapping[str, str]]


@dataclass
class PulumiHarness:
    """Runs programs under the offline engine (Pulumi's mock monitor, ``preview=False``)."""

    last: Recording | None = None

    def run(self, program: Callable[[], object], *,
            cluster: ClusterConfigMaps | None = None) -> Recording:
        """Run ``program``; ``cluster`` answers ``ConfigMap.get`` by (namespace, name).
        Whatever the program raises is raised here."""
        self.last = None
        self.last = run_program(program, cluster_config_maps=cluster)
        return self.last
