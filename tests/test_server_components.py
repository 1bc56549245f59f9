"""The components under Pulumi's mocks: what only Pulumi knows (types, parents, outputs,
inputs, reads, warnings) and that bad input registers nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_fixtures import PulumiHarness, build_ctx
from strategies import mutations, valid_specs

from ome_mcp_components import ClusterMCPServer, MCPServer, PermissionProfile
from ome_mcp_components.builders import render
from ome_mcp_components.components import ClusterMCPServerArgs, MCPServerArgs
from ome_mcp_components.errors import ConfigReferenceError, SpecValidationError
from ome_mcp_components.models import MCPServerSpec
from ome_mcp_components.offline.recording import Recording

IMAGE = "ghcr.io/acme/tools:1.2.3"
HTTP = {"image": IMAGE, "transport": "streamable-http"}
PROFILE = {"write": ["/var/cache"],
           "network": {"outbound": {"allowHost": ["10.1.0.0/16", "db.example.com"],
                                    "allowPort": [5432]}}}
PROFILE_REF = {"type": "configMap", "configMap": {"name": "db-profile"}}
CLUSTER = {("tools", "db-profile"): {"permissions.json": json.dumps(PROFILE)}}


def components(recording: Recording) -> list[Any]:
    return [r for r in recording.resources if not r.custom]


def only(recording: Recording, type_: str) -> Any:
    (found,) = [r for r in recording.resources if r.type == type_]
    return found


def server(spec: dict[str, Any], **args: Any) -> Callable[[], None]:
    def program() -> None:
        created = MCPServer("demo", {"metadata": {"namespace": "tools"}, "spec": spec, **args})
        for output in ("url", "namespace", "service_name", "service_account_name"):
            pulumi.export(output, getattr(created, output))

    return program


# --- types, parents, inputs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "type_"),
    [
        (lambda: MCPServer("demo", {"spec": HTTP}), "ome-mcp:index:MCPServer"),
        (lambda: ClusterMCPServer("demo", {"spec": HTTP}), "ome-mcp:index:ClusterMCPServer"),
        (lambda: PermissionProfile("demo", {"spec": PROFILE}),
         "ome-mcp:index:PermissionProfile"),
    ],
    ids=["MCPServer", "ClusterMCPServer", "PermissionProfile"],
)
def test_type_tokens_and_parents(pulumi_mocks: PulumiHarness, program: Callable[[], object],
                                 type_: str) -> None:
    recording = pulumi_mocks.run(program)
    (component,) = components(recording)[1:]  # after the stack
    assert component.type == type_
    children = [r for r in recording.resources if r.custom]
    assert children
    assert all(child.parent == component.urn for child in children)


RENDER_CASES: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = [
    ({**HTTP, "replicas": 2, "secrets": [{"name": "db", "key": "PASSWORD"}],
      "permissionProfile": {"type": "inline", "inline": PROFILE}}, {},
     ["service-account", "gateway-service-account", "gateway-config", "server", "gateway",
      "backend-service", "service", "server-network-policy", "gateway-network-policy",
      "server-pdb", "gateway-pdb"]),
    ({"image": IMAGE, "authzConfig": {"type": "inline", "inline": {"policies": [
        'permit(principal, action == Action::"call_tool", resource);']}},
      "oidcConfig": {"type": "kubernetes"}}, {"network_enforcement": "cilium"},
     ["service-account", "gateway-service-account", "gateway-config", "authz-config",
      "gateway-role", "gateway-role-binding", "server", "gateway", "service",
      "server-network-policy", "gateway-network-policy", "gateway-fqdn-policy"]),
    ({"type": "Remote", "url": "https://mcp.example.com/mcp",
      "oidcConfig": {"type": "inline", "inline": {"issuer": "https://idp.example.com",
                                                  "audience": "mcp"}}}, {},
     ["gateway-service-account", "gateway-config", "gateway", "service",
      "gateway-network-policy"]),
]


@pytest.mark.parametrize(
    ("spec", "args", "roles"),
    RENDER_CASES,
    ids=["streamable-http, 2 replicas, inline profile", "stdio with auth under Cilium",
         "Remote with OIDC"],
)
def test_objects_are_the_rendered_manifests(pulumi_mocks: PulumiHarness, spec: dict[str, Any],
                                            args: dict[str, Any], roles: list[str]) -> None:
    recording = pulumi_mocks.run(server(spec, **args))
    context_args = {"network_enforcement": args["network_enforcement"]} if args else {}
    assert recording.kubernetes_objects() == render(build_ctx(spec, **context_args))
    assert [r.name for r in recording.resources if r.custom] == [f"demo-{r}" for r in roles]


def test_inputs_are_the_validated_spec_with_references_only(
    pulumi_mocks: PulumiHarness,
) -> None:
    spec = {**HTTP, "secrets": [{"name": "db", "key": "PASSWORD", "targetEnvName": "PGPASS"}]}
    recording = pulumi_mocks.run(server(spec, network_enforcement="cilium"))
    component = only(recording, "ome-mcp:index:MCPServer")
    assert component.inputs == {
        "metadata": {"name": "demo", "namespace": "tools", "labels": {}, "annotations": {}},
        "spec": MCPServerSpec.model_validate(spec).wire(),
        "networkEnforcement": "cilium",
    }
    assert component.inputs["spec"]["secrets"] == [
        {"name": "db", "key": "PASSWORD", "targetEnvName": "PGPASS"}]
    deployment = next(o for o in recording.kubernetes_objects()
                      if o["kind"] == "Deployment" and o["metadata"]["name"] == "demo")
    (env,) = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == {"name": "PGPASS", "valueFrom": {"secretKeyRef": {
        "name": "db", "key": "PASSWORD", "optional": False}}}


# --- outputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "outputs"),
    [
        (HTTP, {"url": "http://demo.tools.svc.cluster.local:8080/mcp", "namespace": "tools",
                "service_name": "demo", "service_account_name": "demo"}),
        ({"image": IMAGE, "transport": "sse", "port": 9000, "serviceAccount": "reader"},
         {"url": "http://demo.tools.svc.cluster.local:9000/sse", "namespace": "tools",
          "service_name": "demo", "service_account_name": "reader"}),
        ({"type": "Remote", "url": "https://mcp.example.com/mcp"},
         {"url": "https://mcp.example.com/mcp", "namespace": "tools", "service_name": None,
          "service_account_name": None}),
        ({"type": "Remote", "url": "https://mcp.example.com/sse", "transport": "sse",
          "oidcConfig": {"type": "inline", "inline": {"issuer": "https://idp.example.com"}}},
         {"url": "http://demo.tools.svc.cluster.local:8080/sse", "namespace": "tools",
          "service_name": "demo", "service_account_name": None}),
    ],
    ids=[
        "streamable-http -> /mcp on the public Service",
        "sse on port 9000 with serviceAccount -> /sse, the given account",
        "Remote without gateway -> its own url, no Service, no account",
        "Remote with OIDC -> through the gateway",
    ],
)
def test_outputs(pulumi_mocks: PulumiHarness, spec: dict[str, Any],
                 outputs: dict[str, Any]) -> None:
    recording = pulumi_mocks.run(server(spec))
    # Pulumi leaves None out of a stack's outputs
    assert recording.outputs == {k: v for k, v in outputs.items() if v is not None}


def test_remote_without_gateway_creates_nothing(pulumi_mocks: PulumiHarness) -> None:
    recording = pulumi_mocks.run(server({"type": "Remote", "url": "https://mcp.example.com"}))
    assert recording.kubernetes_objects() == []


@pytest.mark.parametrize(
    ("args", "namespace"),
    [({"spec": HTTP}, "ome-mcp-system"),
     ({"spec": HTTP, "shared_namespace": "shared"}, "shared"),
     (ClusterMCPServerArgs(spec=HTTP, metadata={"namespace": "platform"}), "platform")],
    ids=["default shared namespace", "shared_namespace argument", "metadata.namespace"],
)
def test_cluster_server_namespace(pulumi_mocks: PulumiHarness, args: Any,
                                  namespace: str) -> None:
    def program() -> None:
        pulumi.export("namespace", ClusterMCPServer("shared-tools", args).namespace)

    recording = pulumi_mocks.run(program)
    assert recording.outputs == {"namespace": namespace}
    assert {o["metadata"]["namespace"] for o in recording.kubernetes_objects()} == {namespace}
    gateway_policy = next(o for o in recording.kubernetes_objects()
                          if o["metadata"]["name"] == "shared-tools-gateway"
                          and o["kind"] == "NetworkPolicy")
    assert gateway_policy["spec"]["ingress"][0]["from"] == [{"namespaceSelector": {}}]


def test_args_object(pulumi_mocks: PulumiHarness) -> None:
    def program() -> None:
        MCPServer("demo", MCPServerArgs(spec=HTTP, metadata={"name": "other", "namespace": "x"}))

    recording = pulumi_mocks.run(program)
    assert {(o["metadata"]["namespace"], o["metadata"]["name"])
            for o in recording.kubernetes_objects() if o["kind"] == "Service"} == {
        ("x", "other"), ("x", "other-backend")}


# --- bad input ---------------------------------------------------------------------------------


#: 300 policies of ~4 KB: the gateway's ConfigMap would pass Kubernetes' 1 MiB limit.
HUGE_POLICIES = [
    "permit(principal, action, resource) when { ["
    + ", ".join(f'"tool-{i:04d}-with-a-long-name"' for i in range(130))
    + f"].contains(resource.name) && context.claim_n == {n} }};" for n in range(300)
]
BAD_ARGS: list[tuple[Callable[[], object], str]] = [
    (lambda: MCPServer("demo", {"spec": {"transport": "sse"}}),
     "MCPServer 'demo': spec: image is required for Hosted MCP servers"),
    (lambda: MCPServer("demo", {"spec": {**HTTP, "replicas": "3"}}), "spec.replicas"),
    (lambda: MCPServer("demo", {"spec": HTTP, "networkEnforcement": "cilium"}),
     "networkEnforcement: unknown argument"),
    (lambda: MCPServer("demo", {"spec": HTTP, "network_enforcement": "calico"}),
     "network_enforcement: 'calico' is not allowed"),
    (lambda: MCPServer("Demo", {"spec": HTTP}), "metadata.name: 'Demo' is not a valid"),
    (lambda: MCPServer("d" * 53, {"spec": HTTP}), "at most 52"),
    (lambda: MCPServer("demo", {"spec": {**HTTP, "serviceAccount": "demo-gateway"}}),
     "spec.serviceAccount: 'demo-gateway' is the gateway's ServiceAccount"),
    (lambda: MCPServer("demo", {"spec": {**HTTP, "authzConfig": {
        "type": "inline", "inline": {"policies": ["permit(principal, action"]}}}}),
     "spec.authzConfig.inline.policies[0]"),
    (lambda: MCPServer("demo", "not a mapping"), "args must be a mapping"),
    (lambda: MCPServer("demo", {}), "spec: field required"),
    (lambda: MCPServer("demo", {"spec": HTTP, "config_maps": {"x": {"k": 1}}}),
     "config_maps['x']"),
    (lambda: ClusterMCPServer("demo", {"spec": HTTP, "shared_namespace": "a",
                                       "metadata": {"namespace": "b"}}),
     "metadata.namespace: 'b' conflicts with shared_namespace 'a'"),
    (lambda: MCPServer("demo", {"metadata": {"labels": {"bad key!": "x"}}, "spec": HTTP}),
     "metadata.labels"),
    (lambda: PermissionProfile("db", {"spec": {"write": ["relative"]}}), "spec.write"),
    (lambda: PermissionProfile("Bad_Name", {"spec": {}}), "metadata.name"),
    (lambda: MCPServer("demo", {"spec": {**HTTP, "authzConfig": {"type": "inline", "inline": {
        "policies": HUGE_POLICIES}}}}), "ConfigMap demo-gateway would hold"),
]


@pytest.mark.parametrize(
    ("program", "message"),
    BAD_ARGS,
    ids=[
        "hosted without image", "replicas not an integer", "unknown argument key",
        "unknown network enforcement", "name not DNS-1035", "name too long",
        "server runs as the gateway's account", "Cedar syntax error", "args not a mapping",
        "no spec", "config_maps data not strings", "ClusterMCPServer namespace conflict",
        "bad label key", "profile write path not absolute", "profile name invalid",
        "a ConfigMap over 1 MiB",
    ],
)
def test_bad_input_registers_nothing(pulumi_mocks: PulumiHarness,
                                     program: Callable[[], object], message: str) -> None:
    errors: list[SpecValidationError] = []

    def guarded() -> None:
        try:
            program()
        except SpecValidationError as error:
            errors.append(error)

    recording = pulumi_mocks.run(guarded)
    (error,) = errors
    assert message in str(error)
    assert [r.type for r in recording.resources] == ["pulumi:pulumi:Stack"]


def test_bad_input_raises_through_the_engine(pulumi_mocks: PulumiHarness) -> None:
    with pytest.raises(SpecValidationError, match="image is required"):
        pulumi_mocks.run(lambda: MCPServer("demo", {"spec": {}}).url)


# --- references ------------------------------------------------------------------------------


def deployment_volumes(recording: Recording) -> list[dict[str, Any]]:
    deployment = next(o for o in recording.kubernetes_objects()
                      if o["kind"] == "Deployment" and o["metadata"]["name"] == "demo")
    return list(deployment["spec"]["template"]["spec"]["volumes"])


def server_egress(recording: Recording) -> list[dict[str, Any]]:
    policy = next(o for o in recording.kubernetes_objects()
                  if o["metadata"]["name"] == "demo-server")
    return list(policy["spec"]["egress"])


def test_profile_read_from_the_cluster_shapes_the_objects(pulumi_mocks: PulumiHarness) -> None:
    recording = pulumi_mocks.run(server({**HTTP, "permissionProfile": PROFILE_REF}),
                                 cluster=CLUSTER)
    (read,) = [r for r in recording.resources if r.read]
    component = only(recording, "ome-mcp:index:MCPServer")
    assert (read.name, read.parent) == ("demo-profile-ref", component.urn)
    assert deployment_volumes(recording) == [{"name": "profile-write-0", "emptyDir": {}}]
    assert any(peer == {"ipBlock": {"cidr": "10.1.0.0/16"}}
               for rule in server_egress(recording) for peer in rule["to"])
    (warning,) = [w for w in recording.warnings if "db.example.com" in w]
    assert warning.startswith("warning: ome-mcp:index:MCPServer (demo): ")
    inline = build_ctx({**HTTP, "permissionProfile": {"type": "inline", "inline": PROFILE}},
                       namespace="tools")
    assert recording.kubernetes_objects() == render(inline)


def test_profile_in_config_maps_is_not_read(pulumi_mocks: PulumiHarness) -> None:
    data = {"db-profile": CLUSTER[("tools", "db-profile")]}
    recording = pulumi_mocks.run(server({**HTTP, "permissionProfile": PROFILE_REF},
                                        config_maps=data))
    assert not any(r.read for r in recording.resources)
    assert deployment_volumes(recording) == [{"name": "profile-write-0", "emptyDir": {}}]


@pytest.mark.parametrize(
    ("profile", "fqdn_egress"),
    [(PROFILE, True), ({"write": ["/tmp"]}, False)],
    ids=["read profile with a host name -> toFQDNs",
         "read profile without host names -> planned policy left empty"],
)
def test_cilium_policy_planned_before_the_read(
    pulumi_mocks: PulumiHarness, profile: dict[str, Any], fqdn_egress: bool
) -> None:
    cluster = {("tools", "db-profile"): {"permissions.json": json.dumps(profile)}}
    recording = pulumi_mocks.run(
        server({**HTTP, "permissionProfile": PROFILE_REF}, network_enforcement="cilium"),
        cluster=cluster)
    policy = next(o for o in recording.kubernetes_objects()
                  if o["metadata"]["name"] == "demo-server-fqdn")
    has_fqdns = any("toFQDNs" in rule for rule in policy["spec"]["egress"])
    assert has_fqdns is fqdn_egress
    assert not [w for w in recording.warnings if "cannot enforce" in w]


def test_permission_profile_component_is_used_directly(pulumi_mocks: PulumiHarness) -> None:
    def program() -> None:
        profile = PermissionProfile("db-only", {"metadata": {"namespace": "tools"},
                                                "spec": PROFILE})
        MCPServer("demo", {"metadata": {"namespace": "tools"},
                           "spec": {**HTTP, "permissionProfile": profile}})

    recording = pulumi_mocks.run(program)
    assert not any(r.read for r in recording.resources)
    config_map = next(r for r in recording.resources if r.name == "db-only-config-map")
    assert json.loads(config_map.inputs["data"]["permissions.json"]) == {
        "read": [], **PROFILE, "network": {"outbound": {**PROFILE["network"]["outbound"],
                                                        "insecureAllowAll": False}}}
    server_component = only(recording, "ome-mcp:index:MCPServer")
    assert server_component.inputs["spec"]["permissionProfile"] == {
        "type": "configMap", "configMap": {"name": "db-only", "key": "permissions.json"}}
    assert deployment_volumes(recording) == [{"name": "profile-write-0", "emptyDir": {}}]
    deployment = next(r for r in recording.resources if r.name == "demo-server")
    assert config_map.urn in deployment.dependencies or any(
        r.urn in deployment.dependencies for r in recording.resources
        if r.type == "ome-mcp:index:PermissionProfile")


def test_permission_profile_in_another_namespace_is_refused(
    pulumi_mocks: PulumiHarness,
) -> None:
    errors: list[SpecValidationError] = []

    def program() -> None:
        profile = PermissionProfile("db-only", {"metadata": {"namespace": "other"},
                                                "spec": PROFILE})
        try:
            MCPServer("demo", {"metadata": {"namespace": "tools"},
                               "spec": {**HTTP, "permissionProfile": profile}})
        except SpecValidationError as error:
            errors.append(error)

    recording = pulumi_mocks.run(program)
    assert "spec.permissionProfile" in str(errors[0])
    assert not any(r.type == "ome-mcp:index:MCPServer" for r in recording.resources)


def test_permission_profile_outputs(pulumi_mocks: PulumiHarness) -> None:
    def program() -> None:
        profile = PermissionProfile("db-only", {"metadata": {"namespace": "analytics"},
                                                "spec": PROFILE})
        pulumi.export("config_map_name", profile.config_map_name)
        pulumi.export("namespace", profile.namespace)

    recording = pulumi_mocks.run(program)
    assert recording.outputs == {"config_map_name": "db-only", "namespace": "analytics"}


def test_oidc_and_authz_read_from_the_cluster_reach_the_gateway_config(
    pulumi_mocks: PulumiHarness,
) -> None:
    cedar = {"version": "1.0", "type": "cedarv1", "cedar": {
        "policies": ['permit(principal, action == Action::"call_tool", resource);'],
        "entities_json": "[]"}}
    cluster = {
        ("tools", "idp"): {"oidc.json": json.dumps(
            {"issuer": "https://idp.example.com", "audience": "mcp"})},
        ("tools", "policies"): {"authz.json": json.dumps(cedar)},
    }
    spec = {**HTTP, "oidcConfig": {"type": "configMap", "configMap": {"name": "idp"}},
            "authzConfig": {"type": "configMap", "configMap": {"name": "policies"}}}
    recording = pulumi_mocks.run(server(spec), cluster=cluster)
    assert sorted(r.name for r in recording.resources if r.read) == [
        "demo-authz-ref", "demo-oidc-ref"]
    config_map = next(o for o in recording.kubernetes_objects()
                      if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "demo-gateway")
    run_config = json.loads(config_map["data"]["runconfig.json"])
    assert run_config["oidc_config"]["Issuer"] == "https://idp.example.com"
    assert run_config["authz_config"]["cedar"]["policies"] == cedar["cedar"]["policies"]
    assert "unresolved" not in json.dumps(recording.kubernetes_objects())


def test_missing_config_map_is_a_clear_error(pulumi_mocks: PulumiHarness) -> None:
    with pytest.raises(ConfigReferenceError, match="tools/db-profile"):
        pulumi_mocks.run(server({**HTTP, "permissionProfile": PROFILE_REF}))


def test_bad_config_map_content_is_a_clear_error(pulumi_mocks: PulumiHarness) -> None:
    cluster = {("tools", "db-profile"): {"permissions.json": '{"write": ["tmp"]}'}}
    with pytest.raises(ConfigReferenceError, match=r"spec\.permissionProfile\.configMap"):
        pulumi_mocks.run(server({**HTTP, "permissionProfile": PROFILE_REF}), cluster=cluster)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.data())
def test_every_invalid_spec_registers_nothing(pulumi_mocks: PulumiHarness,
                                              data: st.DataObject) -> None:
    spec = data.draw(valid_specs())
    mutation = data.draw(mutations(spec.get("type", "Hosted") == "Hosted"))
    errors: list[SpecValidationError] = []

    def program() -> None:
        try:
            MCPServer("demo", {"spec": mutation(spec)})
        except SpecValidationError as error:
            errors.append(error)

    recording = pulumi_mocks.run(program)
    (error,) = errors
    assert mutation.path in error.paths
    assert [r.type for r in recording.resources] == ["pulumi:pulumi:Stack"]


# --- warnings ----------------------------------------------------------------------------------


def test_replicas_ignored_for_defaulted_stdio(pulumi_mocks: PulumiHarness) -> None:
    recording = pulumi_mocks.run(server({"image": IMAGE, "replicas": 3}))
    assert any("spec.replicas 3 is ignored" in w for w in recording.warnings)
    statefulset = next(o for o in recording.kubernetes_objects() if o["kind"] == "StatefulSet")
    assert statefulset["spec"]["replicas"] == 1


def test_host_names_warn_without_cilium_only(pulumi_mocks: PulumiHarness) -> None:
    spec = {**HTTP, "permissionProfile": {"type": "inline", "inline": PROFILE}}
    plain = pulumi_mocks.run(server(spec))
    cilium = pulumi_mocks.run(server(spec, network_enforcement="cilium"))
    assert [w for w in plain.warnings if "db.example.com" in w]
    assert not [w for w in cilium.warnings if "db.example.com" in w]
