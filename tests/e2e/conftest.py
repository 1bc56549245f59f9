"""Fixtures of the real-engine tier: ``cluster``, the local control plane of
``devtools/cluster.py`` for the whole session (one already running is reused and left
running; one this session starts is stopped at its end)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# devtools/ sits at the repository's root, which pytest does not put on sys.path
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from devtools.cluster import Cluster  # noqa: E402


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """The running local control plane (``Cluster``: ``request``, ``token_request``,
    ``kubeconfig``, ``issuer_url``, ``ca_file``, ...)."""
    api = Cluster()
    started_here = not api.running()
    api.start()
    yield api
    if started_here:
        api.stop()


@pytest.fixture(scope="session")
def toolchain_bin() -> Path:
    """The toolchain's bin directory: ``$OME_MCP_TOOLCHAIN`` (set by ``dev.py test``),
    else built or found by ``devtools.toolchain.ensure()``."""
    from devtools import toolchain

    given = os.environ.get(toolchain.ENV_VAR)
    return Path(given) if given else toolchain.ensure(quiet=True)


@pytest.fixture(scope="session")
def pulumi_env(
    cluster: Cluster, toolchain_bin: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The environment of a real Pulumi run (``devtools.pulumi_env``): file backend and
    Pulumi home in a temporary directory, the toolchain's provider installed, no plugin
    downloads, ``KUBECONFIG`` the local control plane's."""
    from devtools import pulumi_env as env_module

    env = env_module.environment(tmp_path_factory.mktemp("pulumi"), toolchain_bin,
                                 cluster.kubeconfig)
    env_module.install_provider(env)
    return env


@pytest.fixture
def kube(cluster: Cluster) -> Iterator[Any]:
    """``realstack.Kube``: what the tests ask the API server; the namespaces a test
    creates through it are deleted after the test, passed or failed."""
    from realstack import Kube

    api = Kube(cluster)
    yield api
    api.cleanup()
