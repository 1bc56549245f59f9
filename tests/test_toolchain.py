"""The toolchain recipe (devtools/toolchain.py): pins in one place, hashes per tool, and the
built tools answering with the pinned versions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from devtools import toolchain  # noqa: E402


def test_every_wrapper_module_requires_the_pinned_version() -> None:
    toolchain.check_pins()


def test_a_wrapper_module_at_another_version_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipes = tmp_path / "toolchain"
    shutil.copytree(toolchain.RECIPES, recipes)
    gomod = recipes / "etcd" / "go.mod"
    gomod.write_text(gomod.read_text().replace(
        f"go.etcd.io/etcd/server/v3 v{toolchain.ETCD_VERSION}", "go.etcd.io/etcd/server/v3 v3.6.0"))
    monkeypatch.setattr(toolchain, "RECIPES", recipes)

    with pytest.raises(toolchain.ToolchainError, match=r"toolchain/etcd/go.mod requires"):
        toolchain.check_pins()


def test_a_changed_recipe_changes_its_own_hash_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipes = tmp_path / "toolchain"
    shutil.copytree(toolchain.RECIPES, recipes)
    monkeypatch.setattr(toolchain, "RECIPES", recipes)
    before = {t.recipe: toolchain.tool_hash(t) for t in toolchain.TOOLS}
    whole = toolchain.recipe_hash()
    (recipes / "kwok" / "go.mod").write_text((recipes / "kwok" / "go.mod").read_text() + "\n")

    after = {t.recipe: toolchain.tool_hash(t) for t in toolchain.TOOLS}
    assert {r for r in before if before[r] != after[r]} == {"kwok"}
    assert toolchain.recipe_hash() != whole


def test_the_cache_is_outside_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OME_MCP_CACHE", raising=False)
    assert toolchain.bin_dir().is_relative_to(Path.home() / ".cache" / "ome-mcp" / "toolchain")
    assert not toolchain.bin_dir().is_relative_to(ROOT)


VERSION_COMMANDS = {
    "pulumi": (["version"], f"v{toolchain.PULUMI_VERSION}"),
    "kube-apiserver": (["--version"], f"v{toolchain.KUBERNETES_VERSION}"),
    "kube-controller-manager": (["--version"], f"v{toolchain.KUBERNETES_VERSION}"),
    "kube-scheduler": (["--version"], f"v{toolchain.KUBERNETES_VERSION}"),
    "etcd": (["--version"], toolchain.ETCD_VERSION),
}  # thv-proxyrunner answers no version command: tests/gateway/test_gateway_pin.py reads its
#    embedded version


@pytest.mark.e2e
@pytest.mark.parametrize("binary", sorted(VERSION_COMMANDS))
def test_each_built_tool_answers_with_its_pinned_version(binary: str) -> None:
    given = os.environ.get(toolchain.ENV_VAR)
    bin_dir = Path(given) if given else toolchain.ensure(quiet=True)
    args, version = VERSION_COMMANDS[binary]
    done = subprocess.run([str(bin_dir / binary), *args], capture_output=True, text=True,
                          timeout=60, check=False)
    assert version in done.stdout + done.stderr


@pytest.mark.e2e
def test_every_binary_of_every_recipe_is_in_the_bin_directory() -> None:
    given = os.environ.get(toolchain.ENV_VAR)
    bin_dir = Path(given) if given else toolchain.ensure(quiet=True)
    expected = {b for t in toolchain.TOOLS for b in t.binaries} | set(toolchain.SCRIPTS)
    assert expected <= {p.name for p in bin_dir.iterdir()}
