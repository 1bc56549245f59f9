"""ConfigMaps: the gateway's configuration ``<n>-gateway``, the inline Cedar
configuration ``<n>-authz``, and a ``PermissionProfile``'s profile ``<p>``.

Their content comes from the modules that own the formats (``gateway.py`` for the
gateway's files, ``profiles.py`` for the OEP's profile JSON), written as canonical JSON
so the same spec always renders the same bytes (and the same config hash); this module
wraps it in objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ome_mcp_components import gateway, labels, names, profiles
from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.context import ServerContext
from ome_mcp_components.models import PermissionProfileSpec


def gateway_config_data(ctx: ServerContext) -> dict[str, str]:
    """``data`` of ``<n>-gateway``: the gateway's RunConfig."""
    return gateway.config_data(ctx)


def authz_config_data(ctx: ServerContext) -> dict[str, str]:
    """``data`` of ``<n>-authz``: the inline Cedar policies in the gateway's format."""
    return gateway.authz_config_data(ctx)


def gateway_config_inputs(ctx: ServerContext) -> dict[str, str]:
    """Every rendered file the gateway reads, keyed ``<ConfigMap>/<key>``: what the
    gateway's config hash covers."""
    files = {
        f"{names.gateway_config_map(ctx.name)}/{key}": value
        for key, value in gateway_config_data(ctx).items()
    }
    if ctx.authz is not None and ctx.authz.inline:
        files.update(
            (f"{names.authz_config_map(ctx.name)}/{key}", value)
            for key, value in authz_config_data(ctx).items()
        )
    return files


def gateway_config_map(ctx: ServerContext) -> dict[str, Any]:
    """ConfigMap ``<n>-gateway``."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(ctx, names.gateway_config_map(ctx.name), labels.GATEWAY),
        "data": gateway_config_data(ctx),
    }


def authz_config_map(ctx: ServerContext) -> dict[str, Any]:
    """ConfigMap ``<n>-authz`` (``authzConfig.type: inline``)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(ctx, names.authz_config_map(ctx.name), labels.GATEWAY),
        "data": authz_config_data(ctx),
    }


def profile_config_map(
    name: str,
    namespace: str,
    spec: PermissionProfileSpec,
    *,
    extra_labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """ConfigMap ``<p>`` of ``PermissionProfile`` ``p``, in the OEP's ConfigMap format
    (key ``permissions.json``), which servers reference with ``type: configMap``."""
    metadata: dict[str, Any] = {
        "name": names.profile_config_map(name),
        "namespace": namespace,
        "labels": labels.profile_labels(name, extra_labels),
    }
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": profiles.profile_config_map_data(spec),
    }
