"""Deterministic output: ``ome-mcp render`` of the examples prints the same bytes whatever
the Python hash seed, so object order, key order, label sets and names never depend on
set or dict iteration order (and a diff of two renders shows only real changes).

Each render runs in its own interpreter (the hash seed is fixed at start-up); the four
run side by side.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
#: A Pulumi program with a namespaced MCPServer (story 1), and OME YAML with a
#: ClusterMCPServer (pattern 2): both loaders, both kinds.
RENDERED = {
    "story-1 program": ROOT / "examples" / "story-1-database-access",
    "pattern-2 manifest": ROOT / "examples" / "pattern-2-shared-infrastructure" / "manifest.yaml",
}
SEEDS = ("0", "12345")
#: The top-level keys of a rendered object come in this order, then the rest.
LEADING_KEYS = ["apiVersion", "kind", "metadata"]
SERVER_LABEL = "ome.io/mcp-server"
#: Apply order of a server's objects: accounts, configuration and RBAC before the
#: workloads that use them, workloads before the Services and policies that select them.
APPLY_ORDER = {
    "ServiceAccount": 0, "ConfigMap": 1, "Role": 2, "RoleBinding": 2, "Deployment": 3,
    "StatefulSet": 3, "Service": 4, "NetworkPolicy": 5, "CiliumNetworkPolicy": 5,
    "PodDisruptionBudget": 6,
}


def render_all() -> dict[tuple[str, str], subprocess.CompletedProcess[bytes]]:
    started = {
        (name, seed): subprocess.Popen(
            [sys.executable, "-m", "ome_mcp_components.offline.cli", "render", str(path)],
            cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for name, path in RENDERED.items() for seed in SEEDS
    }
    done = {}
    for key, process in started.items():
        out, err = process.communicate(timeout=300)
        done[key] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return done


@pytest.fixture(scope="module")
def renders() -> dict[tuple[str, str], subprocess.CompletedProcess[bytes]]:
    return render_all()


@pytest.mark.parametrize("name", list(RENDERED))
def test_render_is_byte_identical_across_hash_seeds(
    renders: dict[tuple[str, str], subprocess.CompletedProcess[bytes]], name: str
) -> None:
    first, second = (renders[(name, seed)] for seed in SEEDS)

    assert (first.returncode, second.returncode) == (0, 0), second.stderr.decode()
    assert first.stdout == second.stdout
    assert first.stderr == second.stderr  # warnings too: same lines, same order


@pytest.mark.parametrize("name", list(RENDERED))
def test_rendered_objects_are_in_canonical_shape(
    renders: dict[tuple[str, str], subprocess.CompletedProcess[bytes]], name: str
) -> None:
    documents = list(yaml.safe_load_all(renders[(name, SEEDS[0])].stdout))
    # the components' objects (the examples' own ConfigMaps carry no labels of ours)
    ours = [d for d in documents if SERVER_LABEL in (d["metadata"].get("labels") or {})]

    assert len(ours) >= 9  # a whole server: accounts, config, workloads, Services, policies
    keys = [(d["kind"], d["metadata"]["namespace"], d["metadata"]["name"]) for d in documents]
    assert len(keys) == len(set(keys))
    for document in documents:
        assert list(document)[:3] == LEADING_KEYS
    for document in ours:
        labels = document["metadata"]["labels"]
        assert list(labels) == sorted(labels)
        assert labels["app.kubernetes.io/part-of"] == "ome-mcp"
    ranks = [APPLY_ORDER[d["kind"]] for d in ours]
    assert ranks == sorted(ranks)
