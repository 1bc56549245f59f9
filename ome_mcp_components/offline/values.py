"""Protobuf ``Struct``/``Value`` and plain data, both ways: the one conversion the offline
engine (what a program registers) and the policy-pack client (what a pack is sent and
answers) share.

``plain_struct`` reads Pulumi's property wire format: secrets become ``"[secret]"``,
unknowns ``"[unknown]"``, resource references their URN, and the floats the wire format
makes of whole numbers are ``int`` again; nulls are left out of mappings. Plain JSON
(a pack's config schemas) reads the same way, since it holds none of the special values.
``to_struct`` and ``to_value`` go the other way, for JSON-like data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2  # type: ignore[import-untyped, unused-ignore]

from ome_mcp_components.vocabulary.wire import whole

SECRET = "[secret]"
"""What a secret value is recorded as: its clear text never reaches a recording."""

UNKNOWN = "[unknown]"
"""What a value that is not known at deployment time is recorded as."""

# Constants of Pulumi's property wire format (the same in every language SDK).
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def plain_struct(struct: struct_pb2.Struct) -> Any:
    """A wire-format ``Struct`` as plain data (see the module docstring for special values)."""
    fields = struct.fields
    if _SIG_KEY in fields:
        signature = fields[_SIG_KEY].string_value
        if signature == _SECRET_SIG:
            return SECRET
        if signature == _RESOURCE_SIG:
            return fields["urn"].string_value
        if signature == _OUTPUT_VALUE_SIG:
            if "secret" in fields and fields["secret"].bool_value:
                return SECRET
            return _plain_value(fields["value"]) if "value" in fields else UNKNOWN
    plain: dict[str, Any] = {}
    for key in sorted(fields):
        value = fields[key]
        kind = value.WhichOneof("kind")
        if kind != "null_value" and key != _SIG_KEY:
            plain[key] = _plain_of(value, kind)
    return plain


def _plain_value(value: struct_pb2.Value) -> Any:
    return _plain_of(value, value.WhichOneof("kind"))


def _plain_of(value: struct_pb2.Value, kind: str | None) -> Any:
    # one WhichOneof per value, the commonest kinds first: every registered resource's
    # inputs come through here (bench/README.md)
    if kind == "string_value":
        text: str = value.string_value
        return UNKNOWN if text == _UNKNOWN_WIRE else text
    if kind == "struct_value":
        return plain_struct(value.struct_value)
    if kind == "list_value":
        return [_plain_of(item, item.WhichOneof("kind")) for item in value.list_value.values]
    if kind == "number_value":
        return whole(value.number_value)
    if kind == "bool_value":
        return value.bool_value
    return None


def to_value(value: Any, path: str = "") -> struct_pb2.Value:
    """A JSON-like Python value as a protobuf ``Value`` (numbers become doubles, as in
    Pulumi's wire format; ``None`` becomes null)."""
    result = struct_pb2.Value()
    if value is None:
        result.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        result.bool_value = value
    elif isinstance(value, int | float):
        result.number_value = float(value)
    elif isinstance(value, str):
        result.string_value = value
    elif isinstance(value, Mapping):
        result.struct_value.CopyFrom(to_struct(value, path))
    elif isinstance(value, list | tuple):
        result.list_value.values.extend(to_value(v, f"{path}[{i}]") for i, v in enumerate(value))
    else:
        raise TypeError(f"{path or 'value'}: {type(value).__name__} cannot be sent to a "
                        f"policy pack")
    return result


def to_struct(mapping: Mapping[str, Any], path: str = "",
              *, skip_internal: bool = False) -> struct_pb2.Struct:
    """A mapping as a protobuf ``Struct``; ``skip_internal`` drops top-level ``__`` keys
    (the engine's ``SkipInternalKeys``)."""
    result = struct_pb2.Struct()
    for key, value in mapping.items():
        if not isinstance(key, str):
            raise TypeError(f"{path or 'value'}: key {key!r} is not a string")
        if skip_internal and key.startswith("__"):
            continue
        result.fields[key].CopyFrom(to_value(value, f"{path}.{key}" if path else key))
    return result
