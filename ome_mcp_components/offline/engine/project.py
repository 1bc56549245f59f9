"""A Pulumi project's own files: ``Pulumi.yaml`` and the config of ``Pulumi.<stack>.yaml``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ome_mcp_components.errors import OmeMcpError
from ome_mcp_components.offline.values import SECRET

DEFAULT_PROJECT = "ome-mcp"
DEFAULT_STACK = "dev"


def qualify(project: str, key: str) -> str:
    """A config key with its namespace: ``"key"`` means ``"<project>:key"``."""
    return key if ":" in key else f"{project}:{key}"


def stack_config(
    directory: Path, stack: str, project: Mapping[str, Any]
) -> tuple[dict[str, str], set[str]]:
    """Config values of the project's defaults and ``Pulumi.<stack>.yaml``, as strings,
    and the keys that are secrets (encrypted values cannot be read offline and become
    ``"[secret]"``)."""
    name = str(project.get("name", DEFAULT_PROJECT))
    values: dict[str, Any] = {}
    for key, spec in (project.get("config") or {}).items():
        if isinstance(spec, dict):
            if "value" in spec or "default" in spec:
                values[qualify(name, key)] = spec.get("value", spec.get("default"))
        else:
            values[qualify(name, key)] = spec
    stack_file = directory / f"Pulumi.{stack}.yaml"
    if stack_file.is_file():
        config_values = read_yaml_mapping(stack_file).get("config") or {}
        values.update({qualify(name, k): v for k, v in config_values.items()})
    config: dict[str, str] = {}
    secrets: set[str] = set()
    for key, value in values.items():
        if isinstance(value, dict) and "secure" in value:
            config[key] = SECRET
            secrets.add(key)
        elif isinstance(value, str):
            config[key] = value
        else:
            config[key] = json.dumps(value)
    return config, secrets


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """The YAML mapping ``path`` holds (``{}`` for an empty file); ``OmeMcpError`` if the
    file cannot be read or holds something else."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise OmeMcpError(str(path), f"is not UTF-8 text ({error.reason} at byte "
                                     f"{error.start})") from None
    except (OSError, yaml.YAMLError) as error:
        raise OmeMcpError(str(path), f"cannot be read: {error}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise OmeMcpError(str(path), "is not a YAML mapping")
    return loaded
