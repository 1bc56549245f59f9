"""``ome-mcp render`` and ``ome-mcp preview`` on a tiny Pulumi program written to tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ome_mcp_components.offline.cli import main, to_yaml
from ome_mcp_components.offline.recording import Recording

PROGRAM = """\
import pulumi
import pulumi_kubernetes as k8s
from settings_for_cli_test import IMAGE, NAMESPACE


class App(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:App", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {"app": name, "tier": "web"}
        config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={"name": f"{name}-config", "namespace": NAMESPACE, "labels": labels},
            data={"config.json": '{\\n  "debug": false\\n}\\n', "mode": "yes"},
            opts=child,
        )
        k8s.apps.v1.Deployment(
            name,
            metadata={"name": name, "namespace": NAMESPACE, "labels": labels},
            spec={
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{
                        "name": "app",
                        "image": IMAGE,
                        "ports": [{"containerPort": 8080}],
                        "env": [{"name": "CONFIG", "value": config.metadata.name}],
                    }]},
                },
            },
            opts=child,
        )
        self.register_outputs({})


App("web")
profile = k8s.core.v1.ConfigMap.get("profile", "tools/profiles") if {read} else None
pulumi.log.warn("this is an offline demo")
pulumi.export("url", "http://web.tools.svc.cluster.local")
"""

TREE = """\
     Type                                 Name
 +   pulumi:pulumi:Stack                  tiny-dev
 +   ├─ test:index:App                    web
 +   │  ├─ kubernetes:core/v1:ConfigMap   web-config
 +   │  └─ kubernetes:apps/v1:Deployment  web
 >   └─ kubernetes:core/v1:ConfigMap      profile
"""


def write_program(directory: Path, *, read: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (directory / "__main__.py").write_text(PROGRAM.replace("{read}", str(read)))
    (directory / "settings_for_cli_test.py").write_text(
        'IMAGE = "nginx:1.27"\nNAMESPACE = "tools"\n'
    )
    return directory


@pytest.fixture
def program(tmp_path: Path) -> Path:
    return write_program(tmp_path / "tiny")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --------------------------------------------------------------------------- render


def test_render_prints_the_objects_as_yaml_in_apply_order(
    program: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(capsys, "render", program)

    assert status == 0
    assert err == "warning: this is an offline demo\n"
    documents = list(yaml.safe_load_all(out))
    assert [(d["kind"], d["metadata"]["name"]) for d in documents] == [
        ("ConfigMap", "web-config"),
        ("Deployment", "web"),
    ]
    assert list(documents[1]) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(documents[1]["metadata"]) == ["name", "namespace", "labels"]
    assert documents[1]["spec"]["replicas"] == 2
    assert out.startswith("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n")
    assert '  config.json: |\n    {\n      "debug": false\n    }\n' in out
    assert "  mode: 'yes'\n" in out


def test_render_is_the_same_on_every_run(program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = run_cli(capsys, "render", program)
    second = run_cli(capsys, "render", program)

    assert first == second


def test_render_is_the_same_whatever_the_hash_seed(
    program: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, in_process, _ = run_cli(capsys, "render", program)

    outputs = []
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-m", "ome_mcp_components.offline.cli", "render", str(program)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(done.stdout)

    assert outputs == [in_process, in_process]


def test_render_writes_one_file_per_object(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, printed, _ = run_cli(capsys, "render", program)

    status, out, err = run_cli(capsys, "render", program, "-o", tmp_path / "out")

    assert status == 0
    assert out == ""
    assert f"wrote 2 files to {tmp_path / 'out'}" in err
    files = sorted((tmp_path / "out").iterdir())
    assert [f.name for f in files] == [
        "01-configmap-tools-web-config.yaml",
        "02-deployment-tools-web.yaml",
    ]
    assert "".join(f.read_text() for f in files) == printed


def test_yaml_key_order_is_fixed() -> None:
    manifest = {
        "spec": {"b": 1, "a": [{"z": 1, "name": "x"}]},
        "metadata": {"labels": {"b": "1", "a": "2"}, "namespace": "ns", "name": "n"},
        "kind": "Service",
        "apiVersion": "v1",
    }

    assert to_yaml([manifest]) == (
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: n\n  namespace: ns\n"
        "  labels:\n    a: '2'\n    b: '1'\nspec:\n  a:\n  - name: x\n    z: 1\n  b: 1\n"
    )


def test_render_reads_config_maps_from_cluster_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = write_program(tmp_path / "tiny", read=True)
    state = tmp_path / "cluster.yaml"
    state.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: profiles, namespace: tools}\n"
        "data: {permissions.json: '{}'}\n"
    )

    status, out, _ = run_cli(capsys, "render", program, "--cluster-state", state)

    assert status == 0
    assert [d["kind"] for d in yaml.safe_load_all(out)] == ["ConfigMap", "Deployment"]


# --------------------------------------------------------------------------- preview


def test_preview_prints_the_tree_indented_by_parent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = write_program(tmp_path / "tiny", read=True)
    state = tmp_path / "cluster.yaml"
    state.write_text("kind: ConfigMap\nmetadata: {name: profiles, namespace: tools}\n")

    status, out, _ = run_cli(capsys, "preview", program, "--cluster-state", state)

    assert status == 0
    assert TREE in out
    assert "Diagnostics:\n    warning: this is an offline demo\n" in out
    assert 'Outputs:\n    url: "http://web.tools.svc.cluster.local"\n' in out
    assert out.endswith("Resources:\n    + 4 to create\n    > 1 to read\n")


@dataclass(frozen=True)
class FakeDiagnostic:
    policy_name: str
    policy_pack_name: str
    enforcement_level: str
    message: str
    description: str
    urn: str


class FakeAnalyzer:
    """Stands in for ``ome_mcp_components.offline.analyzer``: returns the diagnostics it
    is given."""

    def __init__(self, diagnostics: list[FakeDiagnostic]) -> None:
        self.diagnostics = diagnostics
        self.calls: list[tuple[Path, int, Mapping[str, Any] | None]] = []

    def module(self) -> types.ModuleType:
        module = types.ModuleType("ome_mcp_components.offline.analyzer")
        module.PolicyPackSession = self.session  # type: ignore[attr-defined]
        module.load_policy_config = lambda path: {"loaded": str(path)}  # type: ignore[attr-defined]
        return module

    def session(self, pack_dir: Path, config: Mapping[str, Any] | None, *, stack: str,
                project: str) -> Any:
        fake = self

        class Session:
            def __enter__(self) -> Session:
                return self

            def __exit__(self, *_: object) -> None:
                return None

            def analyze(self, recording: Recording) -> Any:
                fake.calls.append((pack_dir, len(recording.resources), config))
                return types.SimpleNamespace(diagnostics=fake.diagnostics)

        return Session()


DEPLOYMENT_URN = "urn:pulumi:dev::tiny::test:index:App$kubernetes:apps/v1:Deployment::web"


def use_analyzer(monkeypatch: pytest.MonkeyPatch, *diagnostics: FakeDiagnostic) -> FakeAnalyzer:
    fake = FakeAnalyzer(list(diagnostics))
    monkeypatch.setitem(sys.modules, "ome_mcp_components.offline.analyzer", fake.module())
    return fake


def test_preview_prints_violations_by_level_and_fails_on_a_mandatory_one(
    program: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = use_analyzer(
        monkeypatch,
        FakeDiagnostic("resources", "pack", "advisory", "no limits", "Set limits.", DEPLOYMENT_URN),
        FakeDiagnostic("non-root", "pack", "mandatory", "runs as root", "Run as non-root.", ""),
    )
    (tmp_path / "pack").mkdir()
    config = tmp_path / "config.json"
    config.write_text("{}")

    status, out, _ = run_cli(
        capsys, "preview", program, "--policy-pack", tmp_path / "pack", "--config", config
    )

    assert status == 1
    assert fake.calls == [(tmp_path / "pack", 4, {"loaded": str(config)})]
    assert out.endswith(
        "Policies:\n"
        "    mandatory:\n"
        "      - [pack] non-root  (stack)\n"
        "          Run as non-root.\n"
        "          runs as root\n"
        "    advisory:\n"
        "      - [pack] resources  kubernetes:apps/v1:Deployment (web)\n"
        "          Set limits.\n"
        "          no limits\n"
        "\n"
        "Policy summary: 2 violations (1 mandatory, 1 advisory)\n"
    )


def test_preview_passes_with_only_advisory_violations(
    program: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_analyzer(
        monkeypatch, FakeDiagnostic("resources", "pack", "advisory", "m", "d", DEPLOYMENT_URN)
    )

    status, out, _ = run_cli(capsys, "preview", program, "--policy-pack", tmp_path)

    assert status == 0
    assert "Policy summary: 1 violations (1 advisory)" in out


# --------------------------------------------------------------------------- errors


def assert_clean_error(status: int, err: str, message: str) -> None:
    assert status == 2
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["render", "preview"])
def test_a_missing_path_is_a_clean_error(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(capsys, command, tmp_path / "nope")

    assert out == ""
    assert_clean_error(status, err, f"{tmp_path / 'nope'}: no such file or directory")


def test_a_missing_config_map_says_how_to_supply_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = write_program(tmp_path / "tiny", read=True)

    status, _, err = run_cli(capsys, "render", program)

    assert_clean_error(status, err, "ConfigMap tools/profiles: ")
    assert "--cluster-state FILE" in err


def test_an_error_of_ours_in_the_program_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "__main__.py").write_text(
        "from ome_mcp_components.errors import SpecValidationError\n"
        "raise SpecValidationError(\"MCPServer 'web'\", 'spec.port: must be 1..65535')\n"
    )

    status, _, err = run_cli(capsys, "render", tmp_path)

    assert_clean_error(status, err, "MCPServer 'web': spec.port: must be 1..65535")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["render", "{dir}", "--cluster-state", "{dir}/none.yaml"],
            "cannot be read",
            id="missing cluster state",
        ),
        pytest.param(
            ["preview", "{dir}", "--policy-pack", "{dir}/none"],
            "is not a policy pack directory",
            id="missing pack",
        ),
        pytest.param(
            ["preview", "{dir}", "--config", "{dir}/c.json"],
            "give --policy-pack too",
            id="config without pack",
        ),
    ],
)
def test_bad_options_are_clean_errors(
    program: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run_cli(capsys, *(a.replace("{dir}", str(program)) for a in argv))

    assert_clean_error(status, err, message)


def test_a_bug_in_a_users_program_shows_its_own_frames_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "__main__.py").write_text(
        "import json\n\n\ndef replicas(settings):\n    return settings['replicas']\n\n\n"
        "replicas(json.loads('{}'))\n")

    status, _, err = run_cli(capsys, "render", tmp_path)

    main_py = tmp_path / "__main__.py"
    assert status == 2
    assert [line for line in err.splitlines() if line.strip(" ~^")] == [  # less carets
        "error: the program raised KeyError: 'replicas'",
        "Traceback (the program's own frames, most recent call last):",
        f'  File "{main_py}", line 8, in <module>',
        "    replicas(json.loads('{}'))",
        f'  File "{main_py}", line 5, in replicas',
        "    return settings['replicas']",
    ]


@pytest.mark.parametrize("config", [
    pytest.param("{not json", id="not JSON"),
    pytest.param('{"all": "sometimes"}', id="unknown level"),
    pytest.param('{"no-such-policy": "mandatory"}', id="unknown policy"),
])
def test_a_bad_policy_config_is_reported_before_anything_runs(
    program: Path, tmp_path: Path, config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (program / "__main__.py").write_text("raise RuntimeError('the program ran')\n")
    path = tmp_path / "config.json"
    path.write_text(config)
    pack = Path(__file__).resolve().parents[1] / "policy_pack"

    status, out, err = run_cli(capsys, "preview", program, "--policy-pack", pack,
                               "--config", path)

    assert out == ""
    assert_clean_error(status, err, "policy config")
    assert "the program ran" not in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("where", ["Pulumi.yaml", "Pulumi.dev.yaml", "cluster.yaml",
                                   "config.json"])
def test_a_file_not_in_utf8_is_one_error_line(
    program: Path, tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = b"name: caf\xe9\n"
    state, config = tmp_path / "cluster.yaml", tmp_path / "config.json"
    state.write_text("")
    config.write_text("{}")
    target = {"cluster.yaml": state, "config.json": config}.get(where, program / where)
    target.write_bytes(bad)
    pack = Path(__file__).resolve().parents[1] / "policy_pack"

    status, out, err = run_cli(capsys, "preview", program, "--cluster-state", state,
                               "--policy-pack", pack, "--config", config)

    assert out == ""
    assert_clean_error(status, err, f"{target}")
    assert "not UTF-8 text" in err
    assert len(err.splitlines()) == 1


def test_a_program_that_exits_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "__main__.py").write_text("import sys\nsys.exit(1)\n")

    status, _, err = run_cli(capsys, "preview", tmp_path)

    assert_clean_error(status, err, "the program: called sys.exit(1)")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_cli(capsys, "render")

    assert status == 2
    assert "usage: ome-mcp render" in err
