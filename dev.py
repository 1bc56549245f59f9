#!/usr/bin/env python3
"""The project's two entry points, runnable on a machine with nothing but Python 3.11.

    python3 dev.py preview [PATH ...]   offline preview of an example stack (the main job)
    python3 dev.py render  [PATH ...]   print the rendered Kubernetes objects as YAML
    python3 dev.py test                 lint (ruff), type-check (mypy --strict), tests (pytest),
                                        the real-engine and real-gateway tiers included
    python3 dev.py toolchain            build (first time) or find the pinned Go tools; prints
                                        their directory as its last line
    python3 dev.py cluster start|stop|status
                                        the local control plane (etcd, kube-apiserver, ...);
                                        ``start`` prints a kubeconfig path as its last line

Each command first makes sure ``.venv`` exists and holds the package with its ``dev``
extra; it reinstalls only when ``pyproject.toml`` has changed since the last install.
Extra arguments after ``test`` go to pytest. ``toolchain`` needs only Go (see
``devtools/toolchain.py``); ``test`` builds the toolchain first, so one command runs
every tier on a fresh machine.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".ome-mcp-installed"
DEFAULT_EXAMPLE = "examples/story-1-database-access"
LINTED = (
    "ome_mcp_components", "policy_pack", "devtools", "tests", "bench", "examples", "dev.py",
    "__main__.py",
)


def _run(*cmd: str | Path) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def ensure_venv() -> None:
    """Create .venv and install the package (editable) with its dev extra, if stale."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest and PY.exists():
        return
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [PY, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if _run(*pip, "-e", ".[dev]") != 0:
        sys.exit("dev.py: installing the package into .venv failed (see pip's output above)")
    STAMP.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"preview", "render", "test", "toolchain", "cluster"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "toolchain":
        sys.path.insert(0, str(ROOT))
        from devtools import toolchain

        return toolchain.main(rest)
    ensure_venv()
    if command == "cluster":
        return _run(PY, "-m", "devtools.cluster", *rest)
    cli = BIN / "ome-mcp"
    if command == "preview":
        return _run(cli, "preview", "--policy-pack", "policy_pack", *(rest or [DEFAULT_EXAMPLE]))
    if command == "render":
        return _run(cli, "render", *(rest or [DEFAULT_EXAMPLE]))
    sys.path.insert(0, str(ROOT))
    from devtools import toolchain

    try:
        os.environ[toolchain.ENV_VAR] = str(toolchain.ensure())
    except toolchain.ToolchainError as e:
        print(f"dev.py: the real-engine toolchain: {e}", file=sys.stderr)
        return 1
    lint = [p for p in LINTED if (ROOT / p).exists()]
    for step in ((BIN / "ruff", "check", *lint), (BIN / "mypy",)):
        if _run(*step) != 0:
            return 1
    return _run(PY, "-m", "pytest", *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
