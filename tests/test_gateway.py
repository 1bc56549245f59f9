"""The gateway contract: RunConfig golden dicts per deployment shape, the container, its
volumes and Role, and the config hash that rolls the gateway pods."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from ome_mcp_components.builders import gateway
from ome_mcp_components.builders.gateway_container import gateway_container
from ome_mcp_components.builders.gateway_deployment import gateway_automount_token, gateway_volumes
from ome_mcp_components.builders.rbac import gateway_rbac_rules
from ome_mcp_components.models import MCPServerSpec, PermissionProfileSpec, parse_model
from ome_mcp_components.plan import auth
from ome_mcp_components.plan.context import Kind, ServerContext
from ome_mcp_components.vocabulary import defaults, keys, names

IMAGE = "ghcr.io/acme/tools:1.2.3"
POLICY = 'permit(principal in Group::"analysts", action == Action::"call_tool", resource);'


def ctx_for(
    spec: Mapping[str, Any],
    *,
    name: str = "demo",
    namespace: str = "tools",
    kind: Kind = "MCPServer",
    config_maps: Mapping[str, Mapping[str, str]] | None = None,
) -> ServerContext:
    """A resolved server, its OIDC and authz resolved by ``auth`` as the component does."""
    resource = f"{kind} '{name}'"
    parsed = parse_model(MCPServerSpec, spec, resource=resource, root="spec")
    maps = config_maps or {}
    oidc = authz = None
    if parsed.oidc_config is not None:
        cm = parsed.oidc_config.config_map
        oidc = auth.resolve_oidc(
            parsed.oidc_config, namespace=namespace,
            default_resource_url=names.cluster_url(name, namespace, parsed.port,
                                                   parsed.resolved_transport),
            config_map_data=maps.get(cm.name) if cm else None, resource=resource)
    if parsed.authz_config is not None:
        cm_ref = parsed.authz_config.config_map
        authz = auth.resolve_authz(parsed.authz_config,
                                   config_map_data=maps.get(cm_ref.name) if cm_ref else None,
                                   resource=resource, namespace=namespace)
    return ServerContext(kind=kind, name=name, namespace=namespace, spec=parsed,
                         profile=PermissionProfileSpec(), gateway_image=defaults.GATEWAY_IMAGE,
                         oidc=oidc, authz=authz)


def labels(n: str, transport: str, port: int = 8080) -> dict[str, str]:
    return {"toolhive": "true", "toolhive-name": n, "toolhive-basename": n,
            "toolhive-transport": transport, "toolhive-port": str(port)}


def base(n: str, transport: str, *, image: str = IMAGE, port: int = 8080) -> dict[str, Any]:
    return {
        "schema_version": "v0.1.0", "name": n, "container_name": n, "base_name": n,
        "image": image, "transport": transport,
        "proxy_mode": "streamable-http" if transport == "stdio" else transport,
        "host": "0.0.0.0", "port": port, "container_labels": labels(n, transport, port),
        **observability(n),
    }


def observability(n: str) -> dict[str, Any]:
    """What every RunConfig carries by default: the audit log and Prometheus metrics."""
    return {
        "audit_config": {"enabled": True, "component": n, "includeRequestData": False,
                         "includeResponseData": False, "maxDataSize": 1024},
        "telemetry_config": {"enablePrometheusMetricsPath": True, "serviceName": n,
                             "tracingEnabled": False, "metricsEnabled": False},
    }


K8S_OIDC = {"Issuer": "https://kubernetes.default.svc", "AllowPrivateIP": True,
            "InsecureAllowHTTP": False,
            "CACertPath": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
            "AuthTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"}
K8S_FILES = {"thv_ca_bundle": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
             "jwks_auth_token_file": "/var/run/secrets/kubernetes.io/serviceaccount/token"}


def cedar(policies: list[str], entities: str = "[]", **options: Any) -> dict[str, Any]:
    return {"version": "1.0", "type": "cedarv1",
            "cedar": {"policies": policies, "entities_json": entities,
                      "group_entity_type": "Group", **options}}


def test_streamable_http_with_inline_oidc_inline_cedar_and_tools_filter() -> None:
    ctx = ctx_for({
        "image": IMAGE, "transport": "streamable-http", "targetPort": 3000,
        "oidcConfig": {"type": "inline", "inline": {
            "issuer": "https://auth.company.com", "audience": "mcp-services",
            "jwksURL": "https://auth.company.com/.well-known/jwks.json"}},
        "authzConfig": {"type": "inline", "inline": {"policies": [POLICY]}},
        "toolsFilter": ["query", "list_tables"],
    })
    assert gateway.run_config(ctx) == {
        **base("demo", "streamable-http"),
        "remote_url": "http://demo-backend.tools.svc.cluster.local:3000",
        "oidc_config": {"Issuer": "https://auth.company.com", "Audience": "mcp-services",
                        "JWKSURL": "https://auth.company.com/.well-known/jwks.json",
                        "AllowPrivateIP": False, "InsecureAllowHTTP": False,
                        "ResourceURL": "http://demo.tools.svc.cluster.local:8080/mcp"},
        "authz_config": cedar([POLICY]),
        "tools_filter": ["query", "list_tables"],
    }


def test_kubernetes_oidc_story_1() -> None:
    ctx = ctx_for({"image": "mcp/postgres-server:latest", "transport": "streamable-http",
                   "oidcConfig": {"type": "kubernetes", "kubernetes": {
                       "audience": "data-tools", "namespace": "data-science"}}},
                  name="postgres-mcp", namespace="data-science")
    assert gateway.run_config(ctx) == {
        **base("postgres-mcp", "streamable-http", image="mcp/postgres-server:latest"),
        "remote_url": "http://postgres-mcp-backend.data-science.svc.cluster.local:8080",
        "oidc_config": {**K8S_OIDC, "Audience": "data-tools", "ResourceURL":
                        "http://postgres-mcp.data-science.svc.cluster.local:8080/mcp"},
        **K8S_FILES,
    }


def test_kubernetes_oidc_without_cluster_auth_and_explicit_urls() -> None:
    ctx = ctx_for({"image": IMAGE, "transport": "sse", "oidcConfig": {
        "type": "kubernetes", "resourceURL": "https://tools.example.com/sse",
        "kubernetes": {"useClusterAuth": False,
                       "jwksURL": "https://oidc.example.com/openid/v1/jwks",
                       "introspectionURL": "https://oidc.example.com/introspect"}}})
    assert gateway.run_config(ctx)["oidc_config"] == {
        "Issuer": "https://kubernetes.default.svc", "Audience": "toolhive",
        "JWKSURL": "https://oidc.example.com/openid/v1/jwks",
        "IntrospectionURL": "https://oidc.example.com/introspect",
        "AllowPrivateIP": False, "InsecureAllowHTTP": False,
        "ResourceURL": "https://tools.example.com/sse"}
    assert "thv_ca_bundle" not in gateway.run_config(ctx)


def test_config_map_oidc_and_authz() -> None:
    authz_doc = {"version": "1.0", "type": "cedarv1", "cedar": {
        "policies": [POLICY], "entities_json": "[]",
        "group_claim_name": "https://example.com/groups"}}
    ctx = ctx_for(
        {"image": IMAGE, "transport": "streamable-http",
         "oidcConfig": {"type": "configMap", "configMap": {"name": "my-oidc-config"}},
         "authzConfig": {"type": "configMap", "configMap": {"name": "infra-authz-policy"}}},
        config_maps={
            "my-oidc-config": {"oidc.json": json.dumps({
                "issuer": "https://auth.company.com", "audience": "mcp-services",
                "jwksURL": "https://auth.company.com/.well-known/jwks.json"})},
            "infra-authz-policy": {"authz.json": json.dumps(authz_doc)},
        })
    assert gateway.run_config(ctx) == {
        **base("demo", "streamable-http"),
        "remote_url": "http://demo-backend.tools.svc.cluster.local:8080",
        "oidc_config": {"Issuer": "https://auth.company.com", "Audience": "mcp-services",
                        "JWKSURL": "https://auth.company.com/.well-known/jwks.json",
                        "AllowPrivateIP": False, "InsecureAllowHTTP": False,
                        "ResourceURL": "http://demo.tools.svc.cluster.local:8080/mcp"},
        "authz_config": cedar([POLICY], group_claim_name="https://example.com/groups"),
    }
    assert gateway.authz_config_data(ctx) == {
        "authz.json": gateway.to_json(cedar([POLICY],
                                            group_claim_name="https://example.com/groups"))}


def test_remote_with_gateway_pattern_3() -> None:
    ctx = ctx_for({"type": "Remote", "url": "https://mcp.crm-system.company.com",
                   "transport": "streamable-http",
                   "oidcConfig": {"type": "inline", "inline": {
                       "issuer": "https://auth.company.com", "audience": "crm-api-access"}}},
                  name="external-crm-api", namespace="sales")
    assert gateway.run_config(ctx) == {
        **base("external-crm-api", "streamable-http", image=""),
        "remote_url": "https://mcp.crm-system.company.com",
        "oidc_config": {"Issuer": "https://auth.company.com", "Audience": "crm-api-access",
                        "AllowPrivateIP": False, "InsecureAllowHTTP": False,
                        "ResourceURL":
                            "http://external-crm-api.sales.svc.cluster.local:8080/mcp"},
    }


def test_stdio_attaches_instead_of_proxying() -> None:
    ctx = ctx_for({"image": IMAGE, "args": ["--read-only"]})
    assert gateway.run_config(ctx) == {**base("demo", "stdio"), "mcpserver_generation": 1}


def test_empty_tools_filter_means_no_filter() -> None:
    assert "tools_filter" not in gateway.run_config(ctx_for({"image": IMAGE,
                                                             "toolsFilter": []}))


def test_privileged_port_is_served_from_an_unprivileged_one() -> None:
    ctx = ctx_for({"image": IMAGE, "transport": "streamable-http", "port": 80})
    assert gateway.gateway_port(ctx) == 8080
    assert gateway.run_config(ctx)["port"] == 8080
    assert gateway_container(ctx)["ports"] == [
        {"name": "mcp", "containerPort": 8080, "protocol": "TCP"}]


def test_config_data_is_canonical_json() -> None:
    ctx = ctx_for({"image": IMAGE, "transport": "sse"})
    [(key, text)] = gateway.config_data(ctx).items()
    assert key == keys.RUN_CONFIG_KEY == "runconfig.json"
    assert json.loads(text) == gateway.run_config(ctx)
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def hash_of(spec: Mapping[str, Any]) -> str:
    return gateway.config_hash(gateway.config_data(ctx_for(spec)))


HTTP: dict[str, Any] = {
    "image": IMAGE, "transport": "streamable-http", "replicas": 2,
    "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "a"}},
    "authzConfig": {"type": "inline", "inline": {"policies": [POLICY]}},
    "toolsFilter": ["query"],
}


@pytest.mark.parametrize(("change", "rolls"), [
    ({"authzConfig": {"type": "inline", "inline": {"policies": [
        POLICY.replace("analysts", "admins")]}}}, True),
    ({"authzConfig": {"type": "inline", "inline": {"policies": [POLICY],
                                                   "entitiesJSON": '[{"uid": {"type": "Group",'
                                                   ' "id": "a"}, "attrs": {}, "parents": []}]'}}},
     True),
    ({"oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "b"}}}, True),
    ({"toolsFilter": ["query", "list_tables"]}, True),
    ({"targetPort": 9000}, True),
    ({"replicas": 5}, False),
    ({"resources": {"limits": {"cpu": "2"}}}, False),
], ids=["policy", "entities", "audience", "tools filter", "backend port", "replicas",
        "server resources"])
def test_config_hash_rolls_on_config_changes_only(change: dict[str, Any], rolls: bool) -> None:
    assert (hash_of({**HTTP, **change}) != hash_of(HTTP)) is rolls


def test_config_hash_is_sha256_of_the_canonical_data() -> None:
    assert gateway.config_hash({"b": "2", "a": "1"}) == gateway.config_hash({"a": "1", "b": "2"})
    assert len(gateway.config_hash({"a": "1"})) == 64


def test_container_of_hosted_http_server() -> None:
    ctx = ctx_for({"image": IMAGE, "transport": "streamable-http"})
    container = gateway_container(ctx)
    health = {"httpGet": {"path": "/health", "port": "mcp"}}
    assert container == {
        "name": "gateway",
        "image": "ghcr.io/stacklok/toolhive/proxyrunner:v0.44.0",
        "imagePullPolicy": "IfNotPresent",
        "args": ["run", IMAGE],
        "ports": [{"name": "mcp", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "HOME", "value": "/tmp"},
                {"name": "TOOLHIVE_REMOTE_HEALTHCHECKS", "value": "true"},
                {"name": "TOOLHIVE_RUNTIME", "value": "kubernetes"},
                {"name": "TOOLHIVE_SKIP_UPDATE_CHECK", "value": "true"},
                {"name": "TOOLHIVE_USAGE_METRICS_ENABLED", "value": "false"},
                {"name": "UNSTRUCTURED_LOGS", "value": "false"},
                {"name": "XDG_CONFIG_HOME", "value": "/tmp"}],
        "volumeMounts": [
            {"name": "runconfig", "mountPath": "/etc/runconfig", "readOnly": True},
            {"name": "serviceaccount",
             "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"}],
        "securityContext": {"privileged": False, "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
                            "readOnlyRootFilesystem": True},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                      "limits": {"cpu": "500m", "memory": "256Mi"}},
        "startupProbe": {**health, "periodSeconds": 5, "timeoutSeconds": 3,
                         "failureThreshold": 18},
        "livenessProbe": {**health, "periodSeconds": 10, "timeoutSeconds": 5,
                          "failureThreshold": 3},
        "readinessProbe": {**health, "periodSeconds": 5, "timeoutSeconds": 3,
                           "failureThreshold": 3},
    }


def test_remote_gateway_probes_its_port_and_does_not_ping_the_remote() -> None:
    ctx = ctx_for({"type": "Remote", "url": "https://mcp.example.com", "oidcConfig": {
        "type": "inline", "inline": {"issuer": "https://auth.example.com"}}})
    container = gateway_container(ctx)
    assert container["args"] == ["run", "remote"]
    assert container["readinessProbe"]["tcpSocket"] == {"port": "mcp"}
    assert "TOOLHIVE_REMOTE_HEALTHCHECKS" not in {v["name"] for v in container["env"]}


def test_no_secret_and_no_value_from_anything_but_the_spec() -> None:
    ctx = ctx_for({**HTTP, "secrets": [{"name": "db", "key": "url"}],
                   "env": [{"name": "TOKEN", "value": "s3cr3t"}]})
    rendered = json.dumps([gateway.config_data(ctx), gateway_container(ctx),
                           gateway_volumes(ctx)])
    assert "s3cr3t" not in rendered
    assert "secretKeyRef" not in rendered


def test_volumes_mount_config_token_ca_and_namespace_explicitly() -> None:
    ctx = ctx_for({"image": IMAGE})
    assert gateway_automount_token(ctx) is False
    assert gateway_volumes(ctx) == [
        {"name": "runconfig", "configMap": {
            "name": "demo-gateway", "items": [{"key": "runconfig.json",
                                               "path": "runconfig.json"}]}},
        {"name": "serviceaccount", "projected": {"sources": [
            {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
            {"configMap": {"name": "kube-root-ca.crt",
                           "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
    ]
    mounted = {m["mountPath"] for m in gateway_container(ctx)["volumeMounts"]}
    assert auth.SERVICE_ACCOUNT_DIR in mounted


def test_stdio_role_reads_its_statefulset_and_attaches_to_pod_0_only() -> None:
    ctx = ctx_for({"image": IMAGE}, name="files")
    assert gateway_rbac_rules(ctx) == [
        {"apiGroups": ["apps"], "resources": ["statefulsets"], "resourceNames": ["files"],
         "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["pods/attach"], "resourceNames": ["files-0"],
         "verbs": ["create"]},
    ]
    assert gateway.stdio_pod_labels(ctx) == {"app": "files"}
    env = {var["name"]: var["value"] for var in gateway_container(ctx)["env"]}
    assert env["OPERATOR_OPENSHIFT"] == "false"
    assert "TOOLHIVE_REMOTE_HEALTHCHECKS" not in env
    owned = gateway.stdio_pod_annotations(ctx)[gateway.STDIO_GENERATION_ANNOTATION]
    assert int(owned) > gateway.run_config(ctx)["mcpserver_generation"]


@pytest.mark.parametrize("spec", [
    {"image": IMAGE, "transport": "streamable-http"},
    {"type": "Remote", "url": "https://mcp.example.com",
     "authzConfig": {"type": "inline", "inline": {"policies": [POLICY]}}},
], ids=["http", "remote"])
def test_no_api_permission_unless_stdio(spec: dict[str, Any]) -> None:
    assert gateway_rbac_rules(ctx_for(spec)) == []
