"""One YAML document as what it becomes: a ConfigMap, PermissionProfile, server or
skipped document; ``ManifestError`` for anything else."""

from __future__ import annotations

from typing import Any

from ome_mcp_components.errors import Issue, ManifestError
from ome_mcp_components.manifests.documents import (
    OME_API_VERSION,
    OME_OTHER_KINDS,
    PROFILE_KIND,
    SERVER_KINDS,
    ConfigMapDocument,
    ProfileDocument,
    ServerDocument,
    ServerKind,
    SkippedDocument,
)
from ome_mcp_components.manifests.fields import check_fields, metadata_of, string_map, type_name
from ome_mcp_components.manifests.options import no_options, server_options
from ome_mcp_components.models.base import DNS1123_SUBDOMAIN
from ome_mcp_components.vocabulary import defaults

_OME_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})
_CONFIG_MAP_FIELDS = frozenset({"apiVersion", "kind", "metadata", "data", "binaryData",
                                "immutable"})


def parse(
    where: str, document: Any
) -> ConfigMapDocument | ProfileDocument | ServerDocument | SkippedDocument:
    """The typed document ``document`` is, checked."""
    if not isinstance(document, dict):
        raise ManifestError(where, f"a document must be a Kubernetes object (a mapping), "
                                   f"not {type_name(document)}")
    for required in ("apiVersion", "kind"):
        if not isinstance(document.get(required), str) or not document[required]:
            raise ManifestError(where, Issue(required, "field required (a string)"))
    api_version: str = document["apiVersion"]
    kind: str = document["kind"]
    if api_version == "v1" and kind == "ConfigMap":
        return _config_map(where, document)
    if api_version == OME_API_VERSION and kind in SERVER_KINDS:
        return _server(where, document, "MCPServer" if kind == "MCPServer" else
                       "ClusterMCPServer")
    if api_version == OME_API_VERSION and kind == PROFILE_KIND:
        return _profile(where, document)
    if api_version == OME_API_VERSION and kind in OME_OTHER_KINDS:
        metadata = document.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        return SkippedDocument(where, kind, str(name) if name else "<unnamed>")
    raise ManifestError(where, Issue("kind", _unknown_kind(api_version, kind)))


def _unknown_kind(api_version: str, kind: str) -> str:
    supported = (f"{OME_API_VERSION} MCPServer, ClusterMCPServer or PermissionProfile, "
                 f"or a v1 ConfigMap")
    if api_version == "v1" and kind == "Secret":
        return ("a Secret cannot be loaded: its values would land in Pulumi state in clear "
                "text; create it outside the stack and reference it by name in "
                "spec.secrets")
    if kind in (*SERVER_KINDS, PROFILE_KIND, *OME_OTHER_KINDS):
        return (f"{kind} with apiVersion {api_version!r} is not supported; "
                f"use apiVersion {OME_API_VERSION!r}")
    return f"{kind} ({api_version}) is not a kind ome-mcp loads; expected {supported}"


def _config_map(where: str, document: dict[str, Any]) -> ConfigMapDocument:
    check_fields(where, document, _CONFIG_MAP_FIELDS)
    metadata = metadata_of(where, document)
    name = metadata["name"]
    if len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
        raise ManifestError(where, Issue("metadata.name", f"{name!r} is not a valid ConfigMap "
                                         "name (lowercase RFC 1123 subdomain)"))
    no_options(where, metadata)
    resource = f"{where}: ConfigMap '{name}'"
    data = string_map(resource, document, "data")
    binary_data = string_map(resource, document, "binaryData")
    both = sorted(set(data) & set(binary_data))
    if both:
        raise ManifestError(resource, Issue("binaryData", f"keys also in data: {both}"))
    immutable = document.get("immutable")
    if immutable is not None and not isinstance(immutable, bool):
        raise ManifestError(resource, Issue("immutable", "must be true or false"))
    return ConfigMapDocument(
        where=where, name=name, namespace=metadata.get("namespace", defaults.DEFAULT_NAMESPACE),
        metadata=metadata, data=data, binary_data=binary_data, immutable=immutable,
    )


def _profile(where: str, document: dict[str, Any]) -> ProfileDocument:
    check_fields(where, document, _OME_FIELDS)
    metadata = metadata_of(where, document)
    no_options(where, metadata)
    return ProfileDocument(
        where=where, name=metadata["name"],
        namespace=metadata.get("namespace", defaults.DEFAULT_NAMESPACE),
        metadata=metadata, spec=document.get("spec"),
    )


def _server(where: str, document: dict[str, Any], kind: ServerKind) -> ServerDocument:
    check_fields(where, document, _OME_FIELDS)
    metadata = metadata_of(where, document)
    options, kept = server_options(where, kind, metadata.pop("annotations", {}))
    if kept:
        metadata["annotations"] = kept
    if kind == "ClusterMCPServer":
        namespace = options.get("shared_namespace") or metadata.get("namespace") \
            or defaults.SHARED_NAMESPACE
    else:
        namespace = metadata.get("namespace", defaults.DEFAULT_NAMESPACE)
    return ServerDocument(where=where, kind=kind, name=metadata["name"], namespace=namespace,
                          metadata=metadata, spec=document.get("spec"), options=options)
