"""Every code block of the README, examples/README.md, docs/ and policy_pack/README.md,
used as a reader would use it: Python programs run (offline, under the recording engine)
without an error or a warning; YAML manifests render, and the OIDC/authz snippets of
docs/auth.md render as a server's spec; JSON configs are accepted by what reads them;
``ome-mcp`` and ``dev.py`` command lines are valid commands. A ``text`` block is prose
(a usage line, an output), not code.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ome_mcp_components.models import MCPServerSpec, parse_model
from ome_mcp_components.offline import engine
from ome_mcp_components.offline.analyzer import parse_policy_config
from ome_mcp_components.offline.cli.commands import _parser
from ome_mcp_components.plan import auth

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "policy_pack") not in sys.path:  # the pack's own modules
    sys.path.insert(0, str(ROOT / "policy_pack"))

from ome_mcp_policy import POLICIES  # noqa: E402

DOCUMENTS = ["README.md", "examples/README.md", "docs/auth.md", "docs/architecture.md",
             "policy_pack/README.md"]
_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
#: The commands dev.py takes (its usage line).
DEV_COMMANDS = {"preview", "render", "test", "toolchain", "cluster"}
#: The OIDC a docs/auth.md authz snippet is paired with: one whose tokens carry groups.
INLINE_OIDC = {"type": "inline", "inline": {"issuer": "https://idp.example.com",
                                            "audience": "docs-example"}}


def _blocks(*languages: str) -> Iterator[Any]:
    for name in DOCUMENTS:
        text = (ROOT / name).read_text()
        for match in _FENCE.finditer(text):
            if match.group(1) in languages:
                line = text.count("\n", 0, match.start()) + 1
                yield pytest.param(match.group(2), id=f"{name}:{line}")


def _warnings(recording: Any) -> list[str]:
    return [line for line in recording.warnings if not line.startswith("info:")]


@pytest.mark.parametrize("code", list(_blocks("python")))
def test_python_blocks_run_without_errors_or_warnings(code: str) -> None:
    def program() -> None:
        exec(compile(code, "<block>", "exec"), {"__name__": "__main__"})

    recording = engine.run_program(program)
    assert len(recording.resources) > 1, "the block registers nothing"
    assert _warnings(recording) == []


def _yaml_documents(text: str) -> list[Any]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


@pytest.mark.parametrize("text", list(_blocks("yaml")))
def test_yaml_blocks_render(text: str, tmp_path: Path) -> None:
    documents = _yaml_documents(text)
    first = documents[0]
    if "apiVersion" not in first:  # a docs/auth.md snippet: part of a server's spec
        spec = {"image": "ghcr.io/acme/tools:1.0.0", "transport": "streamable-http", **first}
        if "authzConfig" in spec and "oidcConfig" not in spec:
            spec["oidcConfig"] = INLINE_OIDC
        namespace = "tools"
        documents = [{"apiVersion": "ome.io/v1beta1", "kind": "MCPServer",
                      "metadata": {"name": "docs-example", "namespace": namespace},
                      "spec": spec},
                     *({**d, "metadata": {**d["metadata"], "namespace": namespace}}
                       for d in documents[1:])]
    path = tmp_path / "block.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    recording = engine.run_program(engine.load_paths([path]))
    assert recording.kubernetes_objects()
    assert _warnings(recording) == []


@pytest.mark.parametrize("text", list(_blocks("json")))
def test_json_blocks_are_accepted(text: str) -> None:
    document = yaml.safe_load(text)
    if document.get("type") == auth.CONFIG_TYPE:  # a cedarv1 authz ConfigMap document
        ref = parse_model(MCPServerSpec, {"image": "x:1", "authzConfig": {
            "type": "configMap", "configMap": {"name": "authz"}}}, resource="MCPServer 'x'",
            root="spec").authz_config
        assert ref is not None
        auth.resolve_authz(ref, config_map_data={"authz.json": text}, resource="x")
        return
    parse_policy_config(document)  # a policy pack config
    names = {p.name for p in POLICIES}
    assert set(document) - {"all"} <= names


def _command_lines(text: str) -> Iterator[list[str]]:
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        for start in range(len(words)):  # commands after `&&`, `cd ... &&`
            if start == 0 or words[start - 1] == "&&":
                yield words[start:words.index("&&", start) if "&&" in words[start:]
                            else len(words)]


@pytest.mark.parametrize("text", list(_blocks("sh")))
def test_command_lines_are_valid(text: str) -> None:
    for words in _command_lines(text):
        words = [w for w in words if w not in (">",)][:words.index(">")] if ">" in words \
            else words
        if words[:1] == ["ome-mcp"]:
            _parser().parse_args(words[1:])  # SystemExit on a bad command line
            for path in words[2:]:
                if path.startswith(("examples/", "policy_pack")):
                    assert (ROOT / path).exists(), path
        elif words[:2] == ["python3", "dev.py"]:
            assert words[2] in DEV_COMMANDS, words
            for path in words[3:]:
                if path.startswith("examples/"):
                    assert (ROOT / path).exists(), path
