"""The ConfigMaps a server document's spec names or renders of its own.

The spec is read as written (camelCase or snake_case keys), before validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ome_mcp_components.manifests.documents import ServerDocument
from ome_mcp_components.vocabulary import names


def _config_map_ref(ref: Any) -> Mapping[str, Any] | None:
    """The ``configMap`` reference of a spec reference, if it names one."""
    if not isinstance(ref, Mapping):
        return None
    config_map = ref.get("configMap", ref.get("config_map"))
    if isinstance(config_map, Mapping) and isinstance(config_map.get("name"), str):
        return config_map
    return None


def profile_ref(spec: Any) -> tuple[str, Mapping[str, Any]] | None:
    """``(spec key, configMap reference)`` of a configMap permission profile, if any."""
    if not isinstance(spec, Mapping):
        return None
    for key in ("permissionProfile", "permission_profile"):
        ref = spec.get(key)
        if isinstance(ref, Mapping) and ref.get("type") == "configMap":
            config_map = _config_map_ref(ref)
            if config_map is not None:
                return key, config_map
    return None


def referenced_config_maps(spec: Any) -> set[str]:
    """Names of the ConfigMaps a spec refers to (profile, OIDC, authz)."""
    found: set[str] = set()
    if not isinstance(spec, Mapping):
        return found
    for key in ("permissionProfile", "permission_profile", "oidcConfig", "oidc_config",
                "authzConfig", "authz_config"):
        config_map = _config_map_ref(spec.get(key))
        if config_map is not None:
            found.add(config_map["name"])
    return found


def derived_config_maps(server: ServerDocument) -> list[str]:
    """The ConfigMaps a server renders of its own (its gateway's, its inline Cedar)."""
    spec = server.spec if isinstance(server.spec, Mapping) else {}
    authz = spec.get("authzConfig", spec.get("authz_config"))
    gateway = spec.get("type", "Hosted") == "Hosted" or any(
        spec.get(k) is not None for k in ("oidcConfig", "oidc_config", "authzConfig",
                                          "authz_config"))
    found = [names.gateway_config_map(server.name)] if gateway else []
    if isinstance(authz, Mapping) and authz.get("type") == "inline":
        found.append(names.authz_config_map(server.name))
    return found
