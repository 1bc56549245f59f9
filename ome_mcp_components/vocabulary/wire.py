"""Property values as they arrive over Pulumi's gRPC wire, made plain again.

Pulumi's wire format is protobuf's ``Struct``: every number is a float (``8080.0``), and
the SDKs hand values on as read-only mapping and sequence proxies. Code that validates
such values with the components' pydantic models (the policy pack, the component
provider) first makes them what JSON would decode: ``plain``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def whole(number: float) -> int | float:
    """A whole float as ``int`` (``443.0`` is ``443``); any other number unchanged."""
    return int(number) if number.is_integer() else number


def plain(value: Any) -> Any:
    """``value`` as JSON would decode it: every mapping a ``dict`` with string keys,
    every sequence (not a string) a ``list``, every whole float an ``int``."""
    if isinstance(value, float):
        return whole(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(v) for v in value]
    return value
