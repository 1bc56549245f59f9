"""From what a program in any language sends to the arguments a Python program passes.

Pure. A Pulumi program in YAML, TypeScript or Go sends a component's inputs under the
schema's names (``networkEnforcement``, ``spec.oidcConfig``, ``audit.maxDataSize``) with
every number as a float. ``component_args`` renames each known property to the key the
components take (the OEP's camelCase inside the spec, snake_case for the options) and
makes whole numbers ``int`` again where the schema says integer, and everywhere inside
free-form Kubernetes objects (``containerPort: 8080``), as a Python program would have
written them. Nothing else changes: a key the schema does not know is passed on, so the
components reject it with the same error a Python program gets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ome_mcp_components.provider.schema import ANY, Package

_TYPES = "#/types/"


def component_args(package: Package, token: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments of component ``token`` (its type token) from its wire inputs."""
    resource = package.schema["resources"][token]
    return _object(package, resource["inputProperties"], package.names[token], inputs)


def _object(package: Package, properties: Mapping[str, Any], names: Mapping[str, str],
            value: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in value.items():
        prop = properties.get(key)
        result[names.get(key, key)] = item if prop is None else _value(package, prop, item)
    return result


def _value(package: Package, prop: Mapping[str, Any], value: Any) -> Any:
    ref = prop.get("$ref", "")
    if ref == ANY["$ref"]:
        return whole_numbers(value)
    if ref.startswith(_TYPES):
        token = ref[len(_TYPES):]
        declared = package.schema["types"][token]
        if declared.get("type") == "object" and isinstance(value, Mapping):
            return _object(package, declared["properties"], package.names.get(token, {}), value)
        return value
    kind = prop.get("type")
    if kind == "integer":
        return _int(value)
    if kind == "array" and isinstance(value, list):
        return [_value(package, prop["items"], item) for item in value]
    if kind == "object" and "additionalProperties" in prop and isinstance(value, Mapping):
        return {k: _value(package, prop["additionalProperties"], v) for k, v in value.items()}
    return value


def whole_numbers(value: Any) -> Any:
    """``value`` with every whole float made ``int`` (at any depth)."""
    if isinstance(value, Mapping):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return _int(value)


def _int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
