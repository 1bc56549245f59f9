"""The components from Pulumi YAML, through the component provider and the real Pulumi CLI.

The provider is the ``pulumi-resource-ome-mcp`` console script, installed as a plugin;
the programs are run by ``pulumi-language-yaml`` (built by the toolchain) against the local
control plane. Each YAML program has a Python twin, and what the YAML program deploys is
held to what the twin renders: the same resources (type, name, parent), the same inputs
in the state, the same objects in the API server, nothing more; the same verdicts of the
policy pack; the same one-line error for bad input.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from clistack import CliProject, CliResult
from realstack import OURS, ROOT, render

from ome_mcp_components import MCPServer
from ome_mcp_components.errors import Issue, SpecValidationError
from ome_mcp_components.offline.engine import load_program_dir, run_program
from ome_mcp_components.offline.recording import Recording
from ome_mcp_components.provider.host import version
from ome_mcp_components.provider.schema import package

pytestmark = pytest.mark.e2e

STORY_1 = ROOT / "examples" / "story-1-database-access"
DATA = Path(__file__).parent / "data"
PACK = "ome-mcp-security"
#: Kinds a server owns directly (ReplicaSets and Pods are their controllers').
OWNED = ("ServiceAccount", "ConfigMap", "Service", "Deployment", "StatefulSet", "Role",
         "RoleBinding", "NetworkPolicy", "PodDisruptionBudget")


def tree(resources: list[tuple[str, str, str | None]]) -> set[tuple[str, str, str | None]]:
    return {r for r in resources if not r[0].startswith("pulumi:")}


def recorded(recording: Recording) -> dict[tuple[str, str], dict[str, Any]]:
    """Inputs of each resource the Python twin registers, by (type, name)."""
    return {(r.type, r.name): r.inputs for r in recording.resources
            if not r.type.startswith("pulumi:") and not r.read}


def recorded_tree(recording: Recording) -> set[tuple[str, str, str | None]]:
    def parent(urn: str | None) -> str | None:
        return None if urn is None or "::pulumi:pulumi:Stack::" in urn else urn.split("::")[-1]

    return tree([(r.type, r.name, parent(r.parent)) for r in recording.resources])


def state_tree(resources: list[dict[str, Any]]) -> set[tuple[str, str, str | None]]:
    def parent(urn: str | None) -> str | None:
        return None if not urn or "::pulumi:pulumi:Stack::" in urn else urn.split("::")[-1]

    return tree([(r["type"], r["urn"].split("::")[-1], parent(r.get("parent")))
                 for r in resources])


def state_inputs(resources: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["type"], r["urn"].split("::")[-1]): r.get("inputs") or {} for r in resources
            if not r["type"].startswith("pulumi:")}


def live_differences(kube: Any, rendered: list[dict[str, Any]]) -> list[str]:
    return list(kube.live_differences(rendered))


def ours(kube: Any, namespaces: list[str]) -> set[tuple[str, str]]:
    from realstack import collection_path

    return {(kind, o["metadata"]["name"]) for ns in namespaces for kind in OWNED
            for o in kube.items(collection_path(kind, ns), OURS)}


def assert_deploys_the_twin(project: CliProject, twin: Path, kube: Any) -> CliResult:
    """``up`` of ``project`` creates exactly what the Python ``twin`` renders; returns the
    up's result (the stack stays up)."""
    rendered = render(twin)
    namespaces = kube.prepare(rendered)
    recording = run_program(load_program_dir(twin))

    preview = project.preview()
    assert preview.ok, preview.text
    planned = tree([(t, n, None) for op, t, n in preview.steps() if op == "create"])
    assert {(t, n) for t, n, _ in planned} == {(t, n) for t, n, _ in recorded_tree(recording)}

    up = project.up()
    assert up.ok, up.text
    resources = project.resources()
    assert state_tree(resources) == recorded_tree(recording)
    assert state_inputs(resources) == recorded(recording)
    assert live_differences(kube, rendered) == []
    assert ours(kube, namespaces) == {(o["kind"], o["metadata"]["name"]) for o in rendered}
    assert kube.failed_creates(namespaces) == []
    assert kube.unready_workloads(rendered) == []
    return up



# --- the schema ----------------------------------------------------------------------------


def test_get_schema_reads_the_launcher_and_the_installed_plugin(
    cli_env: dict[str, str], launcher: Path, tmp_path: Path
) -> None:
    pulumi = str(Path(cli_env["OME_MCP_TOOLCHAIN"]) / "pulumi")
    expected = package(version()).schema
    for source in (str(launcher), f"ome-mcp@{version()}"):
        done = subprocess.run([pulumi, "package", "get-schema", source], cwd=tmp_path,
                              env=cli_env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stderr
        assert printed(done.stdout) == expected


def printed(stdout: str) -> dict[str, Any]:
    """The schema ``pulumi package get-schema`` printed: it reads it into Pulumi's
    ``PackageSpec`` and writes that, which adds an empty ``config``."""
    schema = dict(json.loads(stdout))
    assert schema.pop("config", {}) == {}
    return schema


def test_the_plugin_directory_runs_only_with_pulumis_python_host(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """``provider/`` (PulumiPlugin.yaml, runtime python) is what ``pulumi package add``
    takes with a full Pulumi install; without ``pulumi-language-python`` the CLI cannot
    run it, and says so (the README quotes this)."""
    pulumi = str(Path(cli_env["OME_MCP_TOOLCHAIN"]) / "pulumi")
    done = subprocess.run([pulumi, "package", "get-schema", str(ROOT / "provider")],
                          cwd=tmp_path, env=cli_env, capture_output=True, text=True,
                          timeout=600, check=False)
    if shutil.which("pulumi-language-python", path=cli_env["PATH"]):
        assert done.returncode == 0, done.stderr
        assert printed(done.stdout) == package(version()).schema
    else:
        assert done.returncode != 0
        assert "no language plugin 'pulumi-language-python' found in the workspace or on " \
               "your $PATH" in done.stderr


def test_the_yaml_language_host_is_the_toolchains_release(
    cli_project: Callable[[Path, str], CliProject]
) -> None:
    from devtools.toolchain import PULUMI_YAML_VERSION

    project = cli_project(STORY_1 / "yaml", "about")
    about = json.loads(project._pulumi("about", "--json", check=True).stdout)
    assert {"name": "yaml", "version": PULUMI_YAML_VERSION, "kind": "language"} in about[
        "plugins"]


# --- Story 1 -------------------------------------------------------------------------------


def test_story_1_in_yaml_deploys_the_python_examples_objects(
    cli_project: Callable[[Path, str], CliProject], kube: Any
) -> None:
    project = cli_project(STORY_1 / "yaml", "story-1")
    up = assert_deploys_the_twin(project, STORY_1, kube)
    outputs = project.outputs()
    python = run_program(load_program_dir(STORY_1))
    assert outputs["url"] == python.outputs["url"]
    status = outputs["status"]
    assert status["phase"] == "Running", status
    assert status["readyReplicas"] == status["replicas"] == 1
    assert status["url"] == outputs["url"]
    assert "Traceback" not in up.text

    again = project.preview(expect_no_changes=True)
    assert again.ok, again.text
    down = project.destroy()
    assert down.ok, down.text
    assert kube.ours_left(["data-science"]) == []


def test_a_permission_profile_reaches_a_server_by_its_config_map_name(
    cli_project: Callable[[Path, str], CliProject], kube: Any
) -> None:
    """The first ``up`` of an empty namespace: the server is rendered from the profile
    component of the same deployment (as in Python when the component itself is passed),
    nothing is read from the cluster."""
    project = cli_project(DATA / "profile-yaml", "profile")
    up = assert_deploys_the_twin(project, DATA / "profile-python", kube)
    assert [s for s in up.steps() if s[0] == "read"] == []
    _, policy = kube.get(
        "/apis/networking.k8s.io/v1/namespaces/yaml-profile/networkpolicies/orders-server")
    assert "10.20.0.0/16" in json.dumps(policy["spec"])
    down = project.destroy()
    assert down.ok, down.text
    assert kube.ours_left(["yaml-profile"]) == []


# --- the policy pack -----------------------------------------------------------------------


def offline_verdicts(program: Path) -> tuple[int, set[tuple[str, str, str, str]]]:
    """Exit code and verdicts of ``ome-mcp preview --policy-pack policy_pack``."""
    import re

    line = re.compile(r"^      - \[(?P<pack>[^\]]+)\] (?P<policy>\S+)  (?P<type>\S+) "
                      r"\((?P<name>[^)]*)\)$")
    done = subprocess.run([sys.executable, "-m", "ome_mcp_components.offline.cli", "preview",
                           "--policy-pack", str(ROOT / "policy_pack"), str(program)],
                          capture_output=True, text=True, timeout=600, check=False, cwd=ROOT)
    verdicts, level = set(), ""
    for text in done.stdout.splitlines():
        if text in ("    mandatory:", "    advisory:"):
            level = text.strip(" :")
        elif (m := line.match(text)) and m["pack"] == PACK:
            verdicts.add((level, m["policy"], m["type"], m["name"]))
    return done.returncode, verdicts


@pytest.mark.parametrize(("yaml_project", "twin", "passes"), [
    (STORY_1 / "yaml", STORY_1, True),
    (DATA / "insecure-yaml", ROOT / "tests" / "data" / "insecure", False),
], ids=["story 1", "insecure"])
def test_the_policy_pack_judges_yaml_stacks_as_their_python_twins(
    yaml_project: Path, twin: Path, passes: bool, policy_analyzer: Path,
    cli_project: Callable[[Path, str], CliProject], kube: Any
) -> None:
    kube.prepare(render(twin))
    project = cli_project(yaml_project, "pack")
    preview = project.preview(policy_packs=[policy_analyzer])
    assert preview.ok is passes, preview.text
    verdicts = preview.verdicts(PACK)
    code, offline = offline_verdicts(twin)
    assert code == (0 if passes else 1)
    assert offline, "the twin gives the pack something to judge"
    assert verdicts == offline


# --- bad input -----------------------------------------------------------------------------

#: case -> (the component's arguments in Python, in YAML, the field path the error names)
BAD_INPUT: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "stdio with replicas": ({"spec": {"image": "mcp/postgres-server:1.0", "transport": "stdio",
                                      "replicas": 3}}, {}, "spec.replicas"),
    "no image": ({"spec": {"type": "Hosted", "transport": "streamable-http"}}, {}, "spec"),
    "secret key": ({"spec": {"image": "mcp/postgres-server:1.0", "secrets": [
        {"name": "postgres-credentials", "key": "database url"}]}}, {}, "spec.secrets[0].key"),
    "cedar syntax": ({"spec": {
        "image": "mcp/postgres-server:1.0", "transport": "streamable-http",
        "authzConfig": {"type": "inline", "inline": {"policies": [
            'permit(principal, action == Action::"call_tool", resource);',
            "permit(principal, action, resource) when {"]}}}}, {},
        "spec.authzConfig.inline.policies[1]"),
    # an option: named as YAML spells it (Python's gateway_image)
    "gateway image": ({"spec": {"image": "mcp/postgres-server:1.0"}, "gateway_image": " gw:1"},
                      {"gatewayImage": " gw:1"}, "gatewayImage"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_from_yaml_gives_the_components_one_line_error(
    case: str, cli_project: Callable[[Path, str], CliProject], kube: Any, tmp_path: Path
) -> None:
    python_args, yaml_args, path = BAD_INPUT[case]
    metadata = {"namespace": "yaml-bad"}
    with pytest.raises(SpecValidationError) as python:
        run_program(lambda: MCPServer("postgres-mcp", {"metadata": metadata, **python_args}))
    (issue,) = python.value.issues
    expected = str(SpecValidationError(python.value.resource, Issue(path, issue.message)))
    assert "\n" not in expected
    kube.ensure_namespace("yaml-bad")

    source = tmp_path / "source"
    source.mkdir()
    properties = {"metadata": metadata, "spec": python_args["spec"], **yaml_args}
    program: Mapping[str, Any] = {
        "name": "bad-input", "runtime": "yaml",
        "resources": {"postgres": {"type": "ome-mcp:index:MCPServer", "name": "postgres-mcp",
                                   "properties": properties}}}
    (source / "Pulumi.yaml").write_text(yaml.safe_dump(dict(program)))
    project = cli_project(source, "bad")
    up = project.up()
    assert not up.ok
    line = f"error: ome-mcp:index:MCPServer resource 'postgres-mcp' has a problem: {expected}"
    assert line in [text.strip() for text in up.text.splitlines()], up.text
    assert "Traceback" not in up.text
    assert [s for s in up.steps() if s[1].startswith("kubernetes:")] == []
    assert kube.ours_left(["yaml-bad"], timeout=0) == []
