"""``read_manifests``: files (or directories of them) to the ``Manifests`` they hold.

Each non-empty YAML document is one object, a ``v1 List`` its items (ToolHive's
documents are translated first, ``manifests.toolhive``); a key repeated in
one mapping is an error (the API server refuses it), and every problem is one
``ManifestError`` naming the file, the document and its first line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from ome_mcp_components.errors import Issue, ManifestError
from ome_mcp_components.manifests import toolhive
from ome_mcp_components.manifests.checks import check_profile_keys, check_unique
from ome_mcp_components.manifests.documents import (
    ConfigMapDocument,
    Manifests,
    ProfileDocument,
    ServerDocument,
    SkippedDocument,
)
from ome_mcp_components.manifests.parsing import parse

_YAML_SUFFIXES = (".yaml", ".yml")


def read_manifests(paths: Sequence[Path]) -> Manifests:
    """Read and sort every document of ``paths``; ``ManifestError`` on any problem."""
    config_maps: list[ConfigMapDocument] = []
    profiles: list[ProfileDocument] = []
    servers: list[ServerDocument] = []
    skipped: list[SkippedDocument] = []
    for item in toolhive.translate_documents(read_documents(paths)):
        parsed = item if isinstance(item, SkippedDocument) else parse(*item)
        if isinstance(parsed, ConfigMapDocument):
            config_maps.append(parsed)
        elif isinstance(parsed, ProfileDocument):
            profiles.append(parsed)
        elif isinstance(parsed, ServerDocument):
            servers.append(parsed)
        else:
            skipped.append(parsed)
    result = Manifests(tuple(config_maps), tuple(profiles), tuple(servers), tuple(skipped))
    check_unique(result)
    check_profile_keys(result)
    return result


def read_documents(paths: Sequence[Path]) -> list[tuple[str, Any]]:
    """``(where, document)`` for every object of ``paths`` (files, or directories of
    ``*.yaml``/``*.yml`` files), a ``v1 List`` as its items; nothing is checked yet."""
    return [item for file in _files(paths) for item in _objects(_documents(file))]


def _files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix in _YAML_SUFFIXES)
            if not files:
                raise ManifestError(str(path), "holds no .yaml or .yml files (subdirectories "
                                               "are not read)")
            yield from files
        else:
            yield path


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key repeated in one mapping (which PyYAML would
    silently resolve to the last value, and the API server refuses)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # unhashable: the base class reports it
                continue
            if duplicate:
                raise ConstructorError("while constructing a mapping", node.start_mark,
                                       f"found duplicate key {key!r}", key_node.start_mark)
        return super().construct_mapping(node, deep)


def _documents(file: Path) -> Iterator[tuple[str, Any]]:
    """``(where, document)`` for each non-empty document of ``file``."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(str(file), f"is not UTF-8 text ({error.reason} at byte "
                                       f"{error.start})") from None
    except OSError as error:
        raise ManifestError(str(file), f"cannot be read: {error.strerror}") from None
    loader = _Loader(text)
    number = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # the end of the stream
                break
            number += 1
            document = loader.construct_document(node)
            if document is None:
                continue
            line = node.start_mark.line + 1
            yield f"{file}, document {number} (line {line})", document
    except yaml.MarkedYAMLError as error:
        raise ManifestError(str(file), _yaml_problem(error)) from None
    except yaml.YAMLError as error:
        raise ManifestError(str(file), f"invalid YAML: {error}") from None
    finally:
        loader.dispose()


def _objects(documents: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """Each document, with a ``v1 List`` replaced by its items."""
    for where, document in documents:
        if isinstance(document, dict) and document.get("apiVersion") == "v1" \
                and document.get("kind") == "List":
            items = document.get("items")
            if not isinstance(items, list):
                raise ManifestError(where, Issue("items", "a List needs a list of items"))
            for number, item in enumerate(items, start=1):
                yield f"{where}, item {number}", item
        else:
            yield where, document


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    what = " ".join(part for part in (error.context, error.problem) if part)
    return f"{where}invalid YAML: {what}"
