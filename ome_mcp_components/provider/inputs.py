"""From what a program in any language sends to the arguments a Python program passes.

Pure. A Pulumi program in YAML, TypeScript or Go sends a component's inputs under the
schema's names (``networkEnforcement``, ``spec.oidcConfig``, ``audit.maxDataSize``) with
every number as a float. ``component_args`` renames each known property to the key the
components take (the OEP's camelCase inside the spec, snake_case for the options) and
makes whole numbers ``int`` again where the schema says integer, and everywhere inside
free-form Kubernetes objects (``containerPort: 8080``), as a Python program would have
written them. Nothing else changes: a key the schema does not know is passed on, so the
components reject it with the same error a Python program gets. ``wire_path`` goes the
other way for the field paths of errors (``gateway_image`` -> ``gatewayImage``), so that
an error names a field as the program wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ome_mcp_components.provider.schema import ANY, Package
from ome_mcp_components.vocabulary.wire import plain, whole

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
        return plain(value)
    if ref.startswith(_TYPES):
        token = ref[len(_TYPES):]
        declared = package.schema["types"][token]
        if declared.get("type") == "object" and isinstance(value, Mapping):
            return _object(package, declared["properties"], package.names.get(token, {}), value)
        return value
    kind = prop.get("type")
    if kind == "integer":
        return whole(value) if isinstance(value, float) else value
    if kind == "array" and isinstance(value, list):
        return [_value(package, prop["items"], item) for item in value]
    if kind == "object" and "additionalProperties" in prop and isinstance(value, Mapping):
        return {k: _value(package, prop["additionalProperties"], v) for k, v in value.items()}
    return value





_SEGMENT = re.compile(r"^(?P<name>[^\[]*)(?P<index>(\[[^\]]*\])*)$")


def wire_path(package: Package, token: str, path: str) -> str:
    """A field path of the components' errors (``audit.max_data_size``, ``spec.port``) in
    the schema's names (``audit.maxDataSize``, ``spec.port``); a segment the schema does
    not know, and everything below it, stays as it is."""
    if not path:
        return path
    properties: Mapping[str, Any] | None = package.schema["resources"][token]["inputProperties"]
    names: Mapping[str, str] = package.names[token]
    out = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if properties is None or match is None:
            out.append(segment)
            properties = None
            continue
        python = match["name"]
        schema_name = next((k for k, v in names.items() if v == python), None)
        if schema_name is None or schema_name not in properties:
            out.append(segment)
            properties = None
            continue
        out.append(schema_name + match["index"])
        prop = properties[schema_name]
        while prop.get("type") in ("array", "object") and not prop.get("$ref") and (
                "items" in prop or "additionalProperties" in prop):
            prop = prop.get("items") or prop["additionalProperties"]
        ref = prop.get("$ref", "")
        declared = package.schema["types"].get(ref[len(_TYPES):]) if ref.startswith(_TYPES) \
            else None
        if declared is None or declared.get("type") != "object":
            properties = None
            continue
        properties, names = declared["properties"], package.names.get(ref[len(_TYPES):], {})
    return ".".join(out)
