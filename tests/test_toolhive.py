"""ToolHive MCPServer manifests: translated field by field, never a field dropped, and
``ome-mcp convert`` printing what renders the same objects."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml
from invariants import pod_security_problems, schema_problems

from ome_mcp_components.errors import ManifestError
from ome_mcp_components.manifests import read_manifests
from ome_mcp_components.manifests.toolhive import translate_documents
from ome_mcp_components.offline import engine
from ome_mcp_components.offline.cli import main

DATA = Path(__file__).resolve().parent / "data" / "toolhive"
FILES = sorted(DATA.glob("*.yaml"))
V1ALPHA1 = "toolhive.stacklok.dev/v1alpha1"


def _server(spec: dict[str, Any], *, version: str = V1ALPHA1, **metadata: Any
            ) -> dict[str, Any]:
    return {"apiVersion": version, "kind": "MCPServer",
            "metadata": {"name": "srv", "namespace": "tools", **metadata}, "spec": spec}


def _translate(*documents: dict[str, Any]) -> dict[str, Any]:
    """The spec of the (one) OME MCPServer the documents translate to."""
    results = translate_documents([(f"doc {i}", d) for i, d in enumerate(documents)])
    servers = [d for item in results if isinstance(item, tuple)
               for d in [item[1]] if d.get("apiVersion") == "ome.io/v1beta1"]
    assert len(servers) == 1
    spec: dict[str, Any] = servers[0]["spec"]
    return spec


IMAGE = "ghcr.io/acme/tools:1.2.3"

TRANSLATED = [
    pytest.param({"proxyPort": 9000, "mcpPort": 3000, "transport": "sse"},
                 {"port": 9000, "targetPort": 3000, "transport": "sse"},
                 id="proxyPort/mcpPort -> port/targetPort"),
    pytest.param({"port": 9000, "targetPort": 3000, "transport": "sse"},
                 {"port": 9000, "targetPort": 3000, "transport": "sse"},
                 id="v1alpha1 port/targetPort"),
    pytest.param({"proxyPort": 9000, "transport": "streamable-http"},
                 {"port": 9000, "targetPort": 8080, "transport": "streamable-http"},
                 id="mcpPort defaults to ToolHive's 8080, not the proxy port"),
    pytest.param({"port": 8080, "proxyPort": 8080}, {"port": 8080},
                 id="port and proxyPort agreeing"),
    pytest.param({"proxyMode": "sse", "transport": "sse"}, {"transport": "sse",
                                                            "targetPort": 8080},
                 id="proxyMode ignored off stdio, as ToolHive ignores it"),
    pytest.param({"env": [{"name": "A", "value": "1"}],
                  "secrets": [{"name": "s", "key": "k", "targetEnvName": "K"}]},
                 {"env": [{"name": "A", "value": "1"}],
                  "secrets": [{"name": "s", "key": "k", "targetEnvName": "K"}]},
                 id="env and secrets as they are"),
    pytest.param({"volumes": [{"name": "data", "hostPath": "/srv", "mountPath": "/data",
                               "readOnly": True}]},
                 {"volumes": [{"name": "data", "hostPath": {"path": "/srv"}}],
                  "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}]},
                 id="volumes -> hostPath volumes and mounts"),
    pytest.param({"permissionProfile": {"type": "builtin", "name": "network"}},
                 {"permissionProfile": {"type": "builtin", "name": "network"}},
                 id="builtin profile"),
    pytest.param({"permissionProfile": {"type": "configmap", "name": "p", "key": "x.json"}},
                 {"permissionProfile": {"type": "configMap",
                                        "configMap": {"name": "p", "key": "x.json"}}},
                 id="configmap profile"),
    pytest.param({"tools": ["a", "b"]}, {"toolsFilter": ["a", "b"]}, id="tools -> toolsFilter"),
    pytest.param({"backendReplicas": 3, "replicas": 3, "transport": "sse"},
                 {"replicas": 3, "transport": "sse", "targetPort": 8080},
                 id="backendReplicas -> replicas"),
    pytest.param({"serviceAccount": "sa", "args": ["--x"], "resources": {}},
                 {"serviceAccount": "sa", "args": ["--x"]},
                 id="serviceAccount, args; empty resources keep our defaults"),
    pytest.param({"trustProxyHeaders": False, "sessionAffinity": "None",
                  "audit": {"enabled": True}}, {},
                 id="ToolHive's defaults and what ome-mcp does anyway"),
    pytest.param({"oidcConfig": {"type": "inline", "resourceUrl": "https://mcp.example.com",
                                 "inline": {"issuer": "https://idp.example.com",
                                            "jwksUrl": "https://idp.example.com/jwks",
                                            "jwksAllowPrivateIP": False}}},
                 {"oidcConfig": {"type": "inline", "resourceURL": "https://mcp.example.com",
                                 "inline": {"issuer": "https://idp.example.com",
                                            "jwksURL": "https://idp.example.com/jwks",
                                            "jwksAllowPrivateIP": False}}},
                 id="inline OIDC, URL spellings"),
    pytest.param({"oidcConfig": {"type": "kubernetes", "kubernetes": {
                     "audience": "a", "useClusterAuth": True}}},
                 {"oidcConfig": {"type": "kubernetes", "kubernetes": {
                     "audience": "a", "useClusterAuth": True}}},
                 id="kubernetes OIDC"),
    pytest.param({"authzConfig": {"type": "inline", "inline": {
                     "policies": ["permit(principal, action, resource);"],
                     "entitiesJson": "[]"}}},
                 {"authzConfig": {"type": "inline", "inline": {
                     "policies": ["permit(principal, action, resource);"],
                     "entitiesJSON": "[]"}}},
                 id="inline authz, entitiesJSON"),
    pytest.param({"authzConfig": {"type": "configMap", "configMap": {"name": "authz"}}},
                 {"authzConfig": {"type": "configMap", "configMap": {"name": "authz"}}},
                 id="configMap authz"),
]


@pytest.mark.parametrize(("toolhive", "expected"), TRANSLATED)
def test_fields_translate(toolhive: dict[str, Any], expected: dict[str, Any]) -> None:
    assert _translate(_server({"image": IMAGE, **toolhive})) == {"image": IMAGE, **expected}


def test_oidc_config_ref_takes_its_mcp_oidc_config() -> None:
    oidc = {"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "MCPOIDCConfig",
            "metadata": {"name": "idp", "namespace": "tools"},
            "spec": {"type": "kubernetesServiceAccount",
                     "kubernetesServiceAccount": {"issuer": "https://kubernetes.default.svc"}}}
    spec = _translate(oidc, _server({"image": IMAGE, "oidcConfigRef": {
        "name": "idp", "audience": "srv", "resourceUrl": "https://srv.example.com"}}))
    assert spec["oidcConfig"] == {
        "type": "kubernetes", "resourceURL": "https://srv.example.com",
        "kubernetes": {"issuer": "https://kubernetes.default.svc", "audience": "srv"}}


def test_a_toolhive_oidc_config_map_becomes_inline_settings() -> None:
    config_map = {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "idp", "namespace": "tools"},
                  "data": {"issuer": "https://idp.example.com", "audience": "srv",
                           "jwksAllowPrivateIP": "true"}}
    spec = _translate(config_map, _server({"image": IMAGE, "oidcConfig": {
        "type": "configmap", "configMap": {"name": "idp"}}}))
    assert spec["oidcConfig"] == {"type": "inline", "inline": {
        "issuer": "https://idp.example.com", "audience": "srv", "jwksAllowPrivateIP": True}}


def test_an_oep_oidc_config_map_stays_a_reference() -> None:
    spec = _translate(_server({"image": IMAGE, "oidcConfig": {
        "type": "configMap", "configMap": {"name": "elsewhere"}}}))
    assert spec["oidcConfig"] == {"type": "configMap",
                                  "configMap": {"name": "elsewhere", "key": "oidc.json"}}


REFUSED = [
    pytest.param({"resourceOverrides": {"proxyService": {"labels": {"a": "b"}}}},
                 "spec.resourceOverrides", "metadata.labels", id="resourceOverrides"),
    pytest.param({"telemetry": {"prometheus": {"enabled": True}}}, "spec.telemetry",
                 "no equivalent", id="telemetry"),
    pytest.param({"rateLimiting": {"shared": {"maxTokens": 1}}}, "spec.rateLimiting",
                 "not supported", id="rateLimiting"),
    pytest.param({"trustProxyHeaders": True}, "spec.trustProxyHeaders", "X-Forwarded",
                 id="trustProxyHeaders true"),
    pytest.param({"sessionAffinity": "ClientIP"}, "spec.sessionAffinity", "pin clients",
                 id="sessionAffinity ClientIP"),
    pytest.param({"proxyMode": "sse"}, "spec.proxyMode", "streamable-http",
                 id="stdio served as sse"),
    pytest.param({"port": 8080, "proxyPort": 9090}, "spec.port", "deprecated name",
                 id="port and proxyPort disagree"),
    pytest.param({"replicas": 2}, "spec.replicas", "backendReplicas",
                 id="proxy replicas apart from the server's"),
    pytest.param({"audit": {"enabled": False}}, "spec.audit.enabled", "remove audit",
                 id="audit off"),
    pytest.param({"oidcConfig": {"type": "inline", "inline": {
        "issuer": "https://idp.example.com", "clientId": "x"}}},
        "spec.oidcConfig.inline.clientId", "introspection", id="OIDC client id"),
    pytest.param({"oidcConfig": {"type": "inline", "inline": {
        "issuer": "https://idp.example.com", "caBundleRef": {"configMapRef": {"name": "c"}}}}},
        "spec.oidcConfig.inline.caBundleRef", "thvCABundlePath", id="CA bundle reference"),
    pytest.param({"oidcConfig": {"type": "kubernetes", "kubernetes": {
        "serviceAccount": "client"}}}, "spec.oidcConfig.kubernetes.serviceAccount",
        "authzConfig policy", id="kubernetes OIDC service account"),
    pytest.param({"oidcConfigRef": {"name": "missing", "audience": "a"}},
                 "spec.oidcConfigRef.name", "not among the documents", id="missing MCPOIDCConfig"),
    pytest.param({"toolConfigRef": {"name": "missing"}}, "spec.toolConfigRef.name",
                 "not among the documents", id="missing MCPToolConfig"),
    pytest.param({"tools": ["a"], "toolConfigRef": {"name": "t"}}, "spec.tools", "keep one",
                 id="tools and toolConfigRef"),
    pytest.param({"authzConfig": {"type": "configMap", "configMap": {"name": "a"},
                                  "groupClaimName": "roles"}},
                 "spec.authzConfig.groupClaimName", "group_claim_name", id="group claim"),
    pytest.param({"authzConfigRef": {"name": "shared"}}, "spec.authzConfigRef",
                 "MCPAuthzConfig", id="authzConfigRef"),
    pytest.param({"permissionProfile": {"type": "file", "name": "x"}},
                 "spec.permissionProfile.type", "'builtin' or 'configmap'", id="profile type"),
    pytest.param({"imagePullPolicy": "Always"}, "spec.imagePullPolicy",
                 "unknown field of a ToolHive MCPServer", id="unknown field"),
]


@pytest.mark.parametrize(("toolhive", "path", "words"), REFUSED)
def test_fields_without_equivalent_are_refused(toolhive: dict[str, Any], path: str,
                                               words: str) -> None:
    with pytest.raises(ManifestError) as caught:
        _translate(_server({"image": IMAGE, **toolhive}))
    assert caught.value.paths == (path,), str(caught.value)
    assert words in str(caught.value)
    assert str(caught.value).startswith("doc 0: ")


#: Every field of ToolHive's MCPServerSpec (v1beta1 at v0.44.0, plus the v1alpha1 fields
#: ToolHive removed since), with a value that is not ToolHive's default.
TOOLHIVE_FIELDS: dict[str, Any] = {
    "image": "ghcr.io/acme/other:2.0.0", "transport": "sse", "proxyMode": "sse",
    "proxyPort": 9000, "mcpPort": 3000, "port": 9001, "targetPort": 3001, "args": ["--x"],
    "env": [{"name": "A", "value": "1"}],
    "volumes": [{"name": "v", "hostPath": "/h", "mountPath": "/m"}],
    "resources": {"limits": {"cpu": "1"}}, "secrets": [{"name": "s", "key": "k"}],
    "serviceAccount": "sa", "permissionProfile": {"type": "builtin", "name": "network"},
    "podTemplateSpec": {"spec": {"nodeSelector": {"a": "b"}}},
    "resourceOverrides": {"proxyService": {"labels": {"a": "b"}}},
    "oidcConfig": {"type": "inline", "inline": {"issuer": "https://idp.example.com"}},
    "oidcConfigRef": {"name": "idp", "audience": "a"},
    "authzConfig": {"type": "configMap", "configMap": {"name": "a"}},
    "authzConfigRef": {"name": "a"}, "audit": {"enabled": False}, "tools": ["a"],
    "toolConfigRef": {"name": "t"}, "externalAuthConfigRef": {"name": "e"},
    "webhookConfigRef": {"name": "w"}, "authServerRef": {"name": "s"},
    "telemetryConfigRef": {"name": "t"}, "telemetry": {"prometheus": {"enabled": True}},
    "trustProxyHeaders": True, "endpointPrefix": "/p", "groupRef": {"name": "g"},
    "sessionAffinity": "ClientIP", "replicas": 2, "backendReplicas": 2,
    "sessionStorage": {"provider": "redis"}, "rateLimiting": {"shared": {"maxTokens": 1}},
}


@pytest.mark.parametrize("field", TOOLHIVE_FIELDS)
def test_no_toolhive_field_is_silently_dropped(field: str) -> None:
    base = {"image": IMAGE}
    without = _translate(_server(base))
    outcome: dict[str, Any] | ManifestError
    try:
        outcome = _translate(_server({**base, field: TOOLHIVE_FIELDS[field]}))
    except ManifestError as error:
        outcome = error
    if isinstance(outcome, ManifestError):
        assert outcome.paths[0].startswith(f"spec.{field}"), str(outcome)
    else:
        assert outcome != without, f"{field} changed nothing"


@pytest.mark.parametrize("document", [
    pytest.param({"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "MCPRemoteProxy",
                  "metadata": {"name": "r"}, "spec": {}}, id="MCPRemoteProxy"),
    pytest.param({"apiVersion": "toolhive.stacklok.dev/v2", "kind": "MCPServer",
                  "metadata": {"name": "r"}, "spec": {}}, id="unknown version"),
])
def test_other_toolhive_documents_are_refused(document: dict[str, Any]) -> None:
    with pytest.raises(ManifestError, match=r"^doc 0: (kind|apiVersion): "):
        translate_documents([("doc 0", document)])


def test_an_unused_tool_config_is_skipped_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "toolhive.stacklok.dev/v1beta1",
                                    "kind": "MCPToolConfig", "metadata": {"name": "t"},
                                    "spec": {"toolsFilter": ["a"]}}))
    manifests = read_manifests([path])
    assert [s.note for s in manifests.skipped] == [
        f"{path}, document 1 (line 1): MCPToolConfig 't': no MCPServer among the documents "
        f"names it; skipped"]


def _render(path: Path) -> list[dict[str, Any]]:
    return engine.run_program(engine.load_paths([path])).kubernetes_objects()


def _convert(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(["convert", str(path)])
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_toolhive_manifests_render_as_written(path: Path) -> None:
    objects = _render(path)
    assert any(o["kind"] == "Deployment" for o in objects)
    assert [p for o in objects for p in schema_problems(o) + pod_security_problems(o)] == []


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_convert_prints_ome_manifests_that_render_the_same(path: Path, tmp_path: Path
                                                           ) -> None:
    status, out, err = _convert(path)
    assert status == 0, err
    documents = list(yaml.safe_load_all(out))
    assert all(not d["apiVersion"].startswith("toolhive.") for d in documents)
    converted = tmp_path / "converted.yaml"
    converted.write_text(out)
    assert _render(converted) == _render(path)


def test_convert_names_the_field_that_cannot_map(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(yaml.safe_dump(_server({"image": IMAGE, "resourceOverrides": {
        "proxyDeployment": {"labels": {"a": "b"}}}})))
    status, out, err = _convert(path)
    assert (status, out) == (2, "")
    assert err.startswith(f"error: {path}, document 1 (line 1): spec.resourceOverrides: ")
    assert len(err.splitlines()) == 1


def test_convert_validates_the_translated_spec(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_server({"image": IMAGE, "transport": "stdio",
                                            "backendReplicas": 3, "replicas": 3})))
    status, _, err = _convert(path)
    assert status == 2
    assert "MCPServer 'srv': spec.replicas: stdio servers cannot have more than one" in err
