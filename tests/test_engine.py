"""The offline engine: what it records of a program, the offline cluster, isolation, loaders."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from ome_mcp_components import sdk_internals
from ome_mcp_components.errors import (
    ConfigReferenceError,
    ManifestError,
    OmeMcpError,
    SpecValidationError,
)
from ome_mcp_components.offline.engine import (
    SECRET,
    Program,
    load_cluster_state,
    load_paths,
    load_program_dir,
    run_program,
)
from ome_mcp_components.offline.recording import Recording

STACK_URN = "urn:pulumi:dev::ome-mcp::pulumi:pulumi:Stack::ome-mcp-dev"
APP_URN = "urn:pulumi:dev::ome-mcp::test:index:App::web"


class App(pulumi.ComponentResource):
    """A ConfigMap and a Deployment that reads the ConfigMap's name."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:App", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={"name": f"{name}-config", "namespace": "tools"},
            data={"mode": "strict"},
            opts=child,
        )
        labels = {"app": name}
        metadata: Any = {"name": name, "namespace": "tools", "labels": labels}
        spec: Any = {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "nginx:1.27",
                            "ports": [{"containerPort": 8080}],
                            "resources": {"requests": {"cpu": 0.5}},
                            "env": [{"name": "CONFIG", "value": config.metadata.name}],
                        }
                    ]
                },
            },
        }
        self.deployment = k8s.apps.v1.Deployment(name, metadata=metadata, spec=spec, opts=child)
        self.register_outputs({})


def app_program() -> None:
    App("web")


def test_records_types_names_and_parents_in_registration_order() -> None:
    recording = run_program(app_program)

    assert [(r.type, r.name, r.parent) for r in recording.resources] == [
        ("pulumi:pulumi:Stack", "ome-mcp-dev", None),
        ("test:index:App", "web", STACK_URN),
        ("kubernetes:core/v1:ConfigMap", "web-config", APP_URN),
        ("kubernetes:apps/v1:Deployment", "web", APP_URN),
    ]
    assert [r.custom for r in recording.resources] == [False, False, True, True]
    assert [m["kind"] for m in recording.kubernetes_objects()] == ["ConfigMap", "Deployment"]


def test_urns_chain_parent_types_without_the_stack() -> None:
    def program() -> None:
        outer = pulumi.ComponentResource("test:index:Outer", "outer")
        App("web", pulumi.ResourceOptions(parent=outer))

    urns = [r.urn for r in run_program(program).resources]

    assert "urn:pulumi:dev::ome-mcp::test:index:Outer$test:index:App::web" in urns
    assert (
        "urn:pulumi:dev::ome-mcp::test:index:Outer$test:index:App$kubernetes:core/v1:ConfigMap"
        "::web-config"
    ) in urns


def test_inputs_are_plain_with_whole_numbers_as_ints() -> None:
    deployment = run_program(app_program).kubernetes_objects()[1]

    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert deployment["spec"]["replicas"] == 2
    assert type(deployment["spec"]["replicas"]) is int
    assert type(container["ports"][0]["containerPort"]) is int
    assert container["resources"]["requests"]["cpu"] == 0.5
    assert container["env"] == [{"name": "CONFIG", "value": "web-config"}]


def test_dependencies_are_recorded() -> None:
    recording = run_program(app_program)
    deployment = recording.resources[3]
    config_urn = recording.resources[2].urn

    assert deployment.dependencies == (config_urn,)
    assert deployment.property_dependencies["spec"] == (config_urn,)


def test_a_secret_input_is_never_recorded_in_clear_text() -> None:
    def program() -> None:
        k8s.core.v1.Secret(
            "token",
            metadata={"name": "token"},
            string_data={"token": pulumi.Output.secret("hunter2")},
        )
        pulumi.export("token", pulumi.Output.secret("hunter2"))

    recording = run_program(program)

    assert recording.resources[1].inputs["stringData"] == SECRET
    assert recording.outputs == {"token": SECRET}
    assert "hunter2" not in repr(recording)


def test_reads_are_answered_from_cluster_config_maps() -> None:
    def program() -> None:
        profile = k8s.core.v1.ConfigMap.get("profile", "tools/profiles")
        pulumi.export("data", profile.data)
        default_ns = k8s.core.v1.ConfigMap.get("other", "plain")
        pulumi.export("other", default_ns.data)

    recording = run_program(
        program,
        cluster_config_maps={
            ("tools", "profiles"): {"permissions.json": "{}"},
            ("default", "plain"): {"a": "b"},
        },
    )

    read = recording.resources[1]
    assert (read.type, read.name, read.read) == ("kubernetes:core/v1:ConfigMap", "profile", True)
    assert read.inputs["metadata"] == {"name": "profiles", "namespace": "tools"}
    assert not read.is_kubernetes_object
    assert recording.kubernetes_objects() == []
    assert recording.outputs == {"data": {"permissions.json": "{}"}, "other": {"a": "b"}}


def test_a_missing_config_map_is_a_clear_error() -> None:
    def program() -> None:
        k8s.core.v1.ConfigMap.get("profile", "tools/profiles")

    with pytest.raises(ConfigReferenceError) as raised:
        run_program(program, cluster_config_maps={("tools", "other"): {}})

    assert str(raised.value).startswith("ConfigMap tools/profiles: ")
    assert "--cluster-state FILE" in str(raised.value)


def test_log_lines_and_stack_outputs_are_captured() -> None:
    def program() -> None:
        app = App("web")
        pulumi.log.warn("no network policy engine")
        pulumi.log.info("rendering", resource=app)
        pulumi.log.error("bad thing")
        pulumi.log.debug("not kept")
        pulumi.export("replicas", 3)
        pulumi.export("name", app.deployment.metadata.name)

    recording = run_program(program)

    assert recording.warnings == [
        "warning: no network policy engine",
        "error: bad thing",
        "info: test:index:App (web): rendering",
    ]
    assert recording.outputs == {"name": "web", "replicas": 3}


def test_config_is_read_with_the_project_namespace() -> None:
    def program() -> None:
        config = pulumi.Config()
        pulumi.export("replicas", config.require_int("replicas"))
        pulumi.export("other", pulumi.Config("other").get("x"))

    recording = run_program(
        program, project="demo", stack="prod", config={"replicas": "4", "other:x": "y"}
    )

    assert recording.outputs == {"other": "y", "replicas": 4}
    assert recording.resources[0].urn == "urn:pulumi:prod::demo::pulumi:pulumi:Stack::demo-prod"


def test_an_async_program_is_awaited() -> None:
    async def program() -> None:
        App("web")

    assert len(run_program(program).resources) == 4


def test_two_runs_are_independent() -> None:
    monitor_before = sdk_internals.monitor()

    def first() -> None:
        App("web")
        pulumi.export("x", pulumi.Config().get("x"))

    def second() -> None:
        k8s.core.v1.Namespace("tools", metadata={"name": "tools"})
        pulumi.export("x", pulumi.Config().get("x"))

    one = run_program(first, config={"x": "1"})
    two = run_program(second)

    assert [r.name for r in two.resources] == ["ome-mcp-dev", "tools"]
    assert two.outputs == {}
    assert one.outputs == {"x": "1"}
    assert two.warnings == []
    assert sdk_internals.monitor() is monitor_before
    assert sdk_internals.root_resource() is None


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(lambda: SpecValidationError("MCPServer 'web'", "spec.port: bad"), id="ours"),
        pytest.param(lambda: KeyError("replicas"), id="any exception"),
    ],
)
def test_the_program_error_comes_out_unchanged(failure: Callable[[], Exception]) -> None:
    error = failure()

    def program() -> None:
        App("web")
        raise error

    with pytest.raises(type(error)) as raised:
        run_program(program)
    assert raised.value is error


def test_an_error_in_an_apply_feeding_an_input_is_unwrapped() -> None:
    error = SpecValidationError("MCPServer 'web'", "spec.replicas: must be 1 for stdio")

    def fail(_: object) -> str:
        raise error

    def program() -> None:
        first = k8s.core.v1.ConfigMap("a", metadata={"name": "a"})
        k8s.core.v1.ConfigMap("b", metadata={"name": "b"}, data={"x": first.id.apply(fail)})

    with pytest.raises(SpecValidationError) as raised:
        run_program(program)
    assert raised.value is error


def test_a_duplicate_resource_name_is_an_error() -> None:
    def program() -> None:
        App("web")
        App("web")

    with pytest.raises(OmeMcpError, match="duplicate resource URN"):
        run_program(program)


def test_invokes_cannot_be_answered_offline() -> None:
    def program() -> None:
        pulumi.runtime.invoke("kubernetes:yaml:decode", {"text": ""})

    with pytest.raises(OmeMcpError, match="provider functions cannot be answered offline"):
        run_program(program)


# --------------------------------------------------------------------------- loaders

PROGRAM = """\
import pulumi
import pulumi_kubernetes as k8s
import helper_for_engine_test as helper

k8s.core.v1.ConfigMap("cm", metadata={"name": "cm"}, data={"cwd": helper.cwd()})
pulumi.export("replicas", pulumi.Config().require_int("replicas"))
pulumi.export("token", pulumi.Config().get_secret("token"))
pulumi.export("labels", pulumi.Config().require_object("labels"))
"""


def write_program(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(
        "name: tiny\nruntime:\n  name: python\nconfig:\n  replicas:\n    default: 1\n"
    )
    (directory / "Pulumi.prod.yaml").write_text(
        "config:\n  tiny:replicas: 3\n  tiny:token:\n    secure: AAABAxyz\n"
        "  tiny:labels:\n    team: ai\n"
    )
    (directory / "__main__.py").write_text(PROGRAM)
    (directory / "helper_for_engine_test.py").write_text(
        "import os\n\ndef cwd():\n    return os.path.basename(os.getcwd())\n"
    )
    return directory


def test_a_program_directory_runs_with_its_project_and_stack_config(tmp_path: Path) -> None:
    directory = write_program(tmp_path / "tiny")
    path_before, cwd_before = list(sys.path), Path.cwd()

    program = load_program_dir(directory, stack="prod")
    recording = run_program(program, stack="prod")

    assert program.project == "tiny"
    assert recording.resources[0].urn == "urn:pulumi:prod::tiny::pulumi:pulumi:Stack::tiny-prod"
    assert recording.kubernetes_objects()[0]["data"] == {"cwd": "tiny"}
    assert recording.outputs == {"labels": {"team": "ai"}, "replicas": 3, "token": SECRET}
    assert (sys.path, Path.cwd()) == (path_before, cwd_before)
    assert "helper_for_engine_test" not in sys.modules


def test_project_config_defaults_apply_without_a_stack_file(tmp_path: Path) -> None:
    directory = write_program(tmp_path / "tiny")

    recording = run_program(load_program_dir(directory), config={"labels": "{}"})

    assert recording.outputs["replicas"] == 1


def test_a_python_file_is_a_program(tmp_path: Path) -> None:
    (tmp_path / "one.py").write_text(
        "import pulumi_kubernetes as k8s\nk8s.core.v1.Namespace('tools')\n"
    )

    recording = run_program(load_paths([tmp_path / "one.py"]))

    assert [r.name for r in recording.resources] == ["ome-mcp-dev", "tools"]


def test_transforms_are_reported_as_not_applied() -> None:
    def program() -> None:
        k8s.core.v1.Namespace("tools", opts=pulumi.ResourceOptions(transforms=[lambda args: None]))

    recording = run_program(program)

    assert recording.warnings == [
        "warning: kubernetes:core/v1:Namespace (tools): transforms are not applied offline; "
        "the recorded inputs are the untransformed ones"
    ]


def test_a_non_python_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: y\nruntime: yaml\n")

    with pytest.raises(OmeMcpError, match="only Python programs run offline"):
        load_program_dir(tmp_path)


def test_load_paths_picks_the_program(tmp_path: Path) -> None:
    directory = write_program(tmp_path / "tiny")

    assert load_paths([directory]).project == "tiny"


def test_load_paths_hands_yaml_to_the_manifest_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[Path]] = []

    def load_manifests(paths: list[Path]) -> Callable[[], None]:
        seen.append(list(paths))
        return lambda: None

    fake = types.ModuleType("ome_mcp_components.manifests")
    fake.load_manifests = load_manifests  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ome_mcp_components.manifests", fake)
    (tmp_path / "servers").mkdir()
    (tmp_path / "servers" / "a.yaml").write_text("kind: MCPServer\n")
    (tmp_path / "b.yml").write_text("kind: MCPServer\n")

    program = load_paths([tmp_path / "servers", tmp_path / "b.yml"])

    assert isinstance(program, Program)
    assert program.project is None
    assert seen == [[tmp_path / "servers", tmp_path / "b.yml"]]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda d: [d / "missing"], "no such file or directory", id="missing"),
        pytest.param(
            lambda d: [write_program(d / "p"), d / "a.yaml"], "runs on its own", id="mixed"
        ),
        pytest.param(lambda d: [d / "notes.txt"], "not a Pulumi program", id="text file"),
        pytest.param(lambda d: [d / "empty"], "holds no __main__.py", id="empty dir"),
        pytest.param(lambda d: [], "no program or manifest path given", id="nothing"),
    ],
)
def test_load_paths_rejects_what_it_cannot_run(
    tmp_path: Path, make: Callable[[Path], list[Path]], message: str
) -> None:
    (tmp_path / "a.yaml").write_text("kind: MCPServer\n")
    (tmp_path / "notes.txt").write_text("hi\n")
    (tmp_path / "empty").mkdir()

    with pytest.raises(OmeMcpError, match=message):
        load_paths(make(tmp_path))


def test_cluster_state_holds_config_maps_from_documents_and_lists(tmp_path: Path) -> None:
    state = tmp_path / "cluster.yaml"
    state.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: tools}\n"
        "data: {k: v}\n---\n"
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: b, namespace: default}}\n"
    )

    assert load_cluster_state(state) == {("tools", "a"): {"k": "v"}, ("default", "b"): {}}


CM = "apiVersion: v1\nkind: ConfigMap\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a: [", "is not valid YAML", id="bad yaml"),
        pytest.param("- 1\n", "document 1 is not a mapping", id="not a mapping"),
        pytest.param(CM + "metadata: {}\n", "document 1: a ConfigMap needs metadata.name",
                     id="no name"),
        pytest.param(
            CM + "metadata: {name: a, namespace: n}\ndata: {n: 1}\n",
            "data must map keys to strings",
            id="number data",
        ),
        pytest.param("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, "
                     "metadata: {name: s, namespace: n}}\n",
                     "document 1, item 1: v1 Secret is not a v1 ConfigMap", id="a Secret"),
        pytest.param(CM + "metadata: {name: a}\n",
                     "document 1: ConfigMap 'a' needs metadata.namespace", id="no namespace"),
        pytest.param(CM + "metadata: {name: a, namespace: n}\n---\n" + CM
                     + "metadata: {name: a, namespace: n}\n",
                     "document 2: ConfigMap n/a is given twice \\(first in document 1\\)",
                     id="duplicate"),
        pytest.param("kind: 3\n", "document 1: kind must be a string, not int",
                     id="kind not a string"),
        pytest.param("kind: [ConfigMap]\n", "kind must be a string, not list",
                     id="kind a list"),
    ],
)
def test_bad_cluster_state_is_a_manifest_error(tmp_path: Path, text: str, message: str) -> None:
    state = tmp_path / "cluster.yaml"
    state.write_text(text)

    with pytest.raises(ManifestError, match=message):
        load_cluster_state(state)


def test_a_cluster_state_file_not_in_utf8_is_a_manifest_error(tmp_path: Path) -> None:
    state = tmp_path / "cluster.yaml"
    state.write_bytes(b"kind: ConfigMap\nmetadata: {name: caf\xe9}\n")

    with pytest.raises(ManifestError, match=r"cluster\.yaml: is not UTF-8 text"):
        load_cluster_state(state)


def test_an_empty_program_records_only_the_stack() -> None:
    recording = run_program(lambda: None)

    assert isinstance(recording, Recording)
    assert [r.type for r in recording.resources] == ["pulumi:pulumi:Stack"]


def test_a_local_component_is_answered_without_outputs_as_the_engine_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pulumi's source_eval.go: "Local ComponentResources may contain unresolved resource
    # refs, so ignore those outputs" - its RegisterResource answer carries none; the SDK
    # then resolves the component's input properties from the inputs themselves
    from ome_mcp_components.offline.engine.monitor import RecordingMonitor

    answers: dict[str, Any] = {}
    register = RecordingMonitor.RegisterResource

    def spy(self: RecordingMonitor, request: Any) -> Any:
        answer = register(self, request)
        answers[request.name] = answer
        return answer

    monkeypatch.setattr(RecordingMonitor, "RegisterResource", spy)
    seen: list[Any] = []

    def program() -> None:
        box = pulumi.ComponentResource("test:index:Box", "box", {"size": 3, "tag": "a"})
        box.size.apply(seen.append)  # type: ignore[attr-defined]
        k8s.core.v1.ConfigMap("cm", metadata={"name": "cm"}, data={"k": "v"},
                              opts=pulumi.ResourceOptions(parent=box))

    recording = run_program(program)

    assert not answers["box"].object.fields
    assert dict(answers["cm"].object.fields)  # a custom resource's answer echoes its inputs
    assert seen == [3]
    assert recording.resources[1].inputs == {"size": 3, "tag": "a"}
