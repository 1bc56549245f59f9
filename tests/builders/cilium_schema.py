"""Validate a CiliumNetworkPolicy against ``tests/schemas/cilium_network_policy.json``.

A plain module (pytest puts this directory on ``sys.path``) so that any test can check
the Cilium objects it renders: ``cilium_policy_errors(obj)`` lists every problem as
``"<path>: <message>"``, and is empty for a valid object. The schema's origin is in
``tests/schemas/README.md``.
"""

from __future__ import annotations

import ipaddress
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "cilium_network_policy.json"

_formats = jsonschema.FormatChecker()


@_formats.checks("cidr", raises=ValueError)
def _cidr(value: object) -> bool:
    """Cilium's ``format: cidr``: an address with a prefix length."""
    if not isinstance(value, str):
        return True
    if "/" not in value:
        raise ValueError(f"{value!r} has no prefix length")
    ipaddress.ip_network(value, strict=False)
    return True


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=_formats)


def cilium_policy_errors(obj: dict[str, Any]) -> list[str]:
    """Every way ``obj`` breaks the CiliumNetworkPolicy schema, as ``path: message``."""
    errors = sorted(_validator().iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
