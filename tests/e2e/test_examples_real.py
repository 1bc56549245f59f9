"""Every example and the demo through the real Pulumi engine against the local control plane.

For each project: ``pulumi up`` succeeds in namespaces enforcing the restricted Pod
Security Standard; every object ``ome-mcp render`` prints exists in the API server with
the rendered content (what the server adds aside); every Pod was admitted (no
``FailedCreate``) and every workload is ready; ``pulumi preview --expect-no-changes`` is
clean right after; ``pulumi destroy`` leaves nothing with our labels. Each server's
``status`` output reads ``Running`` with every replica ready once ``up`` returns.

Where the API server's object and the offline render differ, the offline engine is
wrong: these tests hold it to the real one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from realstack import ROOT, PulumiProject, render

pytestmark = pytest.mark.e2e

EXAMPLES = ROOT / "examples"
PROJECTS = sorted(p.name for p in EXAMPLES.iterdir() if (p / "Pulumi.yaml").exists())


def _source(project: str) -> Path:
    return ROOT if project == "demo" else EXAMPLES / project


@pytest.mark.parametrize("project", [*PROJECTS, "demo"])
def test_deploys_settles_and_destroys(
    project: str, cluster: Any, kube: Any, pulumi_env: dict[str, str], tmp_path: Path
) -> None:
    rendered = render(_source(project))
    namespaces = kube.prepare(rendered)
    stack = PulumiProject(_source(project), tmp_path / project, pulumi_env)

    up = stack.up()
    assert up.ok, up.text
    statuses = {k: v for k, v in up.outputs.items() if k.endswith("status")}
    assert statuses, "every example exports its servers' status"
    for key, status in statuses.items():
        assert status["phase"] == "Running", (key, status)
        assert status["readyReplicas"] == status["replicas"], (key, status)

    problems = kube.live_differences(rendered)
    assert problems == [], "\n".join(problems)

    assert kube.failed_creates(namespaces) == []
    assert kube.unready_workloads(rendered) == []
    assert kube.pods_of(rendered) == kube.expected_pods(rendered)

    again = stack.preview(expect_no_changes=True)
    assert again.ok, again.text

    down = stack.destroy()
    assert down.ok, down.text
    assert kube.ours_left(namespaces) == []
