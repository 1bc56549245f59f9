"""The Kubernetes OpenAPI schema, for the core/v1 objects a spec embeds.

The OEP's ``MCPServerSpec`` embeds Kubernetes types as they are (``env``,
``volumeMounts``, ``volumes``, ``resources``, ``tolerations``, ``affinity``,
``podTemplateSpec``). Rather than re-declaring them, they are checked against the
official schema of the Kubernetes version we target, in strict mode (no unknown
fields), as shipped by ``kubernetes-validate``. The schema definitions are loaded
once per process and each validator is built once per definition.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

#: The Kubernetes minor version every rendered object and embedded type is checked against.
KUBERNETES_VERSION = "1.34.0"
_SCHEMA_DIR = f"v{KUBERNETES_VERSION}-local-strict"
_DEFS_ID = "urn:ome-mcp:k8s-definitions"


@cache
def _registry() -> tuple[Registry, dict[str, Any]]:
    ref = resources.files("kubernetes_validate").joinpath(
        "kubernetes-json-schema", _SCHEMA_DIR, "_definitions.json"
    )
    definitions: dict[str, Any] = json.loads(ref.read_text())
    definitions["$id"] = _DEFS_ID
    resource: Resource[Any] = Resource.from_contents(definitions)
    return resource @ Registry(), definitions


@cache
def _validator(definition: str) -> jsonschema.Draft202012Validator:
    registry, definitions = _registry()
    if definition not in definitions["$defs"]:
        raise KeyError(f"no Kubernetes {KUBERNETES_VERSION} schema definition {definition!r}")
    schema = {"$ref": f"{_DEFS_ID}#/$defs/{definition}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def schema_errors(
    value: Any, definition: str, *, required: bool = True
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield ``(path, message)`` for each way ``value`` breaks a schema definition.

    ``definition`` is a name such as ``"io.k8s.api.core.v1.Affinity"``; ``path`` is the
    location inside ``value`` (keys and list indices). Errors come out in a stable order.
    ``required=False`` leaves out missing required fields (for a fragment that is merged
    onto an object before it is used). Servers of one stack share most of what they embed
    (the same env var, the same volume), so each distinct value is checked once.
    """
    try:
        key = _frozen(value)
    except TypeError:  # a value no cache can hold: check it as it is
        yield from _errors(value, definition, required)
        return
    yield from _cached_errors(key, definition, required)


_Frozen = tuple[Any, ...]


def _frozen(value: Any) -> _Frozen:
    """``value`` as a hashable key that tells apart everything the schema tells apart
    (mappings, lists, and each leaf's type: ``1``, ``1.0`` and ``True`` differ); raises
    ``TypeError`` for what cannot be a key."""
    if isinstance(value, dict):
        return (dict, tuple(sorted((k, _frozen(v)) for k, v in value.items())))
    if isinstance(value, list):
        return (list, tuple(_frozen(v) for v in value))
    hash(value)
    return (type(value), value)


def _thawed(key: _Frozen) -> Any:
    """The value ``_frozen`` made ``key`` of (an equal copy)."""
    kind, content = key
    if kind is dict:
        return {k: _thawed(v) for k, v in content}
    if kind is list:
        return [_thawed(v) for v in content]
    return content


@lru_cache(maxsize=4096)
def _cached_errors(
    key: _Frozen, definition: str, required: bool
) -> tuple[tuple[tuple[str | int, ...], str], ...]:
    return tuple(_errors(_thawed(key), definition, required))


def _errors(
    value: Any, definition: str, required: bool
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    errors = sorted(
        _validator(definition).iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path]
    )
    for error in errors:
        if required or error.validator != "required":
            yield tuple(error.absolute_path), _short(error)


def _short(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        unexpected = error.message.split("(")[-1].removesuffix(")")
        fields = unexpected.removesuffix(" was unexpected").removesuffix(" were unexpected")
        return f"unknown field {fields}"
    if error.validator == "type":
        return f"expected {_types(error.validator_value)}, got {type(error.instance).__name__}"
    message: str = error.message
    if error.validator == "required":
        return message.replace("is a required property", "is required")
    return message


def _types(value: Any) -> str:
    names = [value] if isinstance(value, str) else [t for t in value if t != "null"]
    return " or ".join(names)
