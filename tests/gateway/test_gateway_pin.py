"""The runner the tests run is the gateway the components deploy: the image pin and the Go
module pin are one version, and the binary is built from that module."""

from __future__ import annotations

import mmap
import re
from pathlib import Path

import pytest
from conftest import toolchain

from ome_mcp_components.vocabulary import defaults

pytestmark = pytest.mark.gateway

MODULE = "github.com/stacklok/toolhive"


def test_the_gateway_image_tag_is_the_toolchain_module_version() -> None:
    pins = toolchain()
    image, tag = defaults.GATEWAY_IMAGE.rsplit(":", 1)
    assert image == "ghcr.io/stacklok/toolhive/proxyrunner"
    assert tag == f"v{pins.TOOLHIVE_VERSION}"
    recipe = next(t for t in pins.TOOLS if t.recipe == "toolhive")
    assert recipe.module == MODULE
    assert recipe.version == tag
    assert recipe.binaries == {"thv-proxyrunner": f"{MODULE}/cmd/thv-proxyrunner"}
    pins.check_pins()  # toolchain/toolhive/go.mod requires the module at that version


def test_the_runner_binary_is_built_from_the_pinned_module(runner_binary: Path) -> None:
    """Go embeds the module graph in every binary (``go version -m``): the toolhive module
    the runner was built from is the version the image pin names."""
    with runner_binary.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        found = {m.group(1).decode() for m in re.finditer(
            rb"\n(?:dep|mod)\t" + re.escape(MODULE.encode()) + rb"\t(v[0-9][^\t\n]*)", data)}
    assert found == {defaults.GATEWAY_IMAGE.rsplit(":", 1)[1]}
