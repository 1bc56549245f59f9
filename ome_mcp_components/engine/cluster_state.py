"""``load_cluster_state``: the ConfigMaps of a cluster-state YAML file, for ``run_program``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from ome_mcp_components.errors import ManifestError


def load_cluster_state(path: Path | str) -> dict[tuple[str, str], dict[str, str]]:
    """The ConfigMaps of a cluster-state YAML file: ``(namespace, name) -> data``.

    The file holds YAML documents: ConfigMaps, or ``List`` objects of them (what
    ``kubectl get configmap -o yaml`` prints). Objects of other kinds are skipped;
    a ConfigMap without a namespace is in ``default``.
    """
    path = Path(path)
    where = f"cluster state {path}"
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise ManifestError(where, f"cannot be read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise ManifestError(where, f"is not valid YAML: {error}") from error
    config_maps: dict[tuple[str, str], dict[str, str]] = {}
    for index, document in enumerate(_objects(documents, where)):
        if document.get("kind") != "ConfigMap":
            continue
        metadata = document.get("metadata")
        if not isinstance(metadata, dict) or not metadata.get("name"):
            raise ManifestError(where, f"object {index + 1}: a ConfigMap needs metadata.name")
        data = document.get("data") or {}
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ManifestError(
                f"{where}: ConfigMap {metadata['name']}", "data must map keys to strings"
            )
        key = (str(metadata.get("namespace") or "default"), str(metadata["name"]))
        config_maps[key] = {str(k): v for k, v in data.items()}
    return config_maps


def _objects(documents: Iterable[object], where: str) -> Iterator[dict[str, Any]]:
    """Each document, with a ``*List``'s items in its place (recursively)."""
    for number, document in enumerate(documents, start=1):
        if document is None:
            continue
        if not isinstance(document, dict):
            raise ManifestError(where, f"document {number} is not a mapping")
        if document.get("kind", "").endswith("List") and isinstance(document.get("items"), list):
            yield from _objects(document["items"], where)
        else:
            yield document
