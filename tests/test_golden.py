"""Golden files: the rendered YAML of every example, kept under ``tests/golden/``.

Any change to what an example renders shows up as a diff of these files, so it is a
reviewed change. After an intended change, regenerate them and review the diff:

    OME_MCP_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from ome_mcp_components.offline.cli import to_yaml
from ome_mcp_components.offline.engine import load_program_dir, run_program

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "__main__.py").exists())
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("OME_MCP_UPDATE_GOLDEN") == "1"


def test_every_example_has_a_golden_file() -> None:
    assert EXAMPLES, "no examples found"
    assert sorted(p.stem for p in GOLDEN.glob("*.yaml")) == EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_renders_its_golden_file(example: str) -> None:
    rendered = to_yaml(run_program(load_program_dir(ROOT / "examples" / example))
                       .kubernetes_objects())
    golden = GOLDEN / f"{example}.yaml"
    if UPDATE:
        golden.write_text(rendered)
    expected = golden.read_text()
    if rendered != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), rendered.splitlines(keepends=True),
            f"tests/golden/{example}.yaml", "rendered now", n=2))
        pytest.fail(f"{example} renders differently from its golden file "
                    f"(set OME_MCP_UPDATE_GOLDEN=1 to accept):\n{diff[:6000]}")
