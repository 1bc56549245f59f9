"""Checks across documents: no two make the same object; a server's PermissionProfile
reference uses the key the profile is stored under."""

from __future__ import annotations

from ome_mcp_components.errors import Issue, ManifestError
from ome_mcp_components.manifests.documents import Manifests
from ome_mcp_components.manifests.references import derived_config_maps, profile_ref
from ome_mcp_components.vocabulary.keys import PROFILE_KEY


def check_unique(manifests: Manifests) -> None:
    """No two documents may make the same Kubernetes object."""
    seen: dict[tuple[str, str, str], str] = {}

    def claim(kind: str, namespace: str, name: str, where: str, what: str) -> None:
        key = (kind, namespace, name)
        if key in seen:
            raise ManifestError(where, f"{what} clashes with {seen[key]}: both would create "
                                       f"{kind} {namespace}/{name}")
        seen[key] = where

    for cm in manifests.config_maps:
        claim("ConfigMap", cm.namespace, cm.name, cm.where, f"ConfigMap '{cm.name}'")
    for profile in manifests.profiles:
        claim("ConfigMap", profile.namespace, profile.name, profile.where,
              f"PermissionProfile '{profile.name}'")
    for server in manifests.servers:
        what = f"{server.kind} '{server.name}'"
        # A ClusterMCPServer's objects share its namespace with MCPServers there.
        claim("server", server.namespace, server.name, server.where, what)
        for config_map in derived_config_maps(server):
            claim("ConfigMap", server.namespace, config_map, server.where, what)


def check_profile_keys(manifests: Manifests) -> None:
    """A server naming a PermissionProfile document uses its key, ``permissions.json``."""
    profiles = {(p.namespace, p.name) for p in manifests.profiles}
    for server in manifests.servers:
        found = profile_ref(server.spec)
        if found is None:
            continue
        _, ref = found
        if (server.namespace, ref["name"]) in profiles and \
                ref.get("key", PROFILE_KEY) != PROFILE_KEY:
            raise ManifestError(server.where, Issue(
                "spec.permissionProfile.configMap.key",
                f"PermissionProfile '{ref['name']}' holds its profile under key "
                f"{PROFILE_KEY!r}, not {ref['key']!r}"))
