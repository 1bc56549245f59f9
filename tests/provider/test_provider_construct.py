"""The component provider's construct under the offline engine: what a program in another
language sends becomes exactly what a Python program passes.

The wire inputs are those of the Pulumi YAML example (``examples/story-1-database-access/
yaml/Pulumi.yaml``) as the engine delivers them (every number a float); the provider's
``construct`` builds the components in-process, so the offline engine records the same
resources as for the Python example.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from ome_mcp_components import MCPServer, PermissionProfile, sdk_internals
from ome_mcp_components.errors import Issue, OmeMcpError, SpecValidationError
from ome_mcp_components.offline.engine import load_program_dir, run_program
from ome_mcp_components.offline.recording import Recording
from ome_mcp_components.provider import inputs as wire
from ome_mcp_components.provider.host import (
    _DEPENDENCIES,
    _PROBLEMS,
    ComponentProvider,
    _plain,
)
from ome_mcp_components.provider.schema import package

ROOT = Path(__file__).resolve().parents[2]
STORY_1 = ROOT / "examples" / "story-1-database-access"
SERVER = "ome-mcp:index:MCPServer"
CLUSTER = "ome-mcp:index:ClusterMCPServer"
PROFILE = "ome-mcp:index:PermissionProfile"


def as_wire(value: Any) -> Any:
    """``value`` as the engine delivers it to a provider: numbers are floats."""
    if isinstance(value, dict):
        return {k: as_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_wire(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def yaml_resources(project: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((project / "Pulumi.yaml").read_text())["resources"])


def constructing(*calls: tuple[str, str, dict[str, Any]]) -> Callable[[], None]:
    """A program that constructs each ``(name, type, wire inputs)`` through one provider,
    in order, the way the engine calls it for a program in another language."""

    def program() -> None:
        provider = ComponentProvider()
        for name, token, inputs in calls:
            result = provider.construct(name, token, {**inputs, _DEPENDENCIES: set(),
                                                      _PROBLEMS: []}, None)
            for key, value in result.state.items():
                pulumi.export(f"{name}.{key}", value)

    return program


def tree(recording: Recording) -> list[tuple[str, str, str | None]]:
    """Type, name and parent's name of every resource below the stack."""
    stack = "pulumi:pulumi:Stack"
    return [(r.type, r.name, None if r.parent is None or f"::{stack}::" in r.parent
             else r.parent.rsplit("::", 1)[-1])
            for r in recording.resources if r.type != stack]


# --- the YAML example against the Python example -------------------------------------------


def test_the_yaml_example_constructs_what_the_python_example_registers() -> None:
    (_, resource), = yaml_resources(STORY_1 / "yaml").items()
    assert resource["type"] == SERVER
    from_yaml = run_program(constructing(
        (resource["name"], SERVER, as_wire(resource["properties"]))))
    from_python = run_program(load_program_dir(STORY_1))
    assert from_yaml.kubernetes_objects() == from_python.kubernetes_objects()
    assert tree(from_yaml) == tree(from_python)
    assert from_yaml.outputs["postgres-mcp.url"] == from_python.outputs["url"]
    assert from_yaml.outputs["postgres-mcp.status"] == from_python.outputs["status"]


def test_the_component_records_the_same_inputs_as_in_python() -> None:
    (_, resource), = yaml_resources(STORY_1 / "yaml").items()
    from_yaml = run_program(constructing(("postgres-mcp", SERVER, as_wire(resource["properties"]))))
    from_python = run_program(load_program_dir(STORY_1))
    (yaml_component,) = [r for r in from_yaml.resources if r.type == SERVER]
    (python_component,) = [r for r in from_python.resources if r.type == SERVER]
    assert yaml_component.inputs == python_component.inputs


# --- names and numbers ---------------------------------------------------------------------


def test_option_names_become_the_components_keys() -> None:
    args = wire.component_args(package("0.0.0"), CLUSTER, {
        "spec": {"image": "x"}, "networkEnforcement": "cilium", "gatewayImage": "gw:1",
        "sharedNamespace": "shared", "configMaps": {"cm": {"k": "v"}}})
    assert args == {"spec": {"image": "x"}, "network_enforcement": "cilium",
                    "gateway_image": "gw:1", "shared_namespace": "shared",
                    "config_maps": {"cm": {"k": "v"}}}


def test_whole_numbers_are_ints_where_the_schema_says_integer_and_in_kubernetes_objects() -> None:
    args = wire.component_args(package("0.0.0"), SERVER, as_wire({"spec": {
        "image": "x", "replicas": 2, "port": 8080,
        "podTemplateSpec": {"spec": {"containers": [{"name": "mcp", "ports": [
            {"containerPort": 9000}]}]}},
        "permissionProfile": {"type": "inline", "inline": {"network": {"outbound": {
            "allowPort": [5432]}}}},
    }}))
    spec = args["spec"]
    assert type(spec["replicas"]) is int
    assert type(spec["port"]) is int
    assert type(spec["podTemplateSpec"]["spec"]["containers"][0]["ports"][0]["containerPort"]) \
        is int
    allow = spec["permissionProfile"]["inline"]["network"]["outbound"]["allowPort"]
    assert allow == [5432]
    assert type(allow[0]) is int


def test_a_fraction_stays_a_fraction_and_is_refused_as_in_python() -> None:
    args = wire.component_args(package("0.0.0"), SERVER, {"spec": {"image": "x",
                                                                   "replicas": 1.5}})
    assert args["spec"]["replicas"] == 1.5
    with pytest.raises(SpecValidationError) as from_wire:
        run_program(constructing(("demo", SERVER, {"spec": {"image": "x", "replicas": 1.5}})))
    with pytest.raises(SpecValidationError) as from_python:
        run_program(lambda: MCPServer("demo", {"spec": {"image": "x", "replicas": 1.5}}))
    assert str(from_wire.value) == str(from_python.value)


@pytest.mark.parametrize("spec", [
    {"image": "x", "transport": "stdio", "replicas": 3},
    {"image": "x", "imagee": "typo"},
    {"type": "Hosted"},
    {"image": "x", "port": 70000},
    {"image": "x", "secrets": [{"name": "creds", "key": "bad key"}]},
], ids=["stdio replicas", "unknown field", "no image", "port range", "secret key"])
def test_bad_input_gives_the_error_a_python_program_gets(spec: dict[str, Any]) -> None:
    with pytest.raises(SpecValidationError) as from_wire:
        run_program(constructing(("demo", SERVER, as_wire({"spec": spec}))))
    with pytest.raises(SpecValidationError) as from_python:
        run_program(lambda: MCPServer("demo", {"spec": spec}))
    assert str(from_wire.value) == str(from_python.value)


@pytest.mark.parametrize(("token", "path", "written"), [
    (SERVER, "gateway_image", "gatewayImage"),
    (CLUSTER, "shared_namespace", "sharedNamespace"),
    (SERVER, "config_maps['cm']", "configMaps['cm']"),
    (SERVER, "spec.secrets[0].targetEnvName", "spec.secrets[0].targetEnvName"),
    (SERVER, "spec.oidcConfig.kubernetes.jwksURL", "spec.oidcConfig.kubernetes.jwksURL"),
    (SERVER, "metadata.labels.app.kubernetes.io/name", "metadata.labels.app.kubernetes.io/name"),
    (SERVER, "spec.podTemplateSpec.spec.containers[0].image",
     "spec.podTemplateSpec.spec.containers[0].image"),
    (SERVER, "replica", "replica"),
    (SERVER, "", ""),
])
def test_error_paths_are_named_as_the_schema_names_them(token: str, path: str,
                                                         written: str) -> None:
    assert wire.wire_path(package("0.0.0"), token, path) == written


def test_an_unknown_argument_is_refused_by_the_components() -> None:
    with pytest.raises(SpecValidationError, match="replica: unknown argument"):
        run_program(constructing(("demo", SERVER, {"spec": {"image": "x"}, "replica": 2.0})))


# --- a PermissionProfile across languages ----------------------------------------------------

PROFILE_SPEC = {"network": {"outbound": {"allowHost": ["10.20.0.0/16"], "allowPort": [5432]}}}
SERVER_SPEC = {"image": "ghcr.io/acme/orders-mcp:1.0.0", "transport": "streamable-http",
               "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "orders"}}}
META = {"namespace": "same-program"}


def test_a_reference_to_a_profile_of_the_deployment_is_served_by_the_component() -> None:
    ref = {"type": "configMap", "configMap": {"name": "db-only"}}
    from_wire = run_program(constructing(
        ("db-only", PROFILE, as_wire({"metadata": META, "spec": PROFILE_SPEC})),
        ("orders", SERVER, as_wire({"metadata": META,
                                    "spec": {**SERVER_SPEC, "permissionProfile": ref}}))))

    def python() -> None:
        profile = PermissionProfile("db-only", {"metadata": META, "spec": PROFILE_SPEC})
        MCPServer("orders", {"metadata": META,
                             "spec": {**SERVER_SPEC, "permissionProfile": profile}})

    from_python = run_program(python)
    assert not [r for r in from_wire.resources if r.read]  # nothing read from the cluster
    assert from_wire.kubernetes_objects() == from_python.kubernetes_objects()
    (server,) = [r for r in from_wire.resources if r.name == "orders-server-network-policy"]
    assert "10.20.0.0/16" in str(server.inputs)


def test_only_a_reference_to_a_profile_of_the_deployment_is_replaced() -> None:
    """The provider's own step, seen directly (the offline engine also resolves references
    to ConfigMaps of the same program, so the comparisons above cannot tell them apart)."""
    provider = ComponentProvider()
    seen: dict[str, Any] = {}

    def program() -> None:
        provider.construct("db-only", PROFILE, {"metadata": META, "spec": PROFILE_SPEC,
                                                _DEPENDENCIES: set(), _PROBLEMS: []}, None)
        ref = {"type": "configMap", "configMap": {"name": "db-only"}}
        for case, metadata, reference in (
            ("match", META, ref),
            ("default key", META, {**ref, "configMap": {"name": "db-only",
                                                        "key": "permissions.json"}}),
            ("other key", META, {**ref, "configMap": {"name": "db-only", "key": "x.json"}}),
            ("other name", META, {**ref, "configMap": {"name": "other"}}),
            ("other namespace", {"namespace": "elsewhere"}, ref),
            ("cluster server there", META, ref),
            ("cluster server", {}, ref),
        ):
            kind = "ClusterMCPServer" if case.startswith("cluster") else "MCPServer"
            args = {"metadata": metadata, "spec": {**SERVER_SPEC, "permissionProfile": reference}}
            seen[case] = provider._with_profile(kind, "orders", args)["spec"]["permissionProfile"]

    run_program(program)
    assert isinstance(seen.pop("match"), PermissionProfile)
    assert isinstance(seen.pop("default key"), PermissionProfile)
    assert isinstance(seen.pop("cluster server there"), PermissionProfile)
    # a ClusterMCPServer lives in ome-mcp-system unless told otherwise: not the profile's
    assert all(isinstance(value, dict) for value in seen.values()), seen


def outcome(program: Callable[[], None], cluster: dict[Any, Any]) -> Any:
    """What a run ends with: its objects and reads, or its error."""
    try:
        recording = run_program(program, cluster_config_maps=cluster)
    except OmeMcpError as e:
        return str(e)
    return recording.kubernetes_objects(), [r.name for r in recording.resources if r.read]


@pytest.mark.parametrize(("namespace", "ref"), [
    ("same-program", {"type": "configMap", "configMap": {"name": "db-only",
                                                         "key": "other.json"}}),
    ("same-program", {"type": "configMap", "configMap": {"name": "elsewhere"}}),
    ("elsewhere", {"type": "configMap", "configMap": {"name": "db-only"}}),
], ids=["another key", "another name", "another namespace"])
def test_other_references_are_left_to_the_components(namespace: str, ref: dict[str, Any]) -> None:
    data = dict.fromkeys(("permissions.json", "other.json"), '{"network": {}}')
    cluster = {(ns, name): data for ns in ("same-program", "elsewhere")
               for name in ("db-only", "elsewhere")}
    server = {"metadata": {"namespace": namespace},
              "spec": {**SERVER_SPEC, "permissionProfile": ref}}
    from_wire = constructing(("db-only", PROFILE, as_wire({"metadata": META,
                                                           "spec": PROFILE_SPEC})),
                             ("orders", SERVER, as_wire(server)))

    def python() -> None:
        PermissionProfile("db-only", {"metadata": META, "spec": PROFILE_SPEC})
        MCPServer("orders", server)

    assert outcome(from_wire, cluster) == outcome(python, cluster)


# --- outputs of other resources in the inputs ------------------------------------------------


def output(value: Any, *, known: bool = True, secret: bool = False,
           urn: str | None = None) -> pulumi.Output[Any]:
    def done(result: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(result)
        return future

    resources = {sdk_internals.dependency_on(urn)} if urn else set()
    return pulumi.Output(resources, done(value), done(known), done(secret))


def plain(make: Callable[[], Any]) -> tuple[Any, set[str], list[Issue]]:
    async def run() -> tuple[Any, set[str], list[Issue]]:
        dependencies: set[str] = set()
        problems: list[Issue] = []
        value = await _plain(make(), "spec", dependencies, problems)
        return value, dependencies, problems

    return asyncio.run(run())


def test_known_outputs_are_their_values_and_their_resources_dependencies() -> None:
    urn = "urn:pulumi:e2e::p::ome-mcp:index:PermissionProfile::db-only"
    value, dependencies, problems = plain(lambda: output(
        {"image": "x", "permissionProfile": {"type": "configMap", "configMap": {
            "name": output("db-only", urn=urn)}}}, urn=urn))
    assert value == {"image": "x", "permissionProfile": {"type": "configMap",
                                                         "configMap": {"name": "db-only"}}}
    assert dependencies == {urn}
    assert problems == []


def test_unknown_and_secret_values_are_named() -> None:
    value, _, problems = plain(lambda: {"image": output(None, known=False),
                                        "env": [{"name": "A", "value": output("s", secret=True)}]})
    assert value == {"image": None, "env": [{"name": "A", "value": None}]}
    assert [p.path for p in problems] == ["spec.image", "spec.env[0].value"]
    assert "not known yet" in problems[0].message
    assert "secret" in problems[1].message


def test_problems_are_one_error_naming_the_resource_and_nothing_is_registered() -> None:
    problems = [Issue("spec.image", "is not known yet")]
    provider = ComponentProvider()
    with pytest.raises(SpecValidationError) as error:
        provider.construct("demo", SERVER, {"spec": {}, _DEPENDENCIES: set(),
                                            _PROBLEMS: problems}, None)
    assert str(error.value) == "MCPServer 'demo': spec.image: is not known yet"
