"""A policy config in the CLI's format (``--policy-pack-config``), checked, and merged
with the pack's own as the CLI's ``ReconcilePolicyPackConfig`` does: schema defaults,
then the pack's initial config, then the user's (``{"all": level}`` first, then per
policy), validated against each policy's JSON schema.

The one deliberate difference from the CLI: a config entry naming a policy the pack does
not have is an error here (the CLI passes it on unseen), so a typo cannot silently
disable nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from pulumi.runtime.proto import analyzer_pb2

from ome_mcp_components.offline.analyzer.protocol import PROTO_TO_LEVEL
from ome_mcp_components.offline.analyzer.results import PolicyPackError
from ome_mcp_components.offline.values import plain_struct

#: The CLI's enforcement levels, in its spelling.
ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")


@dataclass(frozen=True)
class PolicyConfig:
    """One policy's settings: its level (None: unchanged) and its properties."""

    level: str | None
    properties: dict[str, Any]


def _check_level(where: str, level: Any) -> str:
    if not isinstance(level, str) or level not in ENFORCEMENT_LEVELS:
        raise PolicyPackError("policy config", f"{where}: {level!r} is not a valid enforcement "
                              f"level (one of {', '.join(ENFORCEMENT_LEVELS)})")
    return level


def parse_policy_config(config: Mapping[str, Any]) -> dict[str, PolicyConfig]:
    """Validate a policy config in the CLI's format (``--policy-pack-config`` file):
    ``{"all": "advisory", "<policy>": "mandatory" | {"enforcementLevel": ..., "<prop>": ...}}``.
    """
    result: dict[str, PolicyConfig] = {}
    for name, value in config.items():
        if name == "environments":
            raise PolicyPackError("policy config", "'environments' (Pulumi ESC) cannot be "
                                  "resolved offline")
        if isinstance(value, str):
            result[name] = PolicyConfig(_check_level(name, value), {})
        elif isinstance(value, Mapping):
            properties = dict(value)
            level = properties.pop("enforcementLevel", None)
            if level is not None:
                level = _check_level(f"{name}.enforcementLevel", level)
            if level is not None or properties:
                result[name] = PolicyConfig(level, properties)
        else:
            raise PolicyPackError("policy config", f"{name}: {value!r} is not a valid value; "
                                  f"must be a string or object")
    return result


def load_policy_config(path: Path) -> dict[str, Any]:
    """Read a policy config file (JSON, the CLI's format); an empty file is no config."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise PolicyPackError(f"policy config {path}", f"is not UTF-8 text ({e.reason} at "
                                                       f"byte {e.start})") from None
    except OSError as e:
        raise PolicyPackError(f"policy config {path}", str(e)) from e
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as e:
        raise PolicyPackError(f"policy config {path}", f"not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise PolicyPackError(f"policy config {path}", "must be a JSON object")
    return data


def reconcile(policies: Sequence[analyzer_pb2.PolicyInfo],
              initial: Mapping[str, PolicyConfig],
              given: Mapping[str, PolicyConfig]) -> dict[str, PolicyConfig]:
    """Defaults from the schemas, then the pack's initial config, then the user's."""
    result = {
        p.name: PolicyConfig(
            PROTO_TO_LEVEL[p.enforcementLevel],
            {k: v["default"] for k, v in plain_struct(p.configSchema.properties).items()
             if isinstance(v, Mapping) and "default" in v},
        )
        for p in policies
    }
    known = set(result)
    for layer, source in ((initial, "the pack's initial config"), (given, "policy config")):
        unknown = sorted(set(layer) - known - {"all"})
        if unknown and layer is given:
            raise PolicyPackError(source, f"no such policy: {', '.join(unknown)} (the pack "
                                  f"has {', '.join(sorted(known))})")
        if "all" in layer and layer["all"].level is not None:
            result = {k: PolicyConfig(layer["all"].level, v.properties)
                      for k, v in result.items()}
        for name, entry in layer.items():
            if name == "all" or name not in known:
                continue
            current = result[name]
            result[name] = PolicyConfig(entry.level or current.level,
                                        {**current.properties, **entry.properties})
    return result


def validate(policies: Sequence[analyzer_pb2.PolicyInfo],
             config: Mapping[str, PolicyConfig]) -> None:
    """Check each policy's properties against its schema, as the CLI does."""
    errors: list[str] = []
    for p in policies:
        schema: dict[str, Any] = {"type": "object"}
        properties = plain_struct(p.configSchema.properties)
        properties["enforcementLevel"] = {"type": "string", "enum": list(ENFORCEMENT_LEVELS)}
        schema["properties"] = properties
        if p.configSchema.required:
            schema["required"] = list(p.configSchema.required)
        validator = jsonschema.Draft7Validator(schema)
        for error in validator.iter_errors(config[p.name].properties):
            where = ".".join(str(x) for x in error.absolute_path)
            errors.append(f"{p.name}: {where + ': ' if where else ''}{error.message}")
    if errors:
        raise PolicyPackError("policy config", "; ".join(sorted(errors)))
