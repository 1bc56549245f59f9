"""References by name to ConfigMaps the same program creates (``registry``): a
``PermissionProfile`` or a ``pulumi_kubernetes`` ConfigMap named in ``{type: configMap,
configMap: {name: ...}}`` resolves with no cluster read, and the server's objects depend
on it; a read that would race a later creation is refused; the offline error for a
reference nothing resolves says what to do."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pulumi.runtime import mocks as pulumi_mocks
from server_fixtures import IMAGE, PulumiHarness

from ome_mcp_components import MCPServer, PermissionProfile, sdk_internals
from ome_mcp_components.errors import ConfigReferenceError
from ome_mcp_components.offline.recording import RecordedResource, Recording

NS = "same-program"
HTTP = {"image": IMAGE, "transport": "streamable-http"}
PROFILE = {"network": {"outbound": {"allowHost": ["10.20.0.0/16"], "allowPort": [5432]}}}
PROFILE_JSON = json.dumps(PROFILE)


def by_name(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "configMap", "configMap": {"name": name, **extra}}


def server(name: str = "orders", *, spec: dict[str, Any] | None = None,
           opts: pulumi.ResourceOptions | None = None, **args: Any) -> MCPServer:
    return MCPServer(name, {"metadata": {"namespace": NS},
                            "spec": spec or {**HTTP, "permissionProfile": by_name("db-only")},
                            **args}, opts)


def plain_config_map(name: str = "db-only", data: Any = None, namespace: str = NS,
                     **kwargs: Any) -> k8s.core.v1.ConfigMap:
    return k8s.core.v1.ConfigMap(name, metadata={"name": name, "namespace": namespace},
                                 data=data or {"permissions.json": PROFILE_JSON}, **kwargs)


def resource(recording: Recording, name: str) -> RecordedResource:
    return next(r for r in recording.resources if r.name == name)


def egress_cidrs(recording: Recording, server_name: str = "orders") -> list[str]:
    policy = resource(recording, f"{server_name}-server-network-policy")
    return [peer["ipBlock"]["cidr"] for rule in policy.inputs["spec"]["egress"]
            for peer in rule["to"] if "ipBlock" in peer]


def depends_on(recording: Recording, child: str, urn: str) -> bool:
    return urn in resource(recording, child).dependencies


DECLARATIONS: dict[str, Callable[[], object]] = {
    "PermissionProfile component": lambda: PermissionProfile(
        "db-only", {"metadata": {"namespace": NS}, "spec": PROFILE}),
    "ConfigMap, metadata as a dict": plain_config_map,
    "ConfigMap, ObjectMetaArgs": lambda: k8s.core.v1.ConfigMap(
        "db-only", metadata=k8s.meta.v1.ObjectMetaArgs(name="db-only", namespace=NS),
        data={"permissions.json": PROFILE_JSON}),
    "ConfigMap, data an output": lambda: plain_config_map(
        data={"permissions.json": pulumi.Output.from_input(PROFILE_JSON)}),
}


@pytest.mark.parametrize("declare", list(DECLARATIONS.values()), ids=list(DECLARATIONS))
def test_reference_by_name_resolves_in_the_program(pulumi_mocks: PulumiHarness,
                                                   declare: Callable[[], object]) -> None:
    def program() -> None:
        declare()
        server()

    recording = pulumi_mocks.run(program)  # no cluster state: a read would fail
    assert not any(r.read for r in recording.resources)
    assert "10.20.0.0/16" in egress_cidrs(recording)
    config_map = resource(recording, "db-only-config-map" if any(
        r.name == "db-only-config-map" for r in recording.resources) else "db-only")
    for child in ("orders-server", "orders-server-network-policy", "orders-gateway"):
        assert depends_on(recording, child, config_map.urn), child


def test_oidc_and_authz_config_maps_of_the_program(pulumi_mocks: PulumiHarness) -> None:
    cedar = {"version": "1.0", "type": "cedarv1", "cedar": {
        "policies": ['permit(principal, action == Action::"call_tool", resource);'],
        "entities_json": "[]"}}

    def program() -> None:
        plain_config_map("idp", {"oidc.json": json.dumps(
            {"issuer": "https://idp.example.com", "audience": "orders"})})
        plain_config_map("policies", {"authz.json": json.dumps(cedar)})
        server(spec={**HTTP, "oidcConfig": by_name("idp"), "authzConfig": by_name("policies")})

    recording = pulumi_mocks.run(program)
    assert not any(r.read for r in recording.resources)
    gateway_config = resource(recording, "orders-gateway-config")
    run_config = json.loads(gateway_config.inputs["data"]["runconfig.json"])
    assert run_config["oidc_config"]["Issuer"] == "https://idp.example.com"
    assert run_config["authz_config"]["cedar"]["policies"] == cedar["cedar"]["policies"]
    for name in ("idp", "policies"):
        assert depends_on(recording, "orders-gateway-config", resource(recording, name).urn)


def test_config_maps_argument_wins_and_still_depends(pulumi_mocks: PulumiHarness) -> None:
    other = json.dumps({"network": {"outbound": {"allowHost": ["10.99.0.0/16"]}}})

    def program() -> None:
        plain_config_map()
        server(config_maps={"db-only": {"permissions.json": other}})

    recording = pulumi_mocks.run(program)
    assert egress_cidrs(recording) == ["10.99.0.0/16"]
    assert depends_on(recording, "orders-server", resource(recording, "db-only").urn)


@pytest.mark.parametrize(
    "declare",
    [lambda: plain_config_map(namespace="elsewhere"),
     lambda: k8s.core.v1.ConfigMap("db-only", data={"permissions.json": PROFILE_JSON})],
    ids=["another namespace", "auto-named (no metadata.name)"],
)
def test_what_is_not_found_by_name_is_read_and_the_error_says_what_to_do(
    pulumi_mocks: PulumiHarness, declare: Callable[[], object]
) -> None:
    def program() -> None:
        declare()
        server()

    with pytest.raises(ConfigReferenceError) as raised:
        pulumi_mocks.run(program)
    message = str(raised.value)
    assert message.startswith(f"ConfigMap {NS}/db-only: ")
    assert "config_maps=" in message
    assert "PermissionProfile component" in message
    assert "--cluster-state FILE" in message
    assert "cluster_config_maps" not in message


def test_a_read_by_the_program_is_no_declaration(pulumi_mocks: PulumiHarness) -> None:
    def program() -> None:
        k8s.core.v1.ConfigMap.get("existing", f"{NS}/db-only")
        server()

    recording = pulumi_mocks.run(program,
                                 cluster={(NS, "db-only"): {"permissions.json": PROFILE_JSON}})
    assert sorted(r.name for r in recording.resources if r.read) == [
        "existing", "orders-profile-ref"]


def test_a_read_of_an_existing_config_map_still_works(pulumi_mocks: PulumiHarness) -> None:
    recording = pulumi_mocks.run(lambda: server(),
                                 cluster={(NS, "db-only"): {"permissions.json": PROFILE_JSON}})
    (read,) = [r for r in recording.resources if r.read]
    assert read.name == "orders-profile-ref"


@pytest.mark.parametrize(
    "declare",
    [plain_config_map,
     lambda: PermissionProfile("db-only", {"metadata": {"namespace": NS}, "spec": PROFILE})],
    ids=["ConfigMap", "PermissionProfile"],
)
def test_creating_it_after_the_server_reads_it_is_an_error(
    pulumi_mocks: PulumiHarness, declare: Callable[[], object]
) -> None:
    def program() -> None:
        server()
        declare()

    with pytest.raises(ConfigReferenceError) as raised:
        pulumi_mocks.run(program, cluster={(NS, "db-only"): {"permissions.json": PROFILE_JSON}})
    assert str(raised.value) == (
        f"ConfigMap {NS}/db-only: MCPServer 'orders' was declared before it and reads it "
        "from the cluster, which would race this creation; create the ConfigMap (or "
        "PermissionProfile) before the servers that reference it")


def test_programs_run_one_after_another_do_not_share_declarations(
    pulumi_mocks: PulumiHarness,
) -> None:
    pulumi_mocks.run(lambda: plain_config_map())
    with pytest.raises(ConfigReferenceError, match=f"ConfigMap {NS}/db-only"):
        pulumi_mocks.run(lambda: server())


def test_the_cluster_read_waits_for_the_components_depends_on(
    pulumi_mocks: PulumiHarness,
) -> None:
    def program() -> None:
        gate = k8s.core.v1.Namespace("gate", metadata={"name": NS})
        server(opts=pulumi.ResourceOptions(depends_on=[gate]))

    recording = pulumi_mocks.run(program,
                                 cluster={(NS, "db-only"): {"permissions.json": PROFILE_JSON}})
    gate = resource(recording, "gate")
    read = resource(recording, "orders-profile-ref")
    assert read.read
    assert gate.urn in read.dependencies


def test_bad_content_of_a_declared_config_map_registers_no_server(
    pulumi_mocks: PulumiHarness,
) -> None:
    def program() -> None:
        plain_config_map(data={"permissions.json": "{not json"})
        server()

    with pytest.raises(ConfigReferenceError, match="db-only"):
        pulumi_mocks.run(program)


# --- under plain Pulumi mocks (no stack) -------------------------------------------------------


class EchoMocks(pulumi_mocks.Mocks):
    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def set_mocks() -> Iterator[None]:
    sdk_internals.reset_runtime()
    pulumi.runtime.set_mocks(EchoMocks(), preview=False)
    yield
    sdk_internals.reset_runtime()


def test_permission_profile_by_name_under_set_mocks(set_mocks: None) -> None:
    PermissionProfile("db-only", {"metadata": {"namespace": NS}, "spec": PROFILE})
    created = server()
    seen: list[str] = []
    result = created.url.apply(seen.append)
    pulumi.runtime.test(lambda: result)()
    assert seen == [f"http://orders.{NS}.svc.cluster.local:8080/mcp"]
