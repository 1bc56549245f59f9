"""``load_cluster_state``: the ConfigMaps of a cluster-state YAML file, for ``run_program``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from ome_mcp_components.errors import ManifestError


def load_cluster_state(path: Path | str) -> dict[tuple[str, str], dict[str, str]]:
    """The ConfigMaps of a cluster-state YAML file: ``(namespace, name) -> data``.

    The file holds YAML documents: ``v1`` ConfigMaps, or ``List`` objects of them (what
    ``kubectl get configmap -A -o yaml`` prints). Every ConfigMap names its namespace, as
    the cluster does; a document of another kind, a ConfigMap without a namespace and
    two ConfigMaps of the same name are errors (``ManifestError`` naming the document),
    since each would make the offline cluster differ from the file without a word.
    """
    path = Path(path)
    where = f"cluster state {path}"
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except UnicodeDecodeError as error:
        raise ManifestError(where, f"is not UTF-8 text ({error.reason} at byte "
                                   f"{error.start})") from None
    except OSError as error:
        raise ManifestError(where, f"cannot be read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ManifestError(where, f"is not valid YAML: {error}") from None
    config_maps: dict[tuple[str, str], dict[str, str]] = {}
    seen: dict[tuple[str, str], str] = {}
    for at, document in _objects(documents, where):
        if document.get("kind") != "ConfigMap" or document.get("apiVersion", "v1") != "v1":
            raise ManifestError(where, f"{at}: {document.get('apiVersion')} "
                                       f"{document.get('kind')} is not a v1 ConfigMap; a "
                                       f"cluster-state file holds ConfigMaps only")
        metadata = document.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if not isinstance(name, str) or not name:
            raise ManifestError(where, f"{at}: a ConfigMap needs metadata.name")
        namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
        if not isinstance(namespace, str) or not namespace:
            raise ManifestError(where, f"{at}: ConfigMap {name!r} needs metadata.namespace "
                                       f"(the namespace it is in)")
        key = (namespace, name)
        if key in seen:
            raise ManifestError(where, f"{at}: ConfigMap {namespace}/{name} is given twice "
                                       f"(first in {seen[key]})")
        seen[key] = at
        data = document.get("data") or {}
        if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise ManifestError(f"{where}: ConfigMap {namespace}/{name}",
                                "data must map keys to strings")
        config_maps[key] = dict(data)
    return config_maps


def _objects(documents: Iterable[object], where: str, within: str = ""
             ) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(position, object)`` for each document, a ``*List``'s items in its place."""
    for number, document in enumerate(documents, start=1):
        at = f"{within}item {number}" if within else f"document {number}"
        if document is None:
            continue
        if not isinstance(document, dict):
            raise ManifestError(where, f"{at} is not a mapping")
        kind = document.get("kind")
        if not isinstance(kind, str):
            raise ManifestError(where, f"{at}: kind must be a string, not "
                                       f"{type(kind).__name__}")
        if kind.endswith("List") and isinstance(document.get("items"), list):
            yield from _objects(document["items"], where, f"{at}, ")
        else:
            yield at, document
