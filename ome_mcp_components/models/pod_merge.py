"""Merge the user's ``podTemplateSpec`` onto the server's pod template.

The rules are Kubernetes' strategic merge patch, restricted to what a PodTemplateSpec
holds (no general-purpose library knows Kubernetes' merge keys, so they are listed here):

- mappings merge key by key, recursively; a value the user sets wins, a ``null`` the
  user sets removes our field (the explicit way to loosen a default);
- lists with a merge key (``MERGE_KEYS``) merge item by item: an item whose key matches
  one of ours is merged into it (or replaces it, for one-of items such as ``env`` and
  ``volumes``), other items are appended in the user's order;
- every other list (``args``, ``tolerations``, ...) and every scalar is replaced;
- our labels (and the annotations the gateway relies on) always win: the selectors,
  the gateway and the policy pack depend on them.

So the container named ``mcp`` merges into the server container, other containers are
added, volumes merge by name, and ``env`` by name inside a container.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

#: List fields merged item by item: field name -> (merge key, replace matching items whole).
#: Keys are Kubernetes' ``patchMergeKey``s; ``env`` items and ``volumes`` are one-ofs
#: (``value`` or ``valueFrom``; one volume source), so a matching item replaces ours.
MERGE_KEYS: dict[str, tuple[str, bool]] = {
    "containers": ("name", False),
    "initContainers": ("name", False),
    "ephemeralContainers": ("name", False),
    "env": ("name", True),
    "ports": ("containerPort", False),
    "volumeMounts": ("mountPath", False),
    "volumeDevices": ("devicePath", False),
    "volumes": ("name", True),
    "imagePullSecrets": ("name", False),
    "hostAliases": ("ip", False),
}


def merge_pod_template(
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
    *,
    protected_labels: Mapping[str, str],
    protected_annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``theirs`` (the user's podTemplateSpec) merged onto ``ours``; neither is modified."""
    merged = _merge_mapping(ours, theirs)
    metadata = merged.setdefault("metadata", {})
    metadata["labels"] = {**(metadata.get("labels") or {}), **protected_labels}
    if protected_annotations:
        metadata["annotations"] = {**(metadata.get("annotations") or {}),
                                   **protected_annotations}
    return merged


def _merge_mapping(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(ours))
    for key, value in theirs.items():
        if value is None:
            merged.pop(key, None)
        elif key in MERGE_KEYS and isinstance(value, list):
            merge_key, replace = MERGE_KEYS[key]
            merged[key] = _merge_list(merged.get(key) or [], value, merge_key, replace)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge_mapping(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _merge_list(
    ours: list[Any], theirs: list[Any], merge_key: str, replace: bool
) -> list[Any]:
    merged = copy.deepcopy(ours)
    index = {
        item.get(merge_key): position
        for position, item in enumerate(merged)
        if isinstance(item, Mapping)
    }
    for item in theirs:
        key = item.get(merge_key) if isinstance(item, Mapping) else None
        if key is not None and key in index:
            position = index[key]
            merged[position] = copy.deepcopy(item) if replace else _merge_mapping(
                merged[position], item
            )
        else:
            merged.append(copy.deepcopy(item))
    return merged
