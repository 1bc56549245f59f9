"""``render``'s output: Kubernetes objects as YAML documents, on stdout or one file each."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ome_mcp_components.offline.recording import RecordedResource

_FIRST_KEYS = ("apiVersion", "kind", "metadata")
_FIRST_METADATA_KEYS = ("name", "namespace")


def to_yaml(manifests: Sequence[Mapping[str, Any]]) -> str:
    """Kubernetes objects as YAML documents, each starting with ``---``.

    Keys come in a fixed order: ``apiVersion``, ``kind``, ``metadata`` (``name``,
    ``namespace``, then the rest alphabetically), then the other fields alphabetically,
    and every nested mapping alphabetically, as ``kubectl get -o yaml`` prints them.
    Strings with line breaks are literal blocks (``|``).
    """
    documents = [_ordered(m, _FIRST_KEYS) for m in manifests]
    return yaml.dump_all(
        documents,
        Dumper=_Dumper,
        explicit_start=True,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 16,
    )


def write_files(objects: Sequence[RecordedResource], directory: Path) -> list[Path]:
    """Write each object to ``directory/NN-<kind>-<namespace>-<name>.yaml``, in order.

    ``NN`` is the object's place in apply order (zero-padded); the namespace part is left
    out for an object without one. Returns the files written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    width = max(2, len(str(len(objects))))
    written = []
    for number, resource in enumerate(objects, start=1):
        manifest = resource.manifest()
        metadata = manifest.get("metadata") or {}
        parts = [
            f"{number:0{width}d}",
            str(manifest.get("kind", "object")).lower(),
            str(metadata.get("namespace") or ""),
            str(metadata.get("name") or resource.name),
        ]
        path = directory / (_file_safe("-".join(p for p in parts if p)) + ".yaml")
        path.write_text(to_yaml([manifest]), encoding="utf-8")
        written.append(path)
    return written


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


def _ordered(value: Any, first: Sequence[str] = ()) -> Any:
    if isinstance(value, Mapping):
        keys = [k for k in first if k in value] + sorted(k for k in value if k not in first)
        return {
            k: _ordered(value[k], _FIRST_METADATA_KEYS if k == "metadata" and first else ())
            for k in keys
        }
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Safe YAML with literal blocks for multi-line strings and no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None
    )


_Dumper.add_representer(str, _represent_str)
