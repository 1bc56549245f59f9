"""The whole pack over every example of ``examples/``, as the Pulumi CLI would run it.

Each example is rendered by the offline engine (``engine.load_paths``, ``run_program``)
and analyzed by one pack process driven over its gRPC Analyzer protocol
(``analyzer.PolicyPackSession``). No example, neither the OEP's stories and patterns nor
the extra ones, may violate a MANDATORY policy; the advisories each one draws are listed
in the assertion message. Then ``ome-mcp preview`` end to end, as a CI job runs it:
non-zero with the policies named on an insecure stack, zero on a secure example
(``tests/test_cli.py`` covers the command's output with a stand-in analyzer).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from policy_fixtures import PACK_DIR

from ome_mcp_components.offline import engine
from ome_mcp_components.offline.analyzer import AnalysisResult, Diagnostic, PolicyPackSession
from ome_mcp_components.offline.recording import Recording

EXAMPLES = PACK_DIR.parent / "examples"


def _example_inputs() -> list[Path]:
    """Every example's program directory and YAML manifest, each rendered on its own."""
    found: list[Path] = []
    for directory in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        if (directory / "__main__.py").is_file():
            found.append(directory)
        found.extend(sorted(directory.glob("manifest.y*ml")))
    return found


INPUTS = _example_inputs() if EXAMPLES.is_dir() else []


def _id(path: Path) -> str:
    return str(path.relative_to(EXAMPLES))


def _render(path: Path) -> Recording:
    """What the example registers, rendered offline (examples need no cluster state)."""
    return engine.run_program(engine.load_paths([path]))


@pytest.fixture(scope="module")
def results(pack_dir: Path) -> Iterator[dict[Path, AnalysisResult]]:
    """Every example analyzed by one pack process, with the pack's default config."""
    with PolicyPackSession(pack_dir) as pack:
        yield {path: pack.analyze(_render(path)) for path in INPUTS}


def _finding(d: Diagnostic) -> str:
    """The finding of a diagnostic, without the policy's description and remediation."""
    return d.message.removeprefix(d.description).split("\nRemediation:")[0].strip()


def _lines(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(f"    - {d.policy_name} ({d.severity}) {d.resource_type} "
                     f"{d.resource_name}: {_finding(d)}" for d in diagnostics) or "    (none)"


def report(path: Path, result: AnalysisResult) -> str:
    """What the pack said about one example, readable in a failed assertion."""
    return (f"{_id(path)}:\n  mandatory:\n{_lines(result.mandatory_violations)}\n"
            f"  advisory:\n{_lines(result.advisory_violations)}")


def test_every_story_and_pattern_of_the_oep_is_an_example() -> None:
    names = {p.name for p in EXAMPLES.iterdir() if p.is_dir()}
    for prefix in ("story-1", "story-2", "story-3", "pattern-1", "pattern-2", "pattern-3",
                   "pattern-4"):
        assert any(n.startswith(prefix) for n in names), (prefix, sorted(names))


@pytest.mark.parametrize("path", INPUTS, ids=[_id(p) for p in INPUTS])
def test_example_has_no_mandatory_violation(path: Path,
                                            results: dict[Path, AnalysisResult]) -> None:
    result = results[path]
    assert result.mandatory_violations == [], report(path, result)


def test_every_policy_ran_over_the_examples(results: dict[Path, AnalysisResult]) -> None:
    """The pack answered for every example with all its policies in force; what it said
    is printed per example (``pytest -rA`` shows it with the passing test)."""
    assert set(results) == set(INPUTS)
    summary = "\n".join(report(path, result) for path, result in results.items())
    print(summary)
    for result in results.values():
        assert result.pack_name == "ome-mcp-security"
        assert all(p.enforcement_level in ("advisory", "mandatory") for p in result.policies)
        assert not any(line.startswith("error") for line in result.log), result.log


# --- ome-mcp preview, end to end ------------------------------------------------------------

INSECURE_PROGRAM = (PACK_DIR.parent / "tests" / "data" / "insecure" / "__main__.py").read_text()


def _preview(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``ome-mcp preview --policy-pack policy_pack ...`` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "ome_mcp_components.offline.cli", "preview", "--policy-pack",
         str(PACK_DIR), *map(str, args)],
        capture_output=True, text=True, timeout=300, check=False)


def test_preview_fails_on_an_insecure_stack_naming_the_policies(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text(INSECURE_PROGRAM)
    done = _preview(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    mandatory = done.stdout.split("    mandatory:\n")[1].split("    advisory:\n")[0]
    for policy, resource in (
        ("cluster-mcp-server-requires-auth", "ome-mcp:index:ClusterMCPServer (shared-tools)"),
        ("no-open-egress", "ome-mcp:index:MCPServer (open-egress)"),
        ("pss-privileged-containers", "kubernetes:apps/v1:Deployment (legacy)"),
        ("pss-host-namespaces", "kubernetes:apps/v1:Deployment (legacy)"),
    ):
        assert f"] {policy}  {resource}" in mandatory, done.stdout
    assert "image-pinned" in done.stdout.split("    advisory:\n")[1]


def test_preview_passes_on_a_secure_example() -> None:
    done = _preview(EXAMPLES / "secure-http")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Policies:\n" in done.stdout  # the pack ran
    assert "    mandatory:\n" not in done.stdout
