"""The policy pack under the real Pulumi CLI: ``pulumi preview --policy-pack policy_pack``.

The pack is used as a user's CI uses it: a copy of ``policy_pack/`` whose
``requirements.txt`` the CLI installs into the pack's ``venv`` (the components' wheel
from ``../dist``, built here from the checkout, and the rest from the package index). It
must fail an insecure stack naming the same mandatory policies as ``ome-mcp preview``,
pass every example, and give the same verdicts as ``ome-mcp preview`` case by case.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from realstack import ROOT, PulumiProject, prepare_pack

pytestmark = pytest.mark.e2e

EXAMPLES = ROOT / "examples"
PROJECTS = sorted(p.name for p in EXAMPLES.iterdir() if (p / "Pulumi.yaml").exists())
INSECURE = ROOT / "tests" / "data" / "insecure"

#: a verdict: (level, policy, resource type, resource name)
Verdict = tuple[str, str, str, str]
_LINE = re.compile(
    r"^      - \[(?P<pack>[^\]]+)\] (?P<policy>\S+)  (?P<type>\S+) \((?P<name>[^)]*)\)$")


@pytest.fixture(scope="session")
def real_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``policy_pack/`` copied beside a ``dist/`` holding the checkout's wheel, started
    through its ``analyzer`` executable (the CLI here has no Python language host)."""
    return prepare_pack(tmp_path_factory.mktemp("pack")) / "analyzer"


def ome_mcp_verdicts(project: Path) -> tuple[int, set[Verdict]]:
    """Exit code and verdicts of ``ome-mcp preview --policy-pack policy_pack``."""
    done = subprocess.run(
        [sys.executable, "-m", "ome_mcp_components.offline.cli", "preview", "--policy-pack",
         str(ROOT / "policy_pack"), str(project)],
        capture_output=True, text=True, timeout=600, check=False, cwd=ROOT)
    verdicts: set[Verdict] = set()
    level = ""
    for line in done.stdout.splitlines():
        if line in ("    mandatory:", "    advisory:"):
            level = line.strip(" :")
        elif (m := _LINE.match(line)) and m["pack"] == "ome-mcp-security":
            verdicts.add((level, m["policy"], m["type"], m["name"]))
    return done.returncode, verdicts


def cli_verdicts(policies: list[dict[str, Any]]) -> set[Verdict]:
    return {(p["level"], p["policy"], p["type"], p["name"]) for p in policies
            if p["pack"] == "ome-mcp-security"}


def test_the_cli_fails_an_insecure_stack_as_ome_mcp_preview_does(
    real_pack: Path, pulumi_env: dict[str, str], kube: Any, tmp_path: Path
) -> None:
    kube.ensure_namespace("tools")
    stack = PulumiProject(INSECURE, tmp_path / "insecure", pulumi_env)
    preview = stack.preview(policy_packs=[real_pack])
    assert not preview.ok
    verdicts = cli_verdicts(preview.policies)
    for policy, kind, name in (
        ("cluster-mcp-server-requires-auth", "ome-mcp:index:ClusterMCPServer", "shared-tools"),
        ("no-open-egress", "ome-mcp:index:MCPServer", "open-egress"),
        ("pss-privileged-containers", "kubernetes:apps/v1:Deployment", "legacy"),
        ("pss-host-namespaces", "kubernetes:apps/v1:Deployment", "legacy"),
    ):
        assert ("mandatory", policy, kind, name) in verdicts, preview.text
    code, offline = ome_mcp_verdicts(INSECURE)
    assert code == 1
    assert verdicts == offline


@pytest.mark.parametrize("project", PROJECTS)
def test_the_cli_passes_each_example_as_ome_mcp_preview_does(
    project: str, real_pack: Path, pulumi_env: dict[str, str], kube: Any, tmp_path: Path
) -> None:
    from realstack import render

    kube.prepare(render(EXAMPLES / project))
    stack = PulumiProject(EXAMPLES / project, tmp_path / project, pulumi_env)
    preview = stack.preview(policy_packs=[real_pack])
    assert preview.ok, preview.text
    verdicts = cli_verdicts(preview.policies)
    assert not [v for v in verdicts if v[0] == "mandatory"]
    code, offline = ome_mcp_verdicts(EXAMPLES / project)
    assert code == 0
    assert verdicts == offline
