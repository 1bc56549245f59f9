"""Component options given as annotations on ``MCPServer``/``ClusterMCPServer`` documents."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from ome_mcp_components.errors import Issue, ManifestError
from ome_mcp_components.manifests.documents import ServerKind
from ome_mcp_components.manifests.fields import is_namespace_name

NETWORK_ENFORCEMENT = "ome.io/network-enforcement"
GATEWAY_IMAGE = "ome.io/gateway-image"
SHARED_NAMESPACE = "ome.io/shared-namespace"
#: Option annotations, by the component argument each sets.
OPTION_ANNOTATIONS: dict[str, str] = {
    NETWORK_ENFORCEMENT: "network_enforcement",
    GATEWAY_IMAGE: "gateway_image",
    SHARED_NAMESPACE: "shared_namespace",
}
_ENFORCEMENT_VALUES = ("kubernetes", "cilium")


def server_options(
    where: str, kind: ServerKind, annotations: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """``(component arguments, annotations kept)`` of a server document's annotations.

    An invalid option value, or an ``ome.io/`` annotation that looks like a misspelt
    option, is a ``ManifestError``.
    """
    options: dict[str, str] = {}
    kept: dict[str, str] = {}
    for key, value in annotations.items():
        if key in OPTION_ANNOTATIONS:
            options[OPTION_ANNOTATIONS[key]] = _option(where, kind, key, value)
            continue
        if key.startswith("ome.io/"):
            close = difflib.get_close_matches(key, OPTION_ANNOTATIONS, n=1, cutoff=0.85)
            if close:
                raise ManifestError(where, Issue(f"metadata.annotations.{key}",
                                                 f"unknown option; did you mean {close[0]}?"))
        kept[key] = value
    return options, kept


def _option(where: str, kind: ServerKind, key: str, value: str) -> str:
    path = f"metadata.annotations.{key}"
    if key == NETWORK_ENFORCEMENT and value not in _ENFORCEMENT_VALUES:
        raise ManifestError(where, Issue(path, f"{value!r} is not allowed: expected "
                                               f"'kubernetes' or 'cilium'"))
    if key == SHARED_NAMESPACE:
        if kind != "ClusterMCPServer":
            raise ManifestError(where, Issue(path, "applies to ClusterMCPServer only"))
        if not is_namespace_name(value):
            raise ManifestError(where, Issue(path, f"{value!r} is not a valid namespace name "
                                                   "(RFC 1123 label)"))
    if key == GATEWAY_IMAGE and (not value.strip() or value != value.strip()):
        raise ManifestError(where, Issue(path, f"{value!r} is not a container image "
                                               "reference"))
    return value


def no_options(where: str, metadata: Mapping[str, Any]) -> None:
    """``ManifestError`` for an option annotation on a document that is not a server."""
    for key in metadata.get("annotations", {}):
        if key in OPTION_ANNOTATIONS:
            raise ManifestError(where, Issue(f"metadata.annotations.{key}",
                                             "applies to MCPServer and ClusterMCPServer only"))
