"""Policies on the components' inputs, and the OEP's stories and patterns as inputs.

Specs go through the real ``MCPServerSpec`` model and ``wire()``, so the props are the
ones the components record (camelCase, defaults applied).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from ome_mcp_policy import POLICIES
from policy_fixtures import TYPES, component, run_resource_policy

from ome_mcp_components.models import MCPServerSpec, PermissionProfileSpec

COMPONENT_POLICIES = [p.name for p in POLICIES if p.name in {
    "mcp-server-requires-oidc", "cluster-mcp-server-requires-auth", "no-open-egress",
    "remote-server-https", "oidc-jwks-private-ip", "cedar-no-permit-all",
    "cedar-policies-match-mcp", "oidc-issuer-https"}]
MANDATORY = {p.name for p in POLICIES if p.enforcement_level.value == "mandatory"}

K8S_OIDC = {"type": "kubernetes"}
INLINE_OIDC = {"type": "inline", "inline": {"issuer": "https://auth.example.com"}}
GOOD_CEDAR = 'permit(principal in Group::"devs", action == Action::"call_tool", ' \
    'resource == Tool::"query");'


def spec(**fields: Any) -> dict[str, Any]:
    """A validated spec's wire form; a hosted streamable-http server unless overridden."""
    data = {"image": "ghcr.io/acme/tool:v1", "transport": "streamable-http", **fields}
    wire: dict[str, Any] = MCPServerSpec.model_validate(data).wire()
    return wire


def without_oidc(wire: dict[str, Any]) -> dict[str, Any]:
    """Props without oidcConfig. Our models give an authz-only spec kubernetes OIDC, but the
    pack also guards inputs recorded by older versions or written by hand."""
    return {key: value for key, value in wire.items() if key != "oidcConfig"}


def authz(*policies: str) -> dict[str, Any]:
    return {"type": "inline", "inline": {"policies": list(policies)}}


def inline_profile(**outbound: Any) -> dict[str, Any]:
    return {"type": "inline", "inline": {"network": {"outbound": outbound}}}


CASES: list[tuple[str, str, str, dict[str, Any], bool]] = [
    # (id, policy, component kind, spec, violates)
    ("hosted without OIDC", "mcp-server-requires-oidc", "MCPServer", spec(), True),
    ("stdio hosted without OIDC (gateway speaks HTTP)", "mcp-server-requires-oidc",
     "MCPServer", spec(transport="stdio"), True),
    ("hosted with OIDC", "mcp-server-requires-oidc", "MCPServer", spec(oidcConfig=K8S_OIDC),
     False),
    ("remote behind authz-only gateway", "mcp-server-requires-oidc", "MCPServer",
     without_oidc(spec(type="Remote", url="https://mcp.example.com",
                       authzConfig=authz(GOOD_CEDAR))), True),
    ("remote without gateway", "mcp-server-requires-oidc", "MCPServer",
     spec(type="Remote", url="https://mcp.example.com"), False),
    ("cluster server without OIDC", "cluster-mcp-server-requires-auth", "ClusterMCPServer",
     without_oidc(spec(authzConfig=authz(GOOD_CEDAR))), True),
    ("cluster server without authz", "cluster-mcp-server-requires-auth", "ClusterMCPServer",
     spec(oidcConfig=K8S_OIDC), True),
    ("cluster server with both", "cluster-mcp-server-requires-auth", "ClusterMCPServer",
     spec(oidcConfig=K8S_OIDC, authzConfig=authz(GOOD_CEDAR)), False),
    ("inline insecureAllowAll", "no-open-egress", "MCPServer",
     spec(permissionProfile=inline_profile(insecureAllowAll=True)), True),
    ("inline allow list", "no-open-egress", "MCPServer",
     spec(permissionProfile=inline_profile(allowHost=["10.0.0.0/8"], allowPort=[5432])), False),
    ("builtin network is a deliberate choice", "no-open-egress", "MCPServer",
     spec(permissionProfile={"type": "builtin", "name": "network"}), False),
    ("plain http remote", "remote-server-https", "MCPServer",
     spec(type="Remote", url="http://mcp.example.com"), True),
    ("https remote", "remote-server-https", "MCPServer",
     spec(type="Remote", url="https://mcp.example.com"), False),
    ("plain http OIDC issuer", "oidc-issuer-https", "MCPServer",
     spec(oidcConfig={"type": "inline", "inline": {"issuer": "http://auth.example.com"}}),
     True),
    ("plain http JWKS of a kubernetes issuer", "oidc-issuer-https", "ClusterMCPServer",
     spec(oidcConfig={"type": "kubernetes", "kubernetes": {
         "jwksURL": "http://kubernetes.default.svc/openid/v1/jwks"}}), True),
    ("https OIDC issuer", "oidc-issuer-https", "MCPServer", spec(oidcConfig=INLINE_OIDC),
     False),
    ("loopback http issuer (the gateway allows it)", "oidc-issuer-https", "MCPServer",
     spec(oidcConfig={"type": "inline", "inline": {"issuer": "http://127.0.0.1:8443"}}),
     False),
    ("JWKS on private IPs", "oidc-jwks-private-ip", "MCPServer",
     spec(oidcConfig={"type": "inline", "inline": {"issuer": "https://auth.example.com",
                                                   "jwksAllowPrivateIP": True}}), True),
    ("JWKS default", "oidc-jwks-private-ip", "MCPServer", spec(oidcConfig=INLINE_OIDC), False),
    ("permit all", "cedar-no-permit-all", "MCPServer",
     spec(authzConfig=authz(GOOD_CEDAR, "permit(principal, action, resource);")), True),
    ("permit all when true", "cedar-no-permit-all", "MCPServer",
     spec(authzConfig=authz("permit(principal, action, resource) when { true };")), True),
    ("admins may do anything", "cedar-no-permit-all", "MCPServer",
     spec(authzConfig=authz('permit(principal in Group::"admins", action, resource);')), False),
    ("OEP's query action", "cedar-policies-match-mcp", "ClusterMCPServer",
     spec(authzConfig=authz('permit(principal in Group::"developers", action in '
                            '[Action::"read", Action::"query"], resource in '
                            'ResourceType::"database");')), True),
    ("MCP policy", "cedar-policies-match-mcp", "MCPServer", spec(authzConfig=authz(GOOD_CEDAR)),
     False),
    ("list_tools is no action of the gateway", "cedar-policies-match-mcp", "MCPServer",
     spec(authzConfig=authz('permit(principal, action == Action::"list_tools", resource);')),
     True),
    ("policy that does not parse", "cedar-policies-match-mcp", "MCPServer",
     {**spec(), "authzConfig": authz("permit(principal, action")}, True),
]


@pytest.mark.parametrize(("policy", "kind", "server_spec", "violates"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_component_policy(policy: str, kind: str, server_spec: dict[str, Any],
                          violates: bool) -> None:
    props = component("srv", server_spec)
    messages = run_resource_policy(policy, TYPES[kind], props)
    assert bool(messages) is violates, messages
    assert all("Remediation:" in m for m in messages)


def _gateway_config_map(oidc: dict[str, Any]) -> dict[str, Any]:
    run_config = {"transport": "streamable-http", "oidc_config": oidc}
    return {"metadata": {"name": "srv-gateway", "namespace": "tools"},
            "data": {"runconfig.json": json.dumps(run_config)}}


@pytest.mark.parametrize(("oidc", "violates"), [
    pytest.param({"Issuer": "http://idp.example.com", "InsecureAllowHTTP": False}, True,
                 id="http issuer from a ConfigMap reference, as rendered"),
    pytest.param({"Issuer": "https://idp.example.com", "JWKSURL": "http://idp/jwks"}, True,
                 id="http JWKS"),
    pytest.param({"Issuer": "https://idp.example.com", "InsecureAllowHTTP": True}, True,
                 id="InsecureAllowHTTP written by hand"),
    pytest.param({"Issuer": "https://idp.example.com", "InsecureAllowHTTP": False}, False,
                 id="https"),
])
def test_oidc_endpoints_in_any_gateway_run_config(oidc: dict[str, Any], violates: bool
                                                  ) -> None:
    messages = run_resource_policy("oidc-issuer-https", TYPES["ConfigMap"],
                                   _gateway_config_map(oidc))
    assert bool(messages) is violates, messages
    if violates:
        assert messages[0].startswith("ConfigMap 'tools/srv-gateway': the gateway RunConfig")


def test_plain_http_oidc_is_mandatory() -> None:
    assert "oidc-issuer-https" in MANDATORY


def test_permission_profile_component_with_open_egress() -> None:
    profile = PermissionProfileSpec.model_validate(
        {"network": {"outbound": {"insecureAllowAll": True}}}).wire()
    props = {"metadata": {"name": "open", "namespace": "tools"}, "spec": profile}
    messages = run_resource_policy("no-open-egress", TYPES["PermissionProfile"], props)
    assert messages
    assert "spec.network.outbound.insecureAllowAll" in messages[0]
    closed = {"metadata": {"name": "closed"}, "spec": PermissionProfileSpec().wire()}
    assert run_resource_policy("no-open-egress", TYPES["PermissionProfile"], closed) == []


def test_unmatchable_message_names_the_policy_and_the_reason() -> None:
    props = component("srv", spec(authzConfig=authz(GOOD_CEDAR, 'permit(principal, action == '
                                                    'Action::"query", resource);')))
    [message] = run_resource_policy("cedar-policies-match-mcp", TYPES["MCPServer"], props)
    assert "spec.authzConfig.inline: policy 1 (permit) can never match" in message
    assert 'Action::"query"' in message


# The OEP's user stories and deployment patterns, as their component inputs.
OEP = {
    "story 1: postgres-mcp": ("MCPServer", {
        "type": "Hosted", "image": "mcp/postgres-server:latest", "transport": "streamable-http",
        "secrets": [{"name": "postgres-credentials", "key": "url",
                     "targetEnvName": "DATABASE_URL"}],
        "permissionProfile": {"type": "builtin", "name": "network"},
        "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "data-tools",
                                                            "namespace": "data-science"}}}),
    "story 2: infra-tools-mcp": ("MCPServer", {
        "type": "Hosted", "image": "mcp/infra-tools:latest", "transport": "streamable-http",
        "capabilities": {"tools": True, "resources": True},
        "secrets": [{"name": "oci-credentials", "key": "credentials",
                     "targetEnvName": "OCI_SHARED_CREDENTIALS_FILE"},
                    {"name": "kubeconfig", "key": "config", "targetEnvName": "KUBECONFIG"}],
        "permissionProfile": {"type": "configMap",
                              "configMap": {"name": "infra-permissions", "key": "policy.json"}},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                      "limits": {"cpu": "500m", "memory": "1Gi"}}}),
    "story 3: shared-tools-mcp": ("ClusterMCPServer", {
        "type": "Hosted", "image": "mcp/enterprise-tools:v2.1.0", "transport": "streamable-http",
        "replicas": 3,
        "oidcConfig": {"type": "kubernetes", "kubernetes": {
            "audience": "enterprise-tools", "issuer": "https://kubernetes.default.svc"}},
        "authzConfig": {"type": "inline", "inline": {"policies": [
            'permit(principal in Group::"developers", action in [Action::"read", '
            'Action::"query"], resource in ResourceType::"database") when { '
            'principal.department == resource.department };',
            'permit(principal in Group::"admins", action, resource);']}}}),
    "pattern 1: data-science-tools": ("MCPServer", {
        "image": "mcp/data-tools:latest",
        "permissionProfile": {"type": "builtin", "name": "network"},
        "env": [{"name": "DEPARTMENT", "value": "data-science"}]}),
    "pattern 3: external-crm-api": ("MCPServer", {
        "type": "Remote", "url": "https://mcp.crm-system.company.com",
        "transport": "streamable-http",
        "oidcConfig": {"type": "inline", "inline": {"issuer": "https://auth.company.com",
                                                    "audience": "crm-api-access"}}}),
    "pattern 4: dev-tools": ("MCPServer", {
        "image": "mcp/dev-tools:latest", "transport": "streamable-http", "replicas": 1,
        "permissionProfile": {"type": "builtin", "name": "none"},
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"},
                      "limits": {"cpu": "200m", "memory": "512Mi"}}}),
}
PATTERN_2 = {"image": "mcp/infra-tools:latest", "replicas": 3,
             "authzConfig": {"type": "configMap", "configMap": {"name": "infra-authz-policy"}}}


def _mandatory(kind: str, server_spec: dict[str, Any]) -> list[str]:
    props = component("srv", MCPServerSpec.model_validate(server_spec).wire())
    return [m for name in COMPONENT_POLICIES if name in MANDATORY
            for m in run_resource_policy(name, TYPES[kind], props)]


@pytest.mark.parametrize(("kind", "server_spec"), OEP.values(), ids=OEP.keys())
def test_oep_stories_and_patterns_have_no_mandatory_violation(
        kind: str, server_spec: dict[str, Any]) -> None:
    assert _mandatory(kind, server_spec) == []


def test_oep_pattern_2_needs_authentication() -> None:
    """Pattern 2's ClusterMCPServer has authz but no oidcConfig. Shared with every namespace
    without authentication it would be refused; our models give it the kubernetes OIDC (the
    OEP's default type), so as the components record it, it passes."""
    raw = without_oidc(spec(**PATTERN_2))
    assert [m for name in COMPONENT_POLICIES if name in MANDATORY
            for m in run_resource_policy(name, TYPES["ClusterMCPServer"],
                                         component("srv", raw))]
    assert _mandatory("ClusterMCPServer", PATTERN_2) == []
