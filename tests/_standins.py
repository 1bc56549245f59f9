"""Stand-ins for modules other engineers are writing in parallel (tests only).

``install()`` puts a minimal module in ``sys.modules`` for each contract module that does
not exist yet (``gateway``, ``auth``), so the builders and components can be tested
before those land. A module that exists is never replaced. Delete this file once both
have landed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import types
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily below: importing the package needs the stand-ins first
    from ome_mcp_components.context import AuthzSettings, OIDCSettings, ServerContext
    from ome_mcp_components.models import (
        AuthzConfigRef,
        OIDCConfigRef,
    )

# --- gateway -------------------------------------------------------------------------

DEFAULT_IMAGE = "ghcr.io/stacklok/toolhive/proxyrunner:v0.0.0-standin"
CONFIG_KEY = "runconfig.json"
GATEWAY_PORT_NAME = "http"


def run_config(ctx: ServerContext) -> dict[str, Any]:
    return {"transport": ctx.spec.resolved_transport, "port": 8080,
            "target_port": ctx.spec.resolved_target_port}


def config_hash(config_data: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(dict(config_data), sort_keys=True).encode()).hexdigest()


def gateway_container(ctx: ServerContext) -> dict[str, Any]:
    return {
        "name": "gateway",
        "image": ctx.gateway_image,
        "args": ["run", "--config", "/etc/gateway/runconfig.json"],
        "ports": [{"name": GATEWAY_PORT_NAME, "containerPort": 8080, "protocol": "TCP"}],
        "volumeMounts": [{"name": "config", "mountPath": "/etc/gateway", "readOnly": True}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                      "limits": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "privileged": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True},
    }


def gateway_volumes(ctx: ServerContext) -> list[dict[str, Any]]:
    from ome_mcp_components import names

    return [{"name": "config", "configMap": {"name": names.gateway_config_map(ctx.name)}}]


def gateway_automount_token(ctx: ServerContext) -> bool:
    return False


def authz_config_data(ctx: ServerContext) -> dict[str, str]:
    assert ctx.authz is not None
    return {"authz.json": json.dumps({"policies": list(ctx.authz.policies)})}


# --- auth ------------------------------------------------------------------------------


def resolve_oidc(ref: OIDCConfigRef, *, namespace: str, default_resource_url: str,
                 config_map_data: Mapping[str, str] | None, resource: str) -> OIDCSettings:
    from ome_mcp_components.context import OIDCSettings

    if ref.type == "inline" and ref.inline is not None:
        return OIDCSettings(issuer=ref.inline.issuer, audience=ref.inline.audience,
                            jwks_url=None, introspection_url=None,
                            resource_url=ref.resource_url or default_resource_url)
    if ref.type == "configMap":
        data = json.loads((config_map_data or {}).get("oidc.json", "{}"))
        return OIDCSettings(issuer=data.get("issuer", "https://unset.invalid"),
                            audience=data.get("audience"), jwks_url=None, introspection_url=None,
                            resource_url=ref.resource_url or default_resource_url)
    return OIDCSettings(issuer="https://kubernetes.default.svc", audience="toolhive",
                        jwks_url=None, introspection_url=None,
                        resource_url=ref.resource_url or default_resource_url,
                        use_cluster_auth=True)


def resolve_authz(ref: AuthzConfigRef, *, config_map_data: Mapping[str, str] | None,
                  resource: str) -> AuthzSettings:
    from ome_mcp_components.context import AuthzSettings
    from ome_mcp_components.errors import Issue, SpecValidationError

    if ref.type == "inline" and ref.inline is not None:
        for index, policy in enumerate(ref.inline.policies):
            if "permit" not in policy and "forbid" not in policy:
                raise SpecValidationError(resource, Issue(
                    f"spec.authzConfig.inline.policies[{index}]", "not a Cedar policy"))
        return AuthzSettings(policies=tuple(ref.inline.policies),
                             entities_json=ref.inline.entities_json)
    return AuthzSettings(config_map=ref.config_map)


def check_policies_against_mcp_model(policies: Any) -> list[str]:
    return [f"policy {i} can never match an MCP request" for i, p in enumerate(policies)
            if "never" in p]


_SPEC = importlib.util.find_spec("ome_mcp_components")
assert _SPEC is not None
assert _SPEC.submodule_search_locations is not None
_PACKAGE_DIR = Path(next(iter(_SPEC.submodule_search_locations)))
_MODULES: dict[str, list[str]] = {
    "ome_mcp_components.gateway": [
        "DEFAULT_IMAGE", "CONFIG_KEY", "GATEWAY_PORT_NAME", "run_config", "config_hash",
        "gateway_container", "gateway_volumes", "gateway_automount_token", "authz_config_data",
    ],
    "ome_mcp_components.auth": ["resolve_oidc", "resolve_authz",
                                "check_policies_against_mcp_model"],
}


def install() -> list[str]:
    """Install a stand-in for each contract module that is missing; return their names."""
    installed = []
    for module_name, attributes in _MODULES.items():
        relative = module_name.removeprefix("ome_mcp_components.").replace(".", "/")
        path = _PACKAGE_DIR / relative
        exists = path.with_suffix(".py").exists() or (path / "__init__.py").exists()
        if module_name in sys.modules or exists:
            continue
        module = types.ModuleType(module_name, "stand-in (tests/_standins.py)")
        for attribute in attributes:
            setattr(module, attribute, globals()[attribute])
        sys.modules[module_name] = module
        parent, _, child = module_name.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)
        installed.append(module_name)
    return installed
