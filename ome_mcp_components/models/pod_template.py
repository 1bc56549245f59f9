"""``spec.podTemplateSpec``: a fragment of a pod template, checked as it will be merged.

Users (and ToolHive's own examples) write fragments such as ``{spec: {nodeSelector:
...}}`` without ``containers``: the template is merged onto the server's pod
(``models.pod_merge``), which always has the server container ``mcp``. So what is
checked against the Kubernetes ``PodTemplateSpec`` schema is the merged result, not the
fragment alone:

1. the fragment's own fields, strictly (unknown fields, types, values), except the
   ``required`` rule: a field the merge supplies need not be in the fragment;
2. then the fragment merged onto a stand-in for our template (a pod whose only content
   is the ``mcp`` container with an image), so that what is still missing after the
   merge (a sidecar's ``name``, a port's ``containerPort``) is an error, at the path the
   user wrote it;
3. and what the fragment may not remove with ``null``: the pod's ``spec``, its
   ``containers``, the ``mcp`` container's ``image``.

The rest of our template is schema-valid by construction (the tests check every object
the examples render), so the stand-in decides exactly what the real merge decides.
Insecure fragments (``hostNetwork: true``, ``runAsUser: 0``, ...) are valid Kubernetes:
they render, and the policy pack reports them as it does for any pod.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ome_mcp_components.models.base import RuleError
from ome_mcp_components.models.k8s_schema import schema_errors
from ome_mcp_components.models.pod_merge import merge_pod_template
from ome_mcp_components.vocabulary.names import MCP_CONTAINER

POD_TEMPLATE_SPEC = "io.k8s.api.core.v1.PodTemplateSpec"
_STAND_IN_IMAGE = "stand-in:for-spec.image"

Path = tuple[str | int, ...]


def check_pod_template(fragment: dict[str, Any]) -> dict[str, Any]:
    """``fragment`` unchanged if, merged onto the server pod, it is a valid template;
    otherwise raise ``RuleError`` with every problem at its path inside the fragment."""
    problems = list(schema_errors(fragment, POD_TEMPLATE_SPEC, required=False))
    if not problems:
        problems = _merged_problems(fragment)
    if problems:
        raise RuleError(*problems[0], *problems[1:])
    return fragment


def _merged_problems(fragment: Mapping[str, Any]) -> list[tuple[Path, str]]:
    if "spec" in fragment and fragment["spec"] is None:
        return [(("spec",), f"cannot be null: it would remove the server pod's spec "
                            f"(container {MCP_CONTAINER!r}, the security defaults); leave "
                            f"the key out, or set single fields to null")]
    stand_in = {"spec": {"containers": [{"name": MCP_CONTAINER, "image": _STAND_IN_IMAGE}]}}
    merged = merge_pod_template(stand_in, fragment, protected_labels={})
    theirs = _as_list((fragment.get("spec") or {}).get("containers"))
    origins = _container_origins(theirs, MCP_CONTAINER)
    problems = [(_user_path(path, origins), message)
                for path, message in schema_errors(merged, POD_TEMPLATE_SPEC)]
    containers = _as_list(merged.get("spec", {}).get("containers"))
    server = next((c for c in containers if isinstance(c, Mapping)
                   and c.get("name") == MCP_CONTAINER), None)
    if server is None:
        problems.append((("spec", "containers"),
                         f"cannot be null: the pod needs the server container "
                         f"{MCP_CONTAINER!r}"))
    elif not server.get("image"):
        index = origins[0] if origins and origins[0] is not None else 0
        problems.append((("spec", "containers", index, "image"),
                         f"cannot be null: container {MCP_CONTAINER!r} runs spec.image "
                         f"(set spec.image instead)"))
    return problems


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _container_origins(theirs: list[Any], server: str) -> list[int | None]:
    """For each container of the merged template, its index in the fragment's list
    (``None``: the stand-in's server container, which the fragment did not name).
    Mirrors ``merge_pod_template``: ``server`` merges into the first item, others append."""
    origins: list[int | None] = [None]
    for index, item in enumerate(theirs):
        if isinstance(item, Mapping) and item.get("name") == server:
            origins[0] = index
        else:
            origins.append(index)
    return origins


def _user_path(path: Path, origins: list[int | None]) -> Path:
    """A path in the merged template as a path in the fragment."""
    if path[:2] != ("spec", "containers") or len(path) < 3:
        return path
    index = path[2]
    origin = origins[index] if isinstance(index, int) and index < len(origins) else None
    return path if origin is None else ("spec", "containers", origin, *path[3:])
