"""Checks of the fields every document kind shares: ``metadata``, unknown fields,
string maps (``data``), namespace names."""

from __future__ import annotations

from typing import Any

from ome_mcp_components.errors import Issue, ManifestError
from ome_mcp_components.models.base import CONFIG_KEY, DNS1123_LABEL

#: metadata fields a document may set; the API server's own are ignored.
_METADATA_FIELDS = frozenset({"name", "namespace", "labels", "annotations"})
_SERVER_SET_METADATA = frozenset({
    "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
    "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
})


def is_namespace_name(value: object) -> bool:
    """True for a valid namespace name (an RFC 1123 label)."""
    return isinstance(value, str) and len(value) <= 63 and DNS1123_LABEL.match(value) is not None


def type_name(value: Any) -> str:
    """``a list``, ``a int value``, ...: what a value of the wrong type is, for messages."""
    return "a list" if isinstance(value, list) else f"a {type(value).__name__} value"


def metadata_of(where: str, document: dict[str, Any]) -> dict[str, Any]:
    """The document's metadata (name, namespace, labels, annotations), checked."""
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        raise ManifestError(where, Issue("metadata", "field required (a mapping with a name)"))
    unknown = sorted(str(k) for k in metadata
                     if k not in _METADATA_FIELDS and k not in _SERVER_SET_METADATA)
    if unknown:
        raise ManifestError(where, [
            Issue(f"metadata.{key}", "not supported (allowed: name, namespace, labels, "
                                     "annotations)")
            for key in unknown])
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise ManifestError(where, Issue("metadata.name", "field required (a string)"))
    result: dict[str, Any] = {"name": name}
    namespace = metadata.get("namespace")
    if namespace is not None:
        if not is_namespace_name(namespace):
            raise ManifestError(where, Issue("metadata.namespace", f"{namespace!r} is not a "
                                             "valid namespace name (RFC 1123 label)"))
        result["namespace"] = namespace
    for key in ("labels", "annotations"):
        values = metadata.get(key)
        if values is None:
            continue
        if not isinstance(values, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in values.items()):
            raise ManifestError(where, Issue(f"metadata.{key}", "must map strings to strings "
                                             "(quote numbers and booleans)"))
        result[key] = dict(values)
    return result


def check_fields(where: str, document: dict[str, Any], allowed: frozenset[str]) -> None:
    """``ManifestError`` naming each top-level field of ``document`` not in ``allowed``."""
    unknown = sorted(str(k) for k in document if k not in allowed)
    if unknown:
        raise ManifestError(where, [
            Issue(key, f"unknown field of a {document['kind']}") for key in unknown])


def string_map(where: str, document: dict[str, Any], key: str) -> dict[str, str]:
    """``document[key]`` as ConfigMap data: valid keys, string values (``{}`` if unset)."""
    values = document.get(key)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ManifestError(where, Issue(key, "must be a mapping of keys to strings"))
    result: dict[str, str] = {}
    for item, value in values.items():
        if not isinstance(item, str) or len(item) > 253 or not CONFIG_KEY.match(item):
            raise ManifestError(where, Issue(f"{key}.{item}", "not a valid key (letters, "
                                             "digits, '-', '_', '.')"))
        if not isinstance(value, str):
            raise ManifestError(where, Issue(f"{key}.{item}", f"must be a string, not "
                                             f"{type_name(value)} (quote it)"))
        result[item] = value
    return result
