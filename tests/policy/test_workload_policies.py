"""Workload hygiene, secrets, service-account tokens and exposed gateway Services."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ome_mcp_policy.workloads import parse_image
from policy_fixtures import (
    TYPES,
    gateway_labels,
    pod_template,
    run_resource_policy,
    server_labels,
    workload,
)
from server_fixtures import PulumiHarness, build_ctx

from ome_mcp_components import MCPServer
from ome_mcp_components.builders.gateway_deployment import gateway_deployment
from ome_mcp_components.vocabulary import defaults


def _deployment(labels: dict[str, str] | None = None, **container: Any) -> dict[str, Any]:
    template = pod_template(labels or {"app": "x"})
    template["spec"]["containers"][0].update(container)
    return workload("Deployment", template)


def _without(field: str, sub: str | None = None) -> dict[str, Any]:
    obj = _deployment()
    c = obj["spec"]["template"]["spec"]["containers"][0]
    if sub:
        c[field].pop(sub)
    else:
        c.pop(field)
    return obj


WORKLOAD_CASES: list[tuple[str, str, dict[str, Any], dict[str, Any] | None, bool]] = [
    # (id, policy, Deployment, config, violates)
    ("writable root fs", "read-only-root-filesystem",
     _without("securityContext", "readOnlyRootFilesystem"), None, True),
    ("read-only root fs", "read-only-root-filesystem", _deployment(), None, False),
    ("no limits", "container-resources", _without("resources", "limits"), None, True),
    ("no resources", "container-resources", _without("resources"), None, True),
    ("only memory required", "container-resources",
     _deployment(resources={"requests": {"memory": "1Gi"}, "limits": {"memory": "1Gi"}}),
     {"requests": ["memory"], "limits": ["memory"]}, False),
    ("requests and limits", "container-resources", _deployment(), None, False),
    (":latest", "image-pinned", _deployment(image="mcp/postgres-server:latest"), None, True),
    ("no tag", "image-pinned", _deployment(image="nginx"), None, True),
    ("registry port, no tag", "image-pinned", _deployment(image="reg:5000/team/app"), None,
     True),
    ("tagged", "image-pinned", _deployment(image="reg:5000/team/app:1.0"), None, False),
    ("digest only", "image-pinned", _deployment(image="app@sha256:" + "a" * 64), None, False),
    ("tag without digest, digest required", "image-pinned", _deployment(image="app:1.0"),
     {"requireDigest": True}, True),
    ("digest required and given", "image-pinned",
     _deployment(image="ghcr.io/a/app:1.0@sha256:" + "b" * 64), {"requireDigest": True}, False),
    ("registry not allowed", "allowed-image-registries", _deployment(image="docker.io/x:1"),
     {"allowedRegistries": ["ghcr.io/acme"]}, True),
    ("registry prefix allowed", "allowed-image-registries", _deployment(),
     {"allowedRegistries": ["ghcr.io/acme"]}, False),
    ("no registry list", "allowed-image-registries", _deployment(image="evil.io/x:1"), None,
     False),
    ("literal password", "no-plaintext-secret-env",
     _deployment(env=[{"name": "DB_PASSWORD", "value": "hunter2"}]), None, True),
    ("literal api key, lower case", "no-plaintext-secret-env",
     _deployment(env=[{"name": "openai_api_key", "value": "sk-1"}]), None, True),
    ("secret from secretKeyRef", "no-plaintext-secret-env",
     _deployment(env=[{"name": "DB_PASSWORD", "valueFrom": {
         "secretKeyRef": {"name": "db", "key": "password"}}}]), None, False),
    ("ordinary variable", "no-plaintext-secret-env",
     _deployment(env=[{"name": "DEPARTMENT", "value": "data-science"}]), None, False),
    ("ignored name", "no-plaintext-secret-env",
     _deployment(env=[{"name": "KEYCLOAK_URL", "value": "https://kc"}]),
     {"ignoredNames": ["KEYCLOAK_URL"]}, False),
    ("server pod mounts token", "mcp-server-no-service-account-token",
     workload("Deployment", pod_template(server_labels("s"), automount=True)), None, True),
    ("server pod without automount field", "mcp-server-no-service-account-token",
     workload("StatefulSet", {"metadata": {"labels": server_labels("s")},
                              "spec": {"containers": [{"name": "mcp", "image": "a:1"}]}}),
     None, True),
    ("server pod without token", "mcp-server-no-service-account-token",
     workload("Deployment", pod_template(server_labels("s"))), None, False),
    ("gateway pod may mount token", "mcp-server-no-service-account-token",
     workload("Deployment", pod_template(gateway_labels("s"), automount=True)), None, False),
]


@pytest.mark.parametrize(("policy", "obj", "config", "violates"),
                         [c[1:] for c in WORKLOAD_CASES], ids=[c[0] for c in WORKLOAD_CASES])
def test_workload_policy(policy: str, obj: dict[str, Any], config: dict[str, Any] | None,
                         violates: bool) -> None:
    messages = run_resource_policy(policy, TYPES[obj["kind"]], obj, config)
    assert bool(messages) is violates, messages
    assert all("Remediation:" in m for m in messages)


def _service(labels: dict[str, str], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "s", "namespace": "tools", "labels": labels},
            "spec": {"selector": labels, "ports": [{"port": 8080}], **spec}}


SERVICE_CASES = [
    ("gateway LoadBalancer", _service(gateway_labels("s"), type="LoadBalancer"), True),
    ("gateway NodePort", _service(gateway_labels("s"), type="NodePort"), True),
    ("gateway externalIPs", _service(gateway_labels("s"), externalIPs=["1.2.3.4"]), True),
    ("gateway ClusterIP", _service(gateway_labels("s"), type="ClusterIP"), False),
    ("gateway, type defaulted", _service(gateway_labels("s")), False),
    ("other LoadBalancer", _service({"app": "web"}, type="LoadBalancer"), False),
]


@pytest.mark.parametrize(("svc", "violates"), [c[1:] for c in SERVICE_CASES],
                         ids=[c[0] for c in SERVICE_CASES])
def test_gateway_service_exposure(svc: dict[str, Any], violates: bool) -> None:
    messages = run_resource_policy("mcp-gateway-not-exposed", TYPES["Service"], svc)
    assert bool(messages) is violates, messages


@pytest.mark.parametrize(("image", "parts"), [
    ("nginx", ("docker.io", "nginx", None, None)),
    ("mcp/postgres-server:latest", ("docker.io", "mcp/postgres-server", "latest", None)),
    ("localhost/app:1", ("localhost", "app", "1", None)),
    ("reg:5000/a/b", ("reg:5000", "a/b", None, None)),
    ("ghcr.io/a/b:v1@sha256:abc", ("ghcr.io", "a/b", "v1", "sha256:abc")),
], ids=["bare name", "docker hub tag", "localhost", "registry port", "tag and digest"])
def test_parse_image(image: str, parts: tuple[str, str, str | None, str | None]) -> None:
    assert parse_image(image) == parts


def _gateway_config(run_config: Any) -> dict[str, Any]:
    text = run_config if isinstance(run_config, str) else json.dumps(run_config)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "s-gateway", "namespace": "tools"},
            "data": {"runconfig.json": text}}


AUDIT_CASES = [
    ("RunConfig with audit_config", _gateway_config({"name": "s", "audit_config": {}}), False),
    ("RunConfig without audit_config", _gateway_config({"name": "s"}), True),
    ("not a RunConfig", {"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "x"}, "data": {"a.json": "{}"}}, False),
    ("RunConfig that is no JSON", _gateway_config("not json"), False),
]


@pytest.mark.parametrize(("config_map", "violates"), [c[1:] for c in AUDIT_CASES],
                         ids=[c[0] for c in AUDIT_CASES])
def test_gateway_audit_enabled(config_map: dict[str, Any], violates: bool) -> None:
    messages = run_resource_policy("gateway-audit-enabled", TYPES["ConfigMap"], config_map)
    assert bool(messages) is violates, messages


def test_gateway_audit_message_names_the_config_map() -> None:
    (message,) = run_resource_policy("gateway-audit-enabled", TYPES["ConfigMap"],
                                     _gateway_config({"name": "s"}))
    assert message.startswith("ConfigMap 'tools/s-gateway': the gateway RunConfig has no "
                              "audit_config")
    assert "audit=False" in message


@pytest.mark.parametrize(("audit", "violates"), [(None, False), (False, True)],
                         ids=["components' default -> audited", "audit=False -> flagged"])
def test_gateway_audit_enabled_on_the_components_config(
    pulumi_mocks: PulumiHarness, audit: Any, violates: bool
) -> None:
    recording = pulumi_mocks.run(lambda: MCPServer("s", {
        "metadata": {"namespace": "tools"}, "audit": audit,
        "spec": {"image": "ghcr.io/acme/tool:v1", "transport": "streamable-http"}}))
    (config_map,) = [r.inputs for r in recording.resources if r.name == "s-gateway-config"]
    messages = run_resource_policy("gateway-audit-enabled", TYPES["ConfigMap"], config_map)
    assert bool(messages) is violates, messages


def test_requiring_digests_says_how_to_pin_the_components_gateway() -> None:
    """No digest is published with the pinned ToolHive release, so the default gateway
    image is a tag: under requireDigest the message says how to pin it."""
    deployment = gateway_deployment(build_ctx())
    config = {"requireDigest": True}
    [message] = run_resource_policy("image-pinned", TYPES["Deployment"], deployment, config)
    assert f"image {defaults.GATEWAY_IMAGE} is not pinned by digest" in message
    assert f'gateway_image="{defaults.GATEWAY_IMAGE}@sha256:<digest>"' in message
    assert "ome.io/gateway-image" in message
    pinned = gateway_deployment(build_ctx(gateway_image=f"{defaults.GATEWAY_IMAGE}@sha256:"
                                                        + "c" * 64))
    assert run_resource_policy("image-pinned", TYPES["Deployment"], pinned, config) == []


def test_other_images_get_no_gateway_hint() -> None:
    [message] = run_resource_policy("image-pinned", TYPES["Deployment"],
                                    _deployment(image="app:1.0"), {"requireDigest": True})
    assert "gateway_image" not in message
