"""Fixtures of the component provider's real-engine tests (besides ``tests/e2e/conftest.py``'s
``cluster``, ``pulumi_env`` and ``kube``):

- ``launcher``: the ``pulumi-resource-ome-mcp`` console script of this environment (what
  ``pip install ome-mcp-components`` puts on PATH);
- ``cli_env``: ``pulumi_env`` with that plugin installed into its ``PULUMI_HOME`` the
  way the README says (``pulumi plugin install resource ome-mcp <version> --file ...``),
  and ``PULUMI_DEBUG_COMMANDS`` so that the CLI writes event logs;
- ``policy_analyzer``: the policy pack as ``--policy-pack`` can start it here;
- ``cli_project``: ``cli_project(source, name)`` makes a ``clistack.CliProject`` in the
  test's temporary directory, destroyed at the end of the test whatever happened (so a
  failed test leaves nothing in the cluster for the next run to trip on).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clistack import CliProject
from realstack import prepare_pack

from ome_mcp_components.provider.host import version


@pytest.fixture(scope="session")
def launcher() -> Path:
    path = Path(sys.executable).parent / "pulumi-resource-ome-mcp"
    assert path.is_file(), (f"{path} is missing: install the package (python3 dev.py test does, "
                            f"pip install -e . too), it provides the console script")
    return path


@pytest.fixture(scope="session")
def cli_env(pulumi_env: dict[str, str], launcher: Path) -> dict[str, str]:
    env = {**pulumi_env, "PULUMI_DEBUG_COMMANDS": "true"}
    bin_dir = Path(env["OME_MCP_TOOLCHAIN"])
    assert (bin_dir / "pulumi-language-yaml").exists(), \
        f"no pulumi-language-yaml in {bin_dir}: python3 dev.py toolchain builds it"
    subprocess.run([str(bin_dir / "pulumi"), "plugin", "install", "resource", "ome-mcp",
                    version(), "--file", str(launcher)],
                   env=env, check=True, capture_output=True, text=True)
    return env


@pytest.fixture(scope="session")
def policy_analyzer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``policy_pack/`` as a user's CI has it (``realstack.prepare_pack``), started the one
    way ``--policy-pack`` can start a Python pack without Pulumi's Python language host:
    Pulumi 3.274 runs a pack directory only through ``pulumi-language-python`` (which the Go
    module proxy does not serve), and an executable path as a binary analyzer plugin
    (its only argument the engine's address): the pack's own ``analyzer`` (which creates the
    pack's ``venv`` from its requirements and runs ``python -m pulumi.policy``)."""
    return prepare_pack(tmp_path_factory.mktemp("pack")) / "analyzer"


@pytest.fixture
def cli_project(cli_env: dict[str, str], tmp_path: Path
                ) -> Iterator[Callable[[Path, str], CliProject]]:
    made: list[CliProject] = []

    def make(source: Path, name: str) -> CliProject:
        # stacks of one session share the file backend: one stack name per test
        made.append(CliProject(source, tmp_path / name, cli_env, stack=f"e2e-{tmp_path.name}"))
        return made[-1]

    yield make
    for project in made:
        if project.resources():
            project.destroy()
