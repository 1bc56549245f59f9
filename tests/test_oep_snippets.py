"""Every YAML snippet of the OEP (copied into ``tests/data/oep``, see its README) renders
into a stack that holds every invariant of ``invariants.py``.

Complete snippets (the user stories and deployment patterns) load as manifests, as
written; ``spec:`` fragments (transports, OIDC, authorization, permission profiles) are
merged into a minimal MCPServer ``oep-<snippet>`` in namespace ``default``, beside the
ConfigMaps they carry. Pattern 2 refers to a ConfigMap the OEP does not define: the
offline cluster holds it (the policies of ``examples/pattern-2-shared-infrastructure``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from invariants import STACK_CHECKS, Stack, cilium_schema_available, key

from ome_mcp_components.offline.engine import load_paths, run_program

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DATA = TESTS / "data" / "oep"
EXAMPLES = ROOT / "examples"
#: The OEP itself, copied into the repository (from ``shared/reference/``, the team's copy)
#: so that every clone checks the snippets against it.
OEP = DATA / "oep-0005-mcp-support.md"

COMPLETE = [
    "story-1-database-access",
    "story-2-infrastructure-tools",
    "story-3-centralized-services",
    "pattern-1-departmental",
    "pattern-2-shared-infrastructure",
    "pattern-3-external-service",
    "pattern-4-development",
]
FRAGMENTS = [
    "transport-stdio",
    "transport-streamable-http",
    "transport-sse",
    "oidc-kubernetes",
    "oidc-configmap",
    "oidc-inline",
    "authz-inline",
    "profile-builtin-none",
    "profile-builtin-network",
    "profile-configmap",
    "profile-inline",
]
SNIPPETS = COMPLETE + FRAGMENTS
#: The image of the minimal server a fragment is merged into (a Hosted server needs one).
FRAGMENT_BASE_SPEC = {"image": "mcp/oep-snippet:1.0.0"}

def verbatim(snippet: str) -> str:
    """The OEP's text of a snippet file: everything after its ``#:`` header."""
    lines = (DATA / f"{snippet}.yaml").read_text().splitlines(keepends=True)
    return "".join(line for index, line in enumerate(lines)
                   if not (line.startswith("#:") and all(
                       previous.startswith("#:") for previous in lines[:index])))


def manifest_for(snippet: str, directory: Path) -> Path:
    """A manifest file for the snippet: a complete one as it is, a fragment merged into
    the minimal server (the documents it carries beside it kept)."""
    source = DATA / f"{snippet}.yaml"
    if snippet in COMPLETE:
        return source
    documents: list[Any] = []
    for document in yaml.safe_load_all(verbatim(snippet)):
        if isinstance(document, dict) and "kind" not in document:
            document = {"apiVersion": "ome.io/v1beta1", "kind": "MCPServer",
                        "metadata": {"name": f"oep-{snippet}"},
                        "spec": {**FRAGMENT_BASE_SPEC, **(document.get("spec") or {})}}
        documents.append(document)
    path = directory / f"{snippet}.yaml"
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return path


def _pattern_2_policies() -> dict[str, str]:
    """The data of the ConfigMap ``infra-authz-policy``, from the pattern 2 example."""
    documents = yaml.safe_load_all((EXAMPLES / "pattern-2-shared-infrastructure" /
                                    "manifest.yaml").read_text())
    found = [d for d in documents if d and d["kind"] == "ConfigMap"]
    data: dict[str, str] = found[0]["data"]
    return data


class Renders:
    """Renders each snippet (and the example manifests compared with them) once."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._stacks: dict[str, Stack] = {}

    def snippet(self, snippet: str) -> Stack:
        """The rendered stack of an OEP snippet."""
        if snippet not in self._stacks:
            cluster = {("ome-mcp-system", "infra-authz-policy"): _pattern_2_policies()}
            program = load_paths([manifest_for(snippet, self._directory)])
            self._stacks[snippet] = Stack(run_program(program, cluster_config_maps=cluster))
        return self._stacks[snippet]

    def example(self, example: str) -> Stack:
        """The rendered stack of an example's ``manifest.yaml``."""
        render_id = f"example {example}"
        if render_id not in self._stacks:
            program = load_paths([EXAMPLES / example / "manifest.yaml"])
            self._stacks[render_id] = Stack(run_program(program))
        return self._stacks[render_id]


@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Renders:
    """The snippets' stacks, rendered once per session."""
    return Renders(tmp_path_factory.mktemp("oep-snippets"))


@pytest.mark.parametrize("check", list(STACK_CHECKS), ids=list(STACK_CHECKS))
@pytest.mark.parametrize("snippet", SNIPPETS)
def test_snippet_holds_every_invariant(renders: Renders, snippet: str, check: str) -> None:
    stack = renders.snippet(snippet)
    if not cilium_schema_available() and any(
            str(o["apiVersion"]).startswith("cilium.io/") for o in stack.objects):
        pytest.skip("no Cilium schema under tests/schemas to check CiliumNetworkPolicies")

    assert stack.objects, "the snippet renders no Kubernetes object"
    assert STACK_CHECKS[check](stack) == []


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_snippet_copy_is_verbatim(snippet: str) -> None:
    assert verbatim(snippet) in OEP.read_text()


@pytest.mark.parametrize("example", COMPLETE)
def test_example_manifest_holds_the_oep_text(example: str) -> None:
    text = (EXAMPLES / example / "manifest.yaml").read_text()
    # story 2's example adds one annotation (Cilium, for the profile's host names)
    text = text.replace("  annotations:\n    ome.io/network-enforcement: cilium\n", "")

    assert verbatim(example) in text


@pytest.mark.parametrize("example", [
    "story-1-database-access", "story-3-centralized-services", "pattern-1-departmental",
    "pattern-3-external-service", "pattern-4-development"])
def test_example_manifest_renders_as_the_oep(renders: Renders, example: str) -> None:
    assert renders.snippet(example).objects == renders.example(example).objects


def test_story_2_as_written_cannot_enforce_its_host_names(renders: Renders) -> None:
    oep, example = renders.snippet("story-2-infrastructure-tools"), \
        renders.example("story-2-infrastructure-tools")
    warnings = [w for w in oep.recording.warnings if "cannot enforce" in w]

    assert [key(o) for o in example.objects if key(o) not in map(key, oep.objects)] == [
        "CiliumNetworkPolicy devops/infra-tools-mcp-server-fqdn"]
    assert len(warnings) == 1
    assert "*.ocicloud.com, kubernetes.default.svc" in warnings[0]


def test_pattern_2_reads_its_policies_from_the_cluster(renders: Renders) -> None:
    oep, example = renders.snippet("pattern-2-shared-infrastructure"), \
        renders.example("pattern-2-shared-infrastructure")
    reads = [r.inputs["metadata"] for r in oep.recording.resources if r.read]

    assert reads == [{"name": "infra-authz-policy", "namespace": "ome-mcp-system"}]
    assert oep.objects == [o for o in example.objects
                           if key(o) != "ConfigMap ome-mcp-system/infra-authz-policy"]


def _object(stack: Stack, wanted: str) -> dict[str, Any]:
    found = [o for o in stack.objects if key(o) == wanted]
    assert len(found) == 1, f"{wanted} not rendered: {sorted(map(key, stack.objects))}"
    return found[0]


def _run_config(stack: Stack, server: str) -> dict[str, Any]:
    config_map = _object(stack, f"ConfigMap default/{server}-gateway")
    config: dict[str, Any] = json.loads(config_map["data"]["runconfig.json"])
    return config


def test_stdio_transport(renders: Renders) -> None:
    stack = renders.snippet("transport-stdio")
    workload = _object(stack, "StatefulSet default/oep-transport-stdio")

    assert workload["spec"]["replicas"] == 1
    assert workload["spec"]["template"]["spec"]["containers"][0]["stdin"] is True


@pytest.mark.parametrize(("snippet", "transport", "replicas"), [
    pytest.param("transport-streamable-http", "streamable-http", 3, id="streamable-http"),
    pytest.param("transport-sse", "sse", 2, id="sse"),
])
def test_http_transports_scale(renders: Renders, snippet: str, transport: str,
                               replicas: int) -> None:
    stack = renders.snippet(snippet)
    name = f"oep-{snippet}"

    assert _object(stack, f"Deployment default/{name}")["spec"]["replicas"] == replicas
    assert _object(stack, f"Deployment default/{name}-gateway")["spec"]["replicas"] == replicas
    assert _object(stack, f"Service default/{name}")["spec"]["ports"][0]["port"] == 8080
    assert _run_config(stack, name)["transport"] == transport
    _object(stack, f"PodDisruptionBudget default/{name}")


@pytest.mark.parametrize(("snippet", "issuer", "audience"), [
    pytest.param("oidc-configmap", "https://auth.company.com", "mcp-services", id="configMap"),
    pytest.param("oidc-inline", "https://auth.company.com", "mcp-services", id="inline"),
])
def test_oidc_reaches_the_gateway(renders: Renders, snippet: str, issuer: str,
                                  audience: str) -> None:
    oidc = _run_config(renders.snippet(snippet), f"oep-{snippet}")["oidc_config"]

    assert (oidc["Issuer"], oidc["Audience"]) == (issuer, audience)


def test_oidc_configmap_is_created_beside_the_server(renders: Renders) -> None:
    stack = renders.snippet("oidc-configmap")

    assert not [r for r in stack.recording.resources if r.read]
    _object(stack, "ConfigMap default/my-oidc-config")


def test_inline_authz_policies_are_rendered_and_judged(renders: Renders) -> None:
    stack = renders.snippet("authz-inline")

    _object(stack, "ConfigMap default/oep-authz-inline-authz")
    assert any("policy 0 (permit) can never match an MCP request" in w
               for w in stack.recording.warnings)


def _server_egress(stack: Stack, server: str) -> list[Any]:
    policy = _object(stack, f"NetworkPolicy default/{server}-server")
    egress: list[Any] = policy["spec"].get("egress", [])
    return egress


def test_builtin_none_allows_no_egress(renders: Renders) -> None:
    assert _server_egress(renders.snippet("profile-builtin-none"), "oep-profile-builtin-none") \
        == []


def test_builtin_network_allows_all_but_the_metadata_address(renders: Renders) -> None:
    egress = _server_egress(renders.snippet("profile-builtin-network"),
                            "oep-profile-builtin-network")
    blocks = [peer["ipBlock"] for rule in egress for peer in rule.get("to", [])
              if "ipBlock" in peer]

    assert {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]} in blocks


@pytest.mark.parametrize(("snippet", "writable", "hosts"), [
    pytest.param("profile-configmap", ["/tmp", "/var/output"],
                 "api.service.com, database.internal, *.trusted-domain.com", id="configMap"),
    pytest.param("profile-inline", ["/tmp"], "trusted-api.company.com", id="inline"),
])
def test_profile_paths_and_host_names(renders: Renders, snippet: str, writable: list[str],
                                      hosts: str) -> None:
    stack = renders.snippet(snippet)
    pod = _object(stack, f"StatefulSet default/oep-{snippet}")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0].get("volumeMounts", [])}

    assert [p for p in writable if "emptyDir" in volumes.get(mounts.get(p, ""), {})] == writable
    assert any("cannot enforce" in w and hosts in w for w in stack.recording.warnings)
