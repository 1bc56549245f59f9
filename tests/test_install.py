"""The install route the README gives, as a user takes it: ``python -m build`` makes the
wheel, ``pip install`` puts it (and its dependencies, from the package index) into a fresh
virtual environment, and that environment's ``ome-mcp`` renders an example exactly as the
checkout does.

The wheel is built from a copy of what it is made of (``pyproject.toml``, ``README.md``,
``ome_mcp_components/``), so the build leaves nothing in the shared working tree. Needs
the package index, as the README's route does (about half a minute, most of it pip).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from ome_mcp_components.offline.cli import to_yaml
from ome_mcp_components.offline.engine import load_program_dir, run_program

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "story-1-database-access"


def _run(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True,
                            timeout=900, check=False)
    assert result.returncode == 0, f"{argv}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def fresh_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a fresh virtual environment holding the built wheel."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "ome_mcp_components", source / "ome_mcp_components",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", work / "dist", source, cwd=work)
    [wheel] = (work / "dist").glob("ome_mcp_components-*.whl")
    venv.create(work / "fresh", with_pip=True)
    _run(work / "fresh" / "bin" / "pip", "install", "--quiet", wheel, cwd=work)
    return work / "fresh" / "bin"


def test_the_wheel_installs_and_renders_an_example_as_the_checkout_does(
    fresh_bin: Path, tmp_path: Path
) -> None:
    installed = _run(fresh_bin / "ome-mcp", "render", EXAMPLE, cwd=tmp_path)
    checkout = to_yaml(run_program(load_program_dir(EXAMPLE)).kubernetes_objects())
    assert installed.stdout == checkout


def test_the_installed_package_is_the_wheels(fresh_bin: Path, tmp_path: Path) -> None:
    where = _run(fresh_bin / "python", "-c", "import ome_mcp_components, sys; "
                 "print(ome_mcp_components.__file__)", cwd=tmp_path)
    assert str(fresh_bin.parent) in where.stdout
    assert str(ROOT) not in where.stdout
    typed = _run(fresh_bin / "python", "-c", "import importlib.resources as r; "
                 "print(r.files('ome_mcp_components').joinpath('py.typed').is_file())",
                 cwd=tmp_path)
    assert typed.stdout.strip() == "True"
