"""Every example, and the demo project at the repository root, rendered offline and held
to the invariants of ``invariants.py``; each example's Python program and OME YAML
manifest render the same objects; each example is a complete Pulumi project.

Each stack is rendered once per session (``renders``) and shared by the tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from invariants import (
    Stack,
    cilium_schema_available,
    egress_problems,
    metadata_problems,
    network_isolation_problems,
    object_keys,
    pod_security_problems,
    rbac_problems,
    schema_problems,
    secret_problems,
    security_default_problems,
    topology_problems,
    unresolved_profiles,
)

from ome_mcp_components.offline.engine import load_paths, load_program_dir, run_program

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
#: The OEP's user stories and deployment patterns, each an example.
OEP_EXAMPLES = [
    "story-1-database-access",
    "story-2-infrastructure-tools",
    "story-3-centralized-services",
    "pattern-1-departmental",
    "pattern-2-shared-infrastructure",
    "pattern-3-external-service",
    "pattern-4-development",
]
#: Realistic specs beyond the OEP.
OTHER_EXAMPLES = ["stdio-with-secrets", "sse-with-pod-template", "remote-without-auth",
                  "secure-http"]
ALL_EXAMPLES = OEP_EXAMPLES + OTHER_EXAMPLES


def _stdio(ns: str, n: str) -> set[str]:
    """A hosted stdio server with its own ServiceAccount and one replica."""
    return {f"ServiceAccount {ns}/{n}", f"ServiceAccount {ns}/{n}-gateway",
            f"ConfigMap {ns}/{n}-gateway", f"Role {ns}/{n}-gateway",
            f"RoleBinding {ns}/{n}-gateway", f"StatefulSet {ns}/{n}",
            f"Deployment {ns}/{n}-gateway", f"Service {ns}/{n}",
            f"NetworkPolicy {ns}/{n}-server", f"NetworkPolicy {ns}/{n}-gateway"}


def _http(ns: str, n: str) -> set[str]:
    """A hosted HTTP server with its own ServiceAccount and one replica."""
    return {f"ServiceAccount {ns}/{n}", f"ServiceAccount {ns}/{n}-gateway",
            f"ConfigMap {ns}/{n}-gateway", f"Deployment {ns}/{n}",
            f"Deployment {ns}/{n}-gateway", f"Service {ns}/{n}-backend", f"Service {ns}/{n}",
            f"NetworkPolicy {ns}/{n}-server", f"NetworkPolicy {ns}/{n}-gateway"}


def _pdbs(ns: str, n: str) -> set[str]:
    return {f"PodDisruptionBudget {ns}/{n}", f"PodDisruptionBudget {ns}/{n}-gateway"}


#: The objects of each example (design.md §3), written out by hand.
EXPECTED_OBJECTS: dict[str, set[str]] = {
    "story-1-database-access": _http("data-science", "postgres-mcp"),
    "story-2-infrastructure-tools": _http("devops", "infra-tools-mcp") | {
        "ConfigMap devops/infra-permissions",
        "CiliumNetworkPolicy devops/infra-tools-mcp-server-fqdn"},
    "story-3-centralized-services": _http("ome-mcp-system", "shared-tools-mcp")
    | _pdbs("ome-mcp-system", "shared-tools-mcp")
    | {"ConfigMap ome-mcp-system/shared-tools-mcp-authz"},
    "pattern-1-departmental": _stdio("data-science", "data-science-tools"),
    "pattern-2-shared-infrastructure": _stdio("ome-mcp-system", "infrastructure-tools")
    | {"ConfigMap ome-mcp-system/infra-authz-policy"},
    "pattern-3-external-service": {
        "ServiceAccount sales/external-crm-api-gateway", "ConfigMap sales/external-crm-api-gateway",
        "Deployment sales/external-crm-api-gateway", "Service sales/external-crm-api",
        "NetworkPolicy sales/external-crm-api-gateway"},
    "pattern-4-development": _http("development", "dev-tools"),
    "stdio-with-secrets": _stdio("dev-tools", "github-mcp") | {
        "CiliumNetworkPolicy dev-tools/github-mcp-server-fqdn",
        "CiliumNetworkPolicy dev-tools/github-mcp-gateway-fqdn"},
    # spec.serviceAccount names an existing ServiceAccount: none is created for the server
    "sse-with-pod-template": (_http("research", "web-search")
                              - {"ServiceAccount research/web-search"})
    | _pdbs("research", "web-search") | {"ConfigMap research/web-search-config"},
    "remote-without-auth": set(),
    "secure-http": _http("analytics", "analytics-mcp") | _pdbs("analytics", "analytics-mcp")
    | {"ConfigMap analytics/analytics-mcp-authz", "ConfigMap analytics/analytics-db-only"},
}

#: The URL each example exports.
EXPECTED_URLS = {
    "story-1-database-access": "http://postgres-mcp.data-science.svc.cluster.local:8080/mcp",
    "story-2-infrastructure-tools": "http://infra-tools-mcp.devops.svc.cluster.local:8080/mcp",
    "story-3-centralized-services":
        "http://shared-tools-mcp.ome-mcp-system.svc.cluster.local:8080/mcp",
    "pattern-1-departmental":
        "http://data-science-tools.data-science.svc.cluster.local:8080/mcp",
    "pattern-2-shared-infrastructure":
        "http://infrastructure-tools.ome-mcp-system.svc.cluster.local:8080/mcp",
    "pattern-3-external-service": "http://external-crm-api.sales.svc.cluster.local:8080/mcp",
    "pattern-4-development": "http://dev-tools.development.svc.cluster.local:8080/mcp",
    "stdio-with-secrets": "http://github-mcp.dev-tools.svc.cluster.local:8080/mcp",
    "sse-with-pod-template": "http://web-search.research.svc.cluster.local:8080/sse",
    "remote-without-auth": "https://docs-mcp.example.com/mcp",
    "secure-http": "http://analytics-mcp.analytics.svc.cluster.local:8080/mcp",
}

#: The demo project at the repository root, with each network enforcement.
DEMO = {"demo": {}, "demo, cilium": {"networkEnforcement": "cilium"}}

RENDER_IDS = [f"{name}, {form}" for name in ALL_EXAMPLES for form in ("python", "yaml")] \
    + list(DEMO)


class Renders:
    """Renders stacks on first use and keeps them for the session."""

    def __init__(self) -> None:
        self._stacks: dict[str, Stack] = {}

    def __getitem__(self, render_id: str) -> Stack:
        if render_id not in self._stacks:
            self._stacks[render_id] = Stack(_render(render_id))
        return self._stacks[render_id]


def _render(render_id: str) -> Any:
    if render_id in DEMO:
        return run_program(load_program_dir(ROOT), config=DEMO[render_id])
    name, form = render_id.rsplit(", ", 1)
    if form == "python":
        return run_program(load_program_dir(EXAMPLES / name))
    return run_program(load_paths([EXAMPLES / name / "manifest.yaml"]))


@pytest.fixture(scope="session")
def renders() -> Renders:
    """Every rendered stack of this module, rendered once."""
    return Renders()


@pytest.fixture(params=RENDER_IDS)
def stack(request: pytest.FixtureRequest, renders: Renders) -> Stack:
    """One rendered stack (an example's program or manifest, or the demo)."""
    render_id: str = request.param
    return renders[render_id]


def _objects(stack: Stack) -> Iterator[dict[str, Any]]:
    yield from stack.objects


def _all(check: Callable[[dict[str, Any]], list[str]], stack: Stack) -> list[str]:
    return [problem for obj in _objects(stack) for problem in check(obj)]


# --------------------------------------------------------------------------- invariants


def test_every_object_is_valid_against_its_schema(stack: Stack) -> None:
    if not cilium_schema_available() and any(
            str(o["apiVersion"]).startswith("cilium.io/") for o in stack.objects):
        pytest.skip("no Cilium schema under tests/schemas to check CiliumNetworkPolicies")

    assert _all(schema_problems, stack) == []


def test_every_pod_meets_the_restricted_pod_security_standard(stack: Stack) -> None:
    assert _all(pod_security_problems, stack) == []


def test_every_pod_has_the_security_defaults(stack: Stack) -> None:
    assert _all(security_default_problems, stack) == []


def test_no_rbac_wildcards_or_cluster_rights(stack: Stack) -> None:
    assert _all(rbac_problems, stack) == []


def test_every_pod_is_isolated_by_network_policies(stack: Stack) -> None:
    assert network_isolation_problems(stack.objects) == []


def test_no_policy_reaches_the_cloud_metadata_address(stack: Stack) -> None:
    assert _all(metadata_problems, stack) == []


def test_egress_is_what_the_permission_profile_allows(stack: Stack) -> None:
    assert egress_problems(stack) == []


def test_no_secret_value_anywhere(stack: Stack) -> None:
    assert secret_problems(stack) == []


def test_topology_follows_each_component(stack: Stack) -> None:
    assert topology_problems(stack) == []


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize("form", ["python", "yaml"])
@pytest.mark.parametrize("example", ALL_EXAMPLES)
def test_example_renders_its_objects(renders: Renders, example: str, form: str) -> None:
    assert object_keys(renders[f"{example}, {form}"]) == EXPECTED_OBJECTS[example]


@pytest.mark.parametrize("example", ALL_EXAMPLES)
def test_python_and_yaml_render_the_same_stack(renders: Renders, example: str) -> None:
    python, manifest = renders[f"{example}, python"], renders[f"{example}, yaml"]

    assert _sorted(python.objects) == _sorted(manifest.objects)
    assert _sorted([(c.type, c.inputs) for c in python.components]) == \
        _sorted([(c.type, c.inputs) for c in manifest.components])


def _sorted(values: list[Any]) -> list[str]:
    return sorted(json.dumps(v, sort_keys=True) for v in values)


@pytest.mark.parametrize("example", ALL_EXAMPLES)
def test_example_exports_its_url(renders: Renders, example: str) -> None:
    assert renders[f"{example}, python"].recording.outputs["url"] == EXPECTED_URLS[example]


@pytest.mark.parametrize("example", ALL_EXAMPLES)
def test_example_exports_its_status(renders: Renders, example: str) -> None:
    """Offline nothing reports a status: a hosted server is Pending, a Remote one without
    gateway Running (it deploys nothing)."""
    status = renders[f"{example}, python"].recording.outputs["status"]

    assert status["url"] == EXPECTED_URLS[example]
    assert status["phase"] == ("Running" if example == "remote-without-auth" else "Pending")
    assert {c["type"] for c in status["conditions"]} >= {"Ready"}


@pytest.mark.parametrize("example", ALL_EXAMPLES)
def test_example_is_a_pulumi_python_project(example: str) -> None:
    directory = EXAMPLES / example
    project = yaml.safe_load((directory / "Pulumi.yaml").read_text())
    requirements = (directory / "requirements.txt").read_text().splitlines()

    assert project["name"] == example
    assert project["runtime"]["name"] == "python"
    assert len(project["description"]) > 40
    assert "-e ../.." in requirements
    assert "from ome_mcp_components import" in (directory / "__main__.py").read_text()


@pytest.mark.parametrize("example", OEP_EXAMPLES)
def test_oep_manifest_notes_the_inference_service_it_skips(
    renders: Renders, example: str
) -> None:
    documents = list(yaml.safe_load_all((EXAMPLES / example / "manifest.yaml").read_text()))
    services = [d["metadata"]["name"] for d in documents if d and d["kind"] == "InferenceService"]
    notes = [w for w in renders[f"{example}, yaml"].recording.warnings
             if w.startswith("info:") and "is not an MCP resource; skipped" in w]

    assert len(services) == 1
    assert len(notes) == 1
    assert f"InferenceService '{services[0]}'" in notes[0]


def test_host_names_are_enforced_where_cilium_is_on(renders: Renders) -> None:
    # story 2 and stdio-with-secrets allow host names and run with Cilium: no warning
    # that names cannot be enforced
    for example in ("story-2-infrastructure-tools", "stdio-with-secrets"):
        warnings = renders[f"{example}, python"].recording.warnings
        assert not [w for w in warnings if "cannot enforce" in w], example


def test_the_examples_are_all_here() -> None:
    found = sorted(p.name for p in EXAMPLES.iterdir() if (p / "Pulumi.yaml").is_file())

    assert found == sorted(ALL_EXAMPLES)


def test_dev_py_default_example_exists() -> None:
    text = (ROOT / "dev.py").read_text()

    assert 'DEFAULT_EXAMPLE = "examples/story-1-database-access"' in text
    assert (ROOT / "examples" / "story-1-database-access" / "__main__.py").is_file()


# --------------------------------------------------------------------------- demo project


def test_demo_project_is_the_repository_root() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())

    assert project["runtime"]["name"] == "python"
    assert "-e ." in (ROOT / "requirements.txt").read_text().splitlines()


def test_demo_renders_its_servers(renders: Renders) -> None:
    stack = renders["demo"]
    ns = "mcp-demo"

    assert object_keys(stack) == (
        {f"ConfigMap {ns}/docs-egress", f"ConfigMap {ns}/docs-search-authz"}
        | _http(ns, "docs-search") | _pdbs(ns, "docs-search") | _stdio(ns, "scratch-sqlite")
        | {f"ServiceAccount {ns}/vendor-crm-gateway", f"ConfigMap {ns}/vendor-crm-gateway",
           f"Deployment {ns}/vendor-crm-gateway", f"Service {ns}/vendor-crm",
           f"NetworkPolicy {ns}/vendor-crm-gateway"})
    outputs = stack.recording.outputs
    urls = {key: value for key, value in outputs.items() if key.endswith("_url")}
    assert urls == {
        "docs_search_url": f"http://docs-search.{ns}.svc.cluster.local:8080/mcp",
        "scratch_sqlite_url": f"http://scratch-sqlite.{ns}.svc.cluster.local:8080/mcp",
        "vendor_crm_url": f"http://vendor-crm.{ns}.svc.cluster.local:8080/mcp",
    }
    for server in ("docs_search", "scratch_sqlite", "vendor_crm"):
        assert outputs[f"{server}_status"]["url"] == urls[f"{server}_url"]
        assert outputs[f"{server}_status"]["phase"] == "Pending"


def test_demo_with_cilium_adds_only_cilium_policies(renders: Renders) -> None:
    plain, cilium = object_keys(renders["demo"]), object_keys(renders["demo, cilium"])

    assert plain < cilium
    assert {k.split(" ")[0] for k in cilium - plain} == {"CiliumNetworkPolicy"}


# --------------------------------------------------------------------------- the checkers
# Each invariant above is only as good as its checker: each breach below must be found.


def _good_pod() -> dict[str, Any]:
    """A pod meeting every check (what the components render, in short)."""
    secure = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
              "readOnlyRootFilesystem": True, "runAsNonRoot": True}
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65532,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "mcp", "image": "i:1", "securityContext": dict(secure),
                            "resources": {"requests": {"cpu": "1", "memory": "1Mi"},
                                          "limits": {"cpu": "1", "memory": "1Mi"}}}],
            "volumes": [{"name": "tmp", "emptyDir": {}}],
        },
    }


def _pod_with(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    pod = _good_pod()
    change(pod["spec"])
    return pod


def _container(spec: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = spec["containers"][0]
    return container


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change setting ``path`` (dotted, ``c.`` for the first container) to ``value``."""
    def change(spec: dict[str, Any]) -> None:
        parts = path.split(".")
        target = _container(spec) if parts[0] == "c" else spec
        for part in parts[1 if parts[0] == "c" else 0:-1]:
            target = target.setdefault(part, {})
        if value is None:
            target.pop(parts[-1], None)
        else:
            target[parts[-1]] = value
    return change


PSS_BREACHES = [
    pytest.param(_set("hostNetwork", True), "[Host Namespaces]", id="hostNetwork"),
    pytest.param(_set("hostPID", True), "[Host Namespaces]", id="hostPID"),
    pytest.param(_set("securityContext.windowsOptions.hostProcess", True), "[HostProcess]",
                 id="hostProcess"),
    pytest.param(_set("c.securityContext.privileged", True), "[Privileged Containers]",
                 id="privileged"),
    pytest.param(_set("c.securityContext.capabilities.add", ["SYS_ADMIN"]), "[Capabilities]",
                 id="adds SYS_ADMIN"),
    pytest.param(_set("c.securityContext.capabilities.add", ["CHOWN"]), "[Capabilities]",
                 id="adds CHOWN (baseline allows, restricted does not)"),
    pytest.param(_set("c.securityContext.capabilities.drop", ["NET_RAW"]), "[Capabilities]",
                 id="does not drop ALL"),
    pytest.param(_set("volumes", [{"name": "h", "hostPath": {"path": "/"}}]),
                 "[HostPath Volumes]", id="hostPath"),
    pytest.param(_set("volumes", [{"name": "n", "nfs": {"server": "s", "path": "/"}}]),
                 "[Volume Types]", id="nfs volume"),
    pytest.param(_set("c.ports", [{"containerPort": 80, "hostPort": 80}]), "[Host Ports]",
                 id="hostPort"),
    pytest.param(_set("c.securityContext.appArmorProfile", {"type": "Unconfined"}),
                 "[AppArmor]", id="AppArmor unconfined"),
    pytest.param(_set("securityContext.seLinuxOptions", {"type": "spc_t"}), "[SELinux]",
                 id="SELinux spc_t"),
    pytest.param(_set("c.securityContext.seLinuxOptions", {"user": "root"}), "[SELinux]",
                 id="SELinux user"),
    pytest.param(_set("c.securityContext.procMount", "Unmasked"), "[/proc Mount Type]",
                 id="procMount Unmasked"),
    pytest.param(_set("c.livenessProbe", {"httpGet": {"port": 80, "host": "10.0.0.1"}}),
                 "[Host Probes / Lifecycle Hooks]", id="probe with a host (1.34+)"),
    pytest.param(_set("c.lifecycle", {"postStart": {"tcpSocket": {"port": 80, "host": "n"}}}),
                 "[Host Probes / Lifecycle Hooks]", id="lifecycle hook with a host (1.34+)"),
    pytest.param(_set("c.securityContext.seccompProfile", {"type": "Unconfined"}), "[Seccomp]",
                 id="container seccomp Unconfined"),
    pytest.param(_set("securityContext.seccompProfile", None), "[Seccomp]",
                 id="no seccomp profile anywhere"),
    pytest.param(_set("securityContext.sysctls", [{"name": "kernel.msgmax", "value": "1"}]),
                 "[Sysctls]", id="unsafe sysctl"),
    pytest.param(_set("c.securityContext.allowPrivilegeEscalation", None),
                 "[Privilege Escalation]", id="allowPrivilegeEscalation unset"),
    pytest.param(_set("c.securityContext.runAsNonRoot", False), "[Running as Non-root]",
                 id="container runAsNonRoot false"),
    pytest.param(lambda s: (_set("securityContext.runAsNonRoot", None)(s),
                            _set("c.securityContext.runAsNonRoot", None)(s)),
                 "[Running as Non-root]", id="runAsNonRoot nowhere"),
    pytest.param(_set("c.securityContext.runAsUser", 0), "[Running as Non-root user]",
                 id="runAsUser 0"),
    pytest.param(lambda s: s.setdefault("initContainers", []).append(
        {"name": "init", "image": "i:1", "securityContext": {"privileged": True}}),
        "[Privileged Containers]", id="privileged init container"),
]


def test_the_pod_security_checker_passes_a_restricted_pod() -> None:
    assert pod_security_problems(_good_pod()) == []
    assert security_default_problems(_good_pod()) == []


@pytest.mark.parametrize(("change", "control"), PSS_BREACHES)
def test_the_pod_security_checker_finds_each_breach(
    change: Callable[[dict[str, Any]], object], control: str
) -> None:
    problems = pod_security_problems(_pod_with(change))

    assert any(p.startswith(f"Pod ns/p: {control}") for p in problems), problems


def test_the_pod_security_checker_applies_the_windows_exemptions() -> None:
    pod = _pod_with(lambda s: (s.update(os={"name": "windows"}),
                               _set("c.securityContext.capabilities", None)(s)))

    assert pod_security_problems(pod) == []


@pytest.mark.parametrize(("change", "problem"), [
    pytest.param(_set("c.securityContext.readOnlyRootFilesystem", False),
                 "readOnlyRootFilesystem", id="writable root"),
    pytest.param(_set("c.resources.limits", None), "no limits", id="no limits"),
    pytest.param(_set("automountServiceAccountToken", None), "automount", id="token mounted"),
])
def test_the_security_defaults_checker_finds_each_breach(
    change: Callable[[dict[str, Any]], None], problem: str
) -> None:
    assert problem in " ".join(security_default_problems(_pod_with(change)))


@pytest.mark.parametrize("obj", [
    pytest.param({"kind": "Role", "metadata": {"name": "r"}, "rules": [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]}, id="verbs *"),
    pytest.param({"kind": "Role", "metadata": {"name": "r"}, "rules": [
        {"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}]}, id="resources *"),
    pytest.param({"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": []},
                 id="ClusterRole"),
    pytest.param({"kind": "RoleBinding", "metadata": {"name": "b"},
                  "roleRef": {"kind": "ClusterRole", "name": "admin"}}, id="binds admin"),
])
def test_the_rbac_checker_finds_each_breach(obj: dict[str, Any]) -> None:
    assert rbac_problems(obj) != []


def _egress_policy(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "NetworkPolicy", "metadata": {"name": "x", "namespace": "ns"},
            "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": list(rules)}}


@pytest.mark.parametrize(("obj", "reaches"), [
    pytest.param(_egress_policy({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}), True,
                 id="0.0.0.0/0 without except"),
    pytest.param(_egress_policy({"ports": [{"port": 80}]}), True, id="rule without peers"),
    pytest.param(_egress_policy({"to": [{"ipBlock": {"cidr": "169.254.0.0/16"}}]}), True,
                 id="link-local range"),
    pytest.param(_egress_policy({"to": [{"ipBlock": {"cidr": "0.0.0.0/0",
                                                     "except": ["169.254.169.254/32"]}},
                                        {"ipBlock": {"cidr": "::/0",
                                                     "except": ["fd00:ec2::254/128"]}}]}),
                 False, id="everything but the metadata address"),
    pytest.param({"kind": "CiliumNetworkPolicy", "metadata": {"name": "c"}, "spec": {
        "egress": [{"toFQDNs": [{"matchPattern": "*"}]}]}}, True,
        id="toFQDNs without egressDeny"),
    pytest.param({"kind": "CiliumNetworkPolicy", "metadata": {"name": "c"}, "spec": {
        "egress": [{"toFQDNs": [{"matchPattern": "*"}]}],
        "egressDeny": [{"toCIDR": ["169.254.169.254/32", "fd00:ec2::254/128"]}]}}, False,
        id="toFQDNs with egressDeny"),
])
def test_the_metadata_checker(obj: dict[str, Any], reaches: bool) -> None:
    assert bool(metadata_problems(obj)) is reaches


def test_the_isolation_checker_finds_an_unselected_pod() -> None:
    pod = _good_pod()
    pod["metadata"]["labels"] = {"app": "other"}
    selective = _egress_policy()
    selective["spec"]["podSelector"] = {"matchLabels": {"app": "mine"}}

    assert len(network_isolation_problems([pod, selective])) == 2


def _mutated(stack: Stack, change: Callable[[list[Any]], None]) -> Stack:
    """``stack`` with its recorded resources changed (a deep copy)."""
    from copy import deepcopy

    recording = deepcopy(stack.recording)
    change(recording.resources)
    return Stack(recording)


def _edit_object(kind_and_name: str, edit: Callable[[dict[str, Any]], None]
                 ) -> Callable[[list[Any]], None]:
    def change(resources: list[Any]) -> None:
        for resource in resources:
            if resource.is_kubernetes_object and \
                    f"{resource.inputs['kind']} {resource.inputs['metadata']['name']}" \
                    == kind_and_name:
                edit(resource.inputs)
                return
        raise AssertionError(f"{kind_and_name} not rendered")
    return change


def test_the_egress_checker_finds_egress_beyond_the_profile(renders: Renders) -> None:
    # pattern 4 runs with builtin none: not even DNS
    stack = renders["pattern-4-development, python"]
    opened = _mutated(stack, _edit_object("NetworkPolicy dev-tools-server", lambda o: o[
        "spec"].update(egress=[{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}])))
    # secure-http allows 10.40.0.0/16, 10.41.8.0/24 and 10.42.3.17 on 5432 and 6379
    secure = renders["secure-http, python"]
    widened = _mutated(secure, _edit_object("NetworkPolicy analytics-mcp-server", lambda o: o[
        "spec"]["egress"].append({"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
                                  "ports": [{"port": 5432}]})))
    any_port = _mutated(secure, _edit_object("NetworkPolicy analytics-mcp-server", lambda o: o[
        "spec"]["egress"].append({"to": [{"ipBlock": {"cidr": "10.40.0.0/16"}}]})))

    assert egress_problems(stack) == []
    assert "grants no network" in " ".join(egress_problems(opened))
    assert "admits 10.0.0.0/8" in " ".join(egress_problems(widened))
    assert "admits ports all" in " ".join(egress_problems(any_port))


def test_the_secret_checker_finds_values(renders: Renders) -> None:
    stack = renders["story-1-database-access, python"]
    leaked = _mutated(stack, _edit_object("ConfigMap postgres-mcp-gateway", lambda o: o[
        "data"].update(extra="postgres://app:hunter2@db:5432/app")))
    literal = _mutated(stack, _edit_object("Deployment postgres-mcp", lambda o: o[
        "spec"]["template"]["spec"]["containers"][0].update(
            env=[{"name": "DATABASE_URL", "value": "postgres://db/app"}])))

    assert secret_problems(stack) == []
    assert "URL with a password" in " ".join(secret_problems(leaked))
    problems = " ".join(secret_problems(literal))
    assert "DATABASE_URL is a literal value" in problems
    assert "does not reach container mcp" in problems


def test_the_topology_checker_finds_missing_and_extra_objects(renders: Renders) -> None:
    stack = renders["story-1-database-access, python"]
    renamed = _mutated(stack, _edit_object("Service postgres-mcp-backend", lambda o: o[
        "metadata"].update(name="postgres-mcp-internal")))

    assert topology_problems(stack) == []
    assert sorted(topology_problems(renamed)) == [
        "postgres-mcp: Service data-science/postgres-mcp-backend is missing",
        "postgres-mcp: Service data-science/postgres-mcp-internal is not one of its objects",
    ]


def test_the_schema_checker_is_strict() -> None:
    wrong_type, unknown_field = _good_pod(), _good_pod()
    wrong_type["spec"]["containers"][0]["imagePullPolicy"] = 1
    unknown_field["spec"]["unknownField"] = True

    assert schema_problems(_good_pod()) == []
    assert schema_problems(wrong_type) == [
        "Pod ns/p: spec.containers.0.imagePullPolicy: 1 is not of type 'string', 'null'"]
    assert schema_problems(unknown_field) == [
        "Pod ns/p: spec: Additional properties are not allowed ('unknownField' was unexpected)"]


def test_every_servers_profile_is_in_the_stack(stack: Stack) -> None:
    # so that the egress invariant judged every server against its profile
    assert unresolved_profiles(stack) == []
