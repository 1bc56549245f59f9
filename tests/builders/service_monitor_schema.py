"""Validate a ServiceMonitor against ``tests/schemas/service_monitor.json``.

A plain module (pytest puts this directory on ``sys.path``), like ``cilium_schema``:
``service_monitor_errors(obj)`` lists every problem as ``"<path>: <message>"``, empty
for a valid object. The schema's origin is in ``tests/schemas/README.md``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "service_monitor.json"


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def service_monitor_errors(obj: dict[str, Any]) -> list[str]:
    """Every way ``obj`` breaks the ServiceMonitor schema, as ``path: message``."""
    errors = sorted(_validator().iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
