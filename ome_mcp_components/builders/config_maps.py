"""ConfigMaps: the gateway's configuration ``<n>-gateway``, the inline Cedar
configuration ``<n>-authz``, and a ``PermissionProfile``'s profile ``<p>``.

Their content comes from the modules that own the formats (``gateway.py`` for the
gateway's files, ``profiles.py`` for the OEP's profile JSON), written as canonical JSON
so the same spec always renders the same bytes (and the same config hash); this module
wraps it in objects, and refuses one Kubernetes would refuse for its size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ome_mcp_components.builders import gateway
from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.errors import Issue, SpecValidationError
from ome_mcp_components.models import PermissionProfileSpec
from ome_mcp_components.plan import profiles
from ome_mcp_components.plan.context import ServerContext
from ome_mcp_components.vocabulary import labels, names


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


#: The API server refuses a ConfigMap whose keys and values add up to more than 1 MiB
#: (``ValidateConfigMap``); such a ConfigMap is refused here, before anything is created.
MAX_CONFIG_MAP_BYTES = 1024 * 1024


def config_map_size(data: Mapping[str, str]) -> int:
    """The size the API server counts: the bytes of every key and value."""
    return sum(len(key.encode()) + len(value.encode()) for key, value in data.items())


def _within_limit(config_map: dict[str, Any], resource: str, path: str) -> dict[str, Any]:
    size = config_map_size(config_map["data"])
    if size > MAX_CONFIG_MAP_BYTES:
        raise SpecValidationError(resource, Issue(path, (
            f"ConfigMap {config_map['metadata']['name']} would hold {size:,} bytes, more "
            f"than the 1 MiB ({MAX_CONFIG_MAP_BYTES:,} bytes) Kubernetes accepts; use fewer "
            f"or shorter policies (a policy's when clause can test many names at once)")))
    return config_map


def _authz_path(ctx: ServerContext) -> str:
    return "spec.authzConfig" if ctx.authz is not None else "spec"


def gateway_config_map(ctx: ServerContext) -> dict[str, Any]:
    """ConfigMap ``<n>-gateway``."""
    return _within_limit({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(ctx, names.gateway_config_map(ctx.name), labels.GATEWAY),
        "data": gateway_config_data(ctx),
    }, f"{ctx.kind} '{ctx.name}'", _authz_path(ctx))


def authz_config_map(ctx: ServerContext) -> dict[str, Any]:
    """ConfigMap ``<n>-authz`` (``authzConfig.type: inline``)."""
    return _within_limit({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(ctx, names.authz_config_map(ctx.name), labels.GATEWAY),
        "data": authz_config_data(ctx),
    }, f"{ctx.kind} '{ctx.name}'", _authz_path(ctx))


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
    return _within_limit({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": profiles.profile_config_map_data(spec),
    }, f"PermissionProfile '{name}'", "spec")
