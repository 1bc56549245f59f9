"""``podTemplateSpec`` fragments (no ``containers``, as ToolHive's examples write them):
they render onto the whole server pod, schema-valid, and an insecure fragment is judged
by the policy pack exactly as the same settings in a complete template are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from invariants import schema_problems

from ome_mcp_components.offline import engine
from ome_mcp_components.offline.analyzer import AnalysisResult, PolicyPackSession
from ome_mcp_components.offline.recording import Recording

INSECURE = {"hostNetwork": True, "securityContext": {"runAsUser": 0}}
TEMPLATES: dict[str, dict[str, Any]] = {
    "secure-fragment": {"spec": {"nodeSelector": {"pool": "mcp"},
                                 "tolerations": [{"key": "gpu", "operator": "Exists"}]}},
    "insecure-fragment": {"spec": INSECURE},
    "insecure-template": {"spec": {**INSECURE, "containers": [{"name": "mcp"}]}},
}


def _manifest(name: str, template: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "ome.io/v1beta1", "kind": "MCPServer",
        "metadata": {"name": name, "namespace": "tools"},
        "spec": {"image": "ghcr.io/acme/tools:1.2.3", "transport": "streamable-http",
                 "podTemplateSpec": template},
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Recording]:
    directory = tmp_path_factory.mktemp("fragments")
    recordings = {}
    for name, template in TEMPLATES.items():
        path = directory / f"{name}.yaml"
        path.write_text(yaml.safe_dump(_manifest(name, template)))
        recordings[name] = engine.run_program(engine.load_paths([path]))
    return recordings


@pytest.fixture(scope="module")
def results(rendered: dict[str, Recording], pack_dir: Path) -> Iterator[dict[str, AnalysisResult]]:
    with PolicyPackSession(pack_dir) as pack:
        yield {name: pack.analyze(recording) for name, recording in rendered.items()}


def _server_pod(recording: Recording, name: str) -> dict[str, Any]:
    deployment = next(o for o in recording.kubernetes_objects()
                      if o["kind"] == "Deployment" and o["metadata"]["name"] == name)
    pod: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return pod


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_fragment_renders_schema_valid_objects(rendered: dict[str, Recording], name: str
                                                     ) -> None:
    objects = rendered[name].kubernetes_objects()
    assert [p for obj in objects for p in schema_problems(obj)] == []
    pod = _server_pod(rendered[name], name)
    assert [c["name"] for c in pod["containers"]] == ["mcp"]
    assert pod["containers"][0]["image"] == "ghcr.io/acme/tools:1.2.3"


def test_a_secure_fragment_keeps_the_defaults_and_passes(
    rendered: dict[str, Recording], results: dict[str, AnalysisResult]
) -> None:
    pod = _server_pod(rendered["secure-fragment"], "secure-fragment")
    assert pod["nodeSelector"] == {"pool": "mcp"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert results["secure-fragment"].mandatory_violations == []


@pytest.mark.parametrize("name", ["insecure-fragment", "insecure-template"])
def test_an_insecure_fragment_is_flagged_like_a_complete_template(
    results: dict[str, AnalysisResult], name: str
) -> None:
    flagged = {(d.policy_name, d.resource_type) for d in results[name].mandatory_violations}
    assert {("pss-host-namespaces", "kubernetes:apps/v1:Deployment"),
            ("pss-run-as-non-root-user", "kubernetes:apps/v1:Deployment")} <= flagged
    fragment = {d.policy_name for d in results["insecure-fragment"].mandatory_violations}
    template = {d.policy_name for d in results["insecure-template"].mandatory_violations}
    assert fragment == template
