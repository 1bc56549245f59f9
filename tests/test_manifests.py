"""The OME YAML loader (``ome_mcp_components.manifests``): what each document becomes,
how references and options resolve, and a clean ``ManifestError`` for every bad input."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ome_mcp_components.errors import ConfigReferenceError, ManifestError, SpecValidationError
from ome_mcp_components.manifests import load_manifests, read_manifests
from ome_mcp_components.offline.engine import run_program
from ome_mcp_components.offline.recording import Recording

SERVER = """\
apiVersion: ome.io/v1beta1
kind: MCPServer
metadata:
  name: tools
  namespace: team
spec:
  image: ghcr.io/acme/tools:1.0.0
  transport: streamable-http
"""


def write(directory: Path, name: str, text: str) -> Path:
    """``text`` (dedented) as file ``name`` in ``directory``."""
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def render(*paths: Path, cluster: dict[tuple[str, str], dict[str, str]] | None = None
           ) -> Recording:
    """Load ``paths`` and run the program offline."""
    return run_program(load_manifests(list(paths)), cluster_config_maps=cluster)


def objects(recording: Recording) -> dict[str, dict[str, Any]]:
    """The rendered objects by ``Kind namespace/name``."""
    return {f"{o['kind']} {o['metadata'].get('namespace')}/{o['metadata']['name']}": o
            for o in recording.kubernetes_objects()}


def resource(recording: Recording, type_: str, name: str) -> Any:
    """The recorded resource of that type and Pulumi name."""
    found = [r for r in recording.resources if r.type == type_ and r.name == name]
    assert len(found) == 1, [(r.type, r.name) for r in recording.resources]
    return found[0]


# --------------------------------------------------------------------------- what loads


def test_a_server_becomes_the_component_named_namespace_slash_name(tmp_path: Path) -> None:
    recording = render(write(tmp_path, "s.yaml", SERVER))
    component = resource(recording, "ome-mcp:index:MCPServer", "team/tools")

    assert component.inputs["metadata"]["namespace"] == "team"
    assert component.inputs["spec"]["image"] == "ghcr.io/acme/tools:1.0.0"
    assert "Deployment team/tools" in objects(recording)


def test_a_cluster_server_is_named_by_its_name_in_the_shared_namespace(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", SERVER.replace("kind: MCPServer", "kind: ClusterMCPServer")
                 .replace("  namespace: team\n", ""))
    recording = render(path)

    resource(recording, "ome-mcp:index:ClusterMCPServer", "tools")
    assert "Deployment ome-mcp-system/tools" in objects(recording)


def test_a_server_without_namespace_is_in_default(tmp_path: Path) -> None:
    recording = render(write(tmp_path, "s.yaml", SERVER.replace("  namespace: team\n", "")))

    assert "Deployment default/tools" in objects(recording)


def test_a_directory_is_its_yaml_files_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yml", SERVER.replace("name: tools", "name: second"))
    write(tmp_path, "a.yaml", SERVER.replace("name: tools", "name: first"))
    write(tmp_path, "notes.txt", "not yaml")
    (tmp_path / "nested").mkdir()
    write(tmp_path / "nested", "c.yaml", SERVER.replace("name: tools", "name: nested"))

    servers = read_manifests([tmp_path]).servers

    assert [s.name for s in servers] == ["first", "second"]


def test_a_list_stands_for_its_items(tmp_path: Path) -> None:
    items = json.dumps([{"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": f"cm-{i}", "namespace": "team"},
                         "data": {"k": "v"}} for i in range(2)])
    path = write(tmp_path, "list.yaml", f"apiVersion: v1\nkind: List\nitems: {items}\n")

    assert [c.name for c in read_manifests([path]).config_maps] == ["cm-0", "cm-1"]


def test_fields_the_api_server_fills_in_are_ignored(tmp_path: Path) -> None:
    text = SERVER.replace("  namespace: team\n", "  namespace: team\n  uid: 1234\n"
                          "  resourceVersion: '77'\n  creationTimestamp: '2025-01-01T00:00:00Z'\n")
    path = write(tmp_path, "s.yaml", text + "status:\n  phase: Running\n")

    assert read_manifests([path]).servers[0].metadata == {"name": "tools", "namespace": "team"}


@pytest.mark.parametrize("kind", ["InferenceService", "ServingRuntime", "BaseModel"])
def test_omes_other_kinds_are_skipped_with_a_note(tmp_path: Path, kind: str) -> None:
    path = write(tmp_path, "m.yaml", SERVER + f"---\napiVersion: ome.io/v1beta1\nkind: {kind}\n"
                 "metadata:\n  name: llm\n  namespace: moirai\nspec: {}\n")

    recording = render(path)

    assert recording.warnings == [
        f"info: {path}, document 2 (line 10): {kind} 'llm' (ome.io/v1beta1) is not an MCP "
        "resource; skipped (OME deploys it, not ome-mcp)"]
    assert len(objects(recording)) == 9


def test_empty_documents_and_comments_are_skipped(tmp_path: Path) -> None:
    # the comment belongs to the first document, which is empty; so is the last
    path = write(tmp_path, "s.yaml", "# only a comment\n---\n---\n" + SERVER + "---\n")

    assert [s.where for s in read_manifests([path]).servers] == [
        f"{path}, document 2 (line 4)"]


# --------------------------------------------------------------------------- references


def test_config_maps_are_created_and_resolve_references_offline(tmp_path: Path) -> None:
    profile = json.dumps({"network": {"outbound": {"allowHost": ["10.9.0.0/16"],
                                                    "allowPort": [5432]}}})
    path = write(tmp_path, "m.yaml", SERVER + textwrap.dedent(f"""\
          permissionProfile:
            type: configMap
            configMap: {{name: db-only}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: db-only
          namespace: team
          labels: {{owner: data}}
        data:
          permissions.json: '{profile}'
        """))

    recording = render(path)  # no cluster: nothing may be read
    config_map = resource(recording, "kubernetes:core/v1:ConfigMap", "team/db-only")
    component = resource(recording, "ome-mcp:index:MCPServer", "team/tools")
    egress = objects(recording)["NetworkPolicy team/tools-server"]["spec"]["egress"]

    assert config_map.inputs == {"apiVersion": "v1", "kind": "ConfigMap", "data": {
        "permissions.json": profile}, "metadata": {"name": "db-only", "namespace": "team",
                                                   "labels": {"owner": "data"}}}
    assert not [r for r in recording.resources if r.read]
    assert config_map.urn in component.dependencies
    assert {"to": [{"ipBlock": {"cidr": "10.9.0.0/16"}}],
            "ports": [{"port": 5432, "protocol": "TCP"}]} in egress


def test_a_config_map_of_another_namespace_is_not_used(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", SERVER + textwrap.dedent("""\
          permissionProfile: {type: configMap, configMap: {name: db-only}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: db-only, namespace: elsewhere}
        data: {permissions.json: '{}'}
        """))

    with pytest.raises(ConfigReferenceError, match="ConfigMap team/db-only"):
        render(path)
    recording = render(path, cluster={("team", "db-only"): {"permissions.json": "{}"}})
    assert [r.inputs["metadata"] for r in recording.resources if r.read] == [
        {"name": "db-only", "namespace": "team"}]


def test_a_permission_profile_document_is_passed_as_the_component(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", SERVER + textwrap.dedent("""\
          permissionProfile: {type: configMap, configMap: {name: shared}}
        ---
        apiVersion: ome.io/v1beta1
        kind: PermissionProfile
        metadata: {name: shared, namespace: team}
        spec:
          write: [/cache]
        """))

    recording = render(path)
    profile = resource(recording, "kubernetes:core/v1:ConfigMap", "team/shared-config-map")
    server = resource(recording, "kubernetes:apps/v1:Deployment", "team/tools-server")
    pod = objects(recording)["Deployment team/tools"]["spec"]["template"]["spec"]

    assert "ConfigMap team/shared" in objects(recording)
    assert profile.urn in server.dependencies  # the profile's ConfigMap is created first
    assert "/cache" in [m["mountPath"] for m in pod["containers"][0]["volumeMounts"]]


def test_a_permission_profile_is_read_under_its_own_key_only(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", SERVER + textwrap.dedent("""\
          permissionProfile: {type: configMap, configMap: {name: shared, key: policy.json}}
        ---
        apiVersion: ome.io/v1beta1
        kind: PermissionProfile
        metadata: {name: shared, namespace: team}
        spec: {}
        """))

    with pytest.raises(ManifestError, match=r"spec\.permissionProfile\.configMap\.key: "
                                            r"PermissionProfile 'shared' holds its profile under "
                                            r"key 'permissions.json', not 'policy.json'"):
        read_manifests([path])


# --------------------------------------------------------------------------- options


def _annotated(annotations: str, kind: str = "MCPServer") -> str:
    return SERVER.replace("kind: MCPServer", f"kind: {kind}").replace(
        "  namespace: team\n", f"  namespace: team\n  annotations:\n{annotations}")


def test_option_annotations_become_component_arguments(tmp_path: Path) -> None:
    text = _annotated("    ome.io/network-enforcement: cilium\n"
                      "    ome.io/gateway-image: registry.local/proxyrunner:v0.44.0\n"
                      "    example.com/owner: data-team\n")
    text = text.replace("  transport: streamable-http\n", "  transport: streamable-http\n"
                        "  permissionProfile:\n    type: inline\n    inline:\n      network:\n"
                        "        outbound: {allowHost: [api.example.com], allowPort: [443]}\n")
    recording = render(write(tmp_path, "s.yaml", text))
    found = objects(recording)
    gateway = found["Deployment team/tools-gateway"]["spec"]["template"]["spec"]

    assert resource(recording, "ome-mcp:index:MCPServer", "team/tools").inputs[
        "networkEnforcement"] == "cilium"
    assert "CiliumNetworkPolicy team/tools-server-fqdn" in found
    assert gateway["containers"][0]["image"] == "registry.local/proxyrunner:v0.44.0"
    # options are taken off the annotations; others reach every object
    for obj in found.values():
        assert obj["metadata"]["annotations"] == {"example.com/owner": "data-team"}


def test_the_shared_namespace_annotation_places_a_cluster_server(tmp_path: Path) -> None:
    text = _annotated("    ome.io/shared-namespace: platform-mcp\n", kind="ClusterMCPServer")
    recording = render(write(tmp_path, "c.yaml", text.replace("  namespace: team\n", "")))

    assert "Deployment platform-mcp/tools" in objects(recording)


# --------------------------------------------------------------------------- errors


def _where(path: Path, document: int = 1, line: int = 1) -> str:
    return f"{path}, document {document} (line {line})"


BAD_DOCUMENTS: list[Any] = [
    pytest.param("- a\n- b\n", "{where}: a document must be a Kubernetes object (a mapping), "
                 "not a list", id="not a mapping"),
    pytest.param("apiVersion: v1\nmetadata: {name: x}\n",
                 "{where}: kind: field required (a string)", id="no kind"),
    pytest.param("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
                 "{where}: kind: Deployment (apps/v1) is not a kind ome-mcp loads; expected "
                 "ome.io/v1beta1 MCPServer, ClusterMCPServer or PermissionProfile, or a v1 "
                 "ConfigMap", id="unknown kind"),
    pytest.param("apiVersion: ome.io/v1alpha1\nkind: MCPServer\nmetadata: {name: x}\n",
                 "{where}: kind: MCPServer with apiVersion 'ome.io/v1alpha1' is not supported; "
                 "use apiVersion 'ome.io/v1beta1'", id="old apiVersion"),
    pytest.param("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n",
                 "{where}: kind: a Secret cannot be loaded: its values would land in Pulumi "
                 "state in clear text; create it outside the stack and reference it by name "
                 "in spec.secrets", id="Secret"),
    pytest.param("apiVersion: ome.io/v1beta1\nkind: MCPServer\nspec: {}\n",
                 "{where}: metadata: field required (a mapping with a name)", id="no metadata"),
    pytest.param("apiVersion: ome.io/v1beta1\nkind: MCPServer\nmetadata: {namespace: a}\n",
                 "{where}: metadata.name: field required (a string)", id="no name"),
    pytest.param("apiVersion: ome.io/v1beta1\nkind: MCPServer\nmetadata: {name: x}\nspex: {}\n",
                 "{where}: spex: unknown field of a MCPServer", id="unknown field"),
    pytest.param("apiVersion: ome.io/v1beta1\nkind: MCPServer\n"
                 "metadata: {name: x, finalizers: [a]}\n",
                 "{where}: metadata.finalizers: not supported (allowed: name, namespace, labels, "
                 "annotations)", id="unsupported metadata"),
    pytest.param("apiVersion: ome.io/v1beta1\nkind: MCPServer\n"
                 "metadata: {name: x, namespace: Team_A}\n",
                 "{where}: metadata.namespace: 'Team_A' is not a valid namespace name "
                 "(RFC 1123 label)", id="bad namespace"),
    pytest.param("apiVersion: ome.io/v1beta1\nkind: MCPServer\n"
                 "metadata: {name: x, labels: {tier: 1}}\n",
                 "{where}: metadata.labels: must map strings to strings (quote numbers and "
                 "booleans)", id="label not a string"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {port: 8080}\n",
                 "{where}: ConfigMap 'x': data.port: must be a string, not a int value "
                 "(quote it)", id="ConfigMap value not a string"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: My_Config}\n",
                 "{where}: metadata.name: 'My_Config' is not a valid ConfigMap name (lowercase "
                 "RFC 1123 subdomain)", id="bad ConfigMap name"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n"
                 "    ome.io/network-enforcement: cilium\n",
                 "{where}: metadata.annotations.ome.io/network-enforcement: applies to MCPServer "
                 "and ClusterMCPServer only", id="option on a ConfigMap"),
    pytest.param("apiVersion: ome.io/v1beta1\nkind: MCPServer\nmetadata:\n  name: x\n"
                 "  annotations:\n    ome.io/network-enforcement: calico\n",
                 "{where}: metadata.annotations.ome.io/network-enforcement: 'calico' is not "
                 "allowed: expected 'kubernetes' or 'cilium'", id="bad enforcement"),
    pytest.param("apiVersion: ome.io/v1beta1\nkind: MCPServer\nmetadata:\n  name: x\n"
                 "  annotations:\n    ome.io/shared-namespace: tools\n",
                 "{where}: metadata.annotations.ome.io/shared-namespace: applies to "
                 "ClusterMCPServer only", id="shared namespace on an MCPServer"),
    pytest.param("apiVersion: ome.io/v1beta1\nkind: MCPServer\nmetadata:\n  name: x\n"
                 "  annotations:\n    ome.io/network-enforcment: cilium\n",
                 "{where}: metadata.annotations.ome.io/network-enforcment: unknown option; did "
                 "you mean ome.io/network-enforcement?", id="misspelt option"),
]


@pytest.mark.parametrize(("text", "message"), BAD_DOCUMENTS)
def test_a_bad_document_is_one_manifest_error(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.yaml", text)

    with pytest.raises(ManifestError) as caught:
        load_manifests([path])

    assert str(caught.value) == message.format(where=_where(path))


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("a: [1, 2\nb: 3\n", "line 2, column 2: invalid YAML: while parsing a flow "
                 "sequence expected ',' or ']', but got ':'", id="unclosed flow sequence"),
    pytest.param("a:\n  b: 1\n c: 2\n", "line 3, column 2: invalid YAML: while parsing a block "
                 "mapping expected <block end>, but found '<block mapping start>'",
                 id="bad indentation"),
    pytest.param("a: 1\nb: 2\na: 3\n", "line 3, column 1: invalid YAML: while constructing a "
                 "mapping found duplicate key 'a'", id="duplicate key"),
])
def test_invalid_yaml_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.yaml", text)

    with pytest.raises(ManifestError) as caught:
        load_manifests([path])

    assert str(caught.value) == f"{path}: {message}"


@pytest.mark.parametrize(("make", "message"), [
    pytest.param(lambda d: d / "missing.yaml", "cannot be read: No such file or directory",
                 id="missing file"),
    pytest.param(lambda d: (d / "bin.yaml", (d / "bin.yaml").write_bytes(b"a: \xff\n"))[0],
                 "is not UTF-8 text (invalid start byte at byte 3)", id="not UTF-8"),
    pytest.param(lambda d: d, "holds no .yaml or .yml files (subdirectories are not read)",
                 id="empty directory"),
])
def test_unreadable_input_is_a_manifest_error(tmp_path: Path, make: Callable[[Path], Path],
                                              message: str) -> None:
    path = make(tmp_path)

    with pytest.raises(ManifestError) as caught:
        load_manifests([path])

    assert str(caught.value) == f"{path}: {message}"


def test_two_documents_making_the_same_object_clash(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", SERVER)
    write(tmp_path, "b.yaml", SERVER)

    with pytest.raises(ManifestError, match=(
            rf"{tmp_path}/b.yaml, document 1 \(line 1\): MCPServer 'tools' clashes with "
            rf"{first}, document 1 \(line 1\): both would create server team/tools")):
        load_manifests([tmp_path])


def test_a_cluster_server_clashes_with_a_server_in_the_shared_namespace(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", SERVER.replace("namespace: team", "namespace: ome-mcp-system"))
    write(tmp_path, "b.yaml", SERVER.replace("kind: MCPServer", "kind: ClusterMCPServer")
          .replace("  namespace: team\n", ""))

    with pytest.raises(ManifestError, match="both would create server ome-mcp-system/tools"):
        load_manifests([tmp_path])


def test_a_profile_and_a_config_map_of_one_name_clash(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: shared, namespace: team}
        ---
        apiVersion: ome.io/v1beta1
        kind: PermissionProfile
        metadata: {name: shared, namespace: team}
        spec: {}
        """)

    with pytest.raises(ManifestError, match="both would create ConfigMap team/shared"):
        load_manifests([path])


def test_a_spec_error_names_the_document_and_keeps_its_class(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "# a comment\n" + SERVER + "  replicas: 101\n")
    program = load_manifests([path])  # the spec is the component's to validate

    with pytest.raises(SpecValidationError) as caught:
        run_program(program)

    assert str(caught.value) == (
        f"{path}, document 1 (line 2): MCPServer 'tools': spec.replicas: Input should be less "
        "than or equal to 100 (got 101)")



def test_a_config_map_named_like_a_servers_own_clashes(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", SERVER + "---\napiVersion: v1\nkind: ConfigMap\n"
                 "metadata: {name: tools-gateway, namespace: team}\n")

    with pytest.raises(ManifestError, match=r"document 1 \(line 1\): MCPServer 'tools' clashes "
                                            r"with .*document 2 \(line 10\): both would create "
                                            r"ConfigMap team/tools-gateway"):
        load_manifests([path])
