"""Policy config files in the Pulumi CLI's format, checked before a pack starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ome_mcp_components.offline.analyzer import (
    PolicyPackError,
    load_policy_config,
    parse_policy_config,
)


@pytest.mark.parametrize(("config", "match"), [
    ({"image-pinned": "blocking"}, "not a valid enforcement level"),
    ({"image-pinned": {"enforcementLevel": "strict"}}, "not a valid enforcement level"),
    ({"image-pinned": 3}, "must be a string or object"),
    ({"environments": ["prod"]}, "ESC"),
], ids=["bad level", "bad level in object", "bad value", "ESC environments"])
def test_invalid_config_is_refused(config: dict[str, Any], match: str) -> None:
    with pytest.raises(PolicyPackError, match=match):
        parse_policy_config(config)


def test_levels_and_settings_are_split() -> None:
    parsed = parse_policy_config({"all": "advisory", "a": "mandatory",
                                  "b": {"enforcementLevel": "disabled", "x": [1]},
                                  "c": {"y": True}, "d": {}})
    assert {k: (v.level, v.properties) for k, v in parsed.items()} == {
        "all": ("advisory", {}), "a": ("mandatory", {}), "b": ("disabled", {"x": [1]}),
        "c": (None, {"y": True})}  # an empty object says nothing, as in the CLI


@pytest.mark.parametrize(("text", "expected"), [
    ("", {}),
    ('{"all": "advisory"}', {"all": "advisory"}),
], ids=["empty file", "object"])
def test_load_policy_config(tmp_path: Path, text: str, expected: dict[str, Any]) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)
    assert load_policy_config(path) == expected


@pytest.mark.parametrize(("text", "match"), [("{", "not valid JSON"),
                                             ("[]", "must be a JSON object")],
                         ids=["broken JSON", "not an object"])
def test_load_policy_config_refuses(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(PolicyPackError, match=match):
        load_policy_config(path)
    with pytest.raises(PolicyPackError, match=r"missing\.json"):
        load_policy_config(tmp_path / "missing.json")
