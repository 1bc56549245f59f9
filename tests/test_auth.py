"""OIDC and Cedar resolution: each kind resolved, each bad input refused with an error
naming the field, and the warnings about settings that will not do what they say."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from ome_mcp_components.errors import ConfigReferenceError, OmeMcpError, SpecValidationError
from ome_mcp_components.models import MCPServerSpec, parse_model
from ome_mcp_components.plan import auth
from ome_mcp_components.plan.context import AuthzSettings, OIDCSettings

RESOURCE = "MCPServer 'demo'"
URL = "http://demo.tools.svc.cluster.local:8080/mcp"
IMAGE = "ghcr.io/acme/tools:1.2.3"
GOOD = 'permit(principal in Group::"admins", action, resource);'
ENTITY = '[{"uid": {"type": "Group", "id": "admins"}, "attrs": {}, "parents": []}]'


def parse(**fields: Any) -> MCPServerSpec:
    return parse_model(MCPServerSpec, {"image": IMAGE, **fields}, resource=RESOURCE,
                       root="spec")


def oidc(config: Mapping[str, Any], data: Mapping[str, str] | None = None) -> OIDCSettings:
    ref = parse(oidcConfig=config).oidc_config
    assert ref is not None
    return auth.resolve_oidc(ref, namespace="tools", default_resource_url=URL,
                             config_map_data=data, resource=RESOURCE)


def authz(config: Mapping[str, Any], data: Mapping[str, str] | None = None) -> AuthzSettings:
    ref = parse(authzConfig=config).authz_config
    assert ref is not None
    return auth.resolve_authz(ref, config_map_data=data, resource=RESOURCE, namespace="tools")


def inline_policies(*policies: str, entities: str = "[]") -> dict[str, Any]:
    return {"type": "inline", "inline": {"policies": list(policies), "entitiesJSON": entities}}


# --- OIDC -----------------------------------------------------------------------------


def test_kubernetes_defaults_use_the_cluster_ca_and_the_gateways_token() -> None:
    assert oidc({"type": "kubernetes"}) == OIDCSettings(
        issuer="https://kubernetes.default.svc", audience="toolhive", jwks_url=None,
        introspection_url=None, resource_url=URL,
        ca_bundle_path="/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
        jwks_auth_token_path="/var/run/secrets/kubernetes.io/serviceaccount/token",
        allow_private_ip=True, use_cluster_auth=True)


def test_kubernetes_without_cluster_auth_mounts_nothing_for_it() -> None:
    settings = oidc({"type": "kubernetes", "kubernetes": {
        "useClusterAuth": False, "audience": "enterprise-tools",
        "jwksURL": "https://k8s.example.com/openid/v1/jwks"}})
    assert (settings.ca_bundle_path, settings.jwks_auth_token_path, settings.allow_private_ip,
            settings.use_cluster_auth) == (None, None, False, False)
    assert (settings.audience, settings.jwks_url) == (
        "enterprise-tools", "https://k8s.example.com/openid/v1/jwks")


def test_inline_every_field() -> None:
    assert oidc({"type": "inline", "resourceURL": "https://tools.example.com/mcp", "inline": {
        "issuer": "https://auth.company.com", "audience": "mcp-services",
        "jwksURL": "https://auth.company.com/.well-known/jwks.json",
        "introspectionURL": "https://auth.company.com/oauth/introspect",
        "thvCABundlePath": "/etc/ssl/certs/ca.pem",
        "jwksAuthTokenPath": "/var/secrets/auth/token", "jwksAllowPrivateIP": True}}
    ) == OIDCSettings(
        issuer="https://auth.company.com", audience="mcp-services",
        jwks_url="https://auth.company.com/.well-known/jwks.json",
        introspection_url="https://auth.company.com/oauth/introspect",
        resource_url="https://tools.example.com/mcp", ca_bundle_path="/etc/ssl/certs/ca.pem",
        jwks_auth_token_path="/var/secrets/auth/token", allow_private_ip=True)


def test_config_map_is_validated_like_inline() -> None:
    data = {"oidc.json": json.dumps({"issuer": "https://auth.company.com",
                                     "audience": "mcp-services"})}
    from_map = oidc({"type": "configMap", "configMap": {"name": "my-oidc"}}, data)
    inline = oidc({"type": "inline", "inline": {"issuer": "https://auth.company.com",
                                                "audience": "mcp-services"}})
    assert from_map == inline


# --- authz ------------------------------------------------------------------------------


def test_inline_policies_and_entities_pass_through() -> None:
    assert authz(inline_policies(GOOD, entities=ENTITY)) == AuthzSettings(
        policies=(GOOD,), entities_json=ENTITY)


def test_config_map_in_toolhive_format_json_or_yaml() -> None:
    ref = {"type": "configMap", "configMap": {"name": "infra-authz-policy"}}
    doc = {"version": "1.0", "type": "cedarv1",
           "cedar": {"policies": [GOOD], "entities_json": ENTITY, "role_claim_name": "roles"}}
    from_json = authz(ref, {"authz.json": json.dumps(doc)})
    from_yaml = authz(ref, {"authz.json": (
        "version: '1.0'\ntype: cedarv1\ncedar:\n  policies:\n"
        f"    - '{GOOD}'\n  entities_json: '{ENTITY}'\n  role_claim_name: roles\n")})
    assert from_json == from_yaml
    assert from_json.policies == (GOOD,)
    assert from_json.cedar_options == {"role_claim_name": "roles"}
    assert from_json.config_map is not None
    assert not from_json.inline


# --- bad input: refused, naming the field -----------------------------------------------

BAD_OIDC_MAP = {"type": "configMap", "configMap": {"name": "my-oidc"}}
BAD_AUTHZ_MAP = {"type": "configMap", "configMap": {"name": "policies", "key": "p.json"}}


def cedar_doc(**cedar: Any) -> dict[str, str]:
    return {"p.json": json.dumps({"version": "1.0", "type": "cedarv1",
                                  "cedar": {"policies": [GOOD], **cedar}})}


BAD_INPUTS: dict[str, tuple[str, dict[str, Any], Any, type[OmeMcpError], str, str]] = {
    # id: (field, its value, ConfigMap data, error, path, words of the message)
    "invalid Cedar": ("authzConfig", inline_policies("permit(principal, action resource);"),
                      None, SpecValidationError, "spec.authzConfig.inline.policies[0]",
                      "unexpected token `resource`"),
    "invalid Cedar, second policy": (
        "authzConfig", inline_policies(GOOD, 'permit(principal in Group::admins, action, '
                                             'resource);'),
        None, SpecValidationError, "spec.authzConfig.inline.policies[1]",
        "expected an entity uid"),
    "two policies in one entry": ("authzConfig", inline_policies(GOOD + GOOD), None,
                                  SpecValidationError, "spec.authzConfig.inline.policies[0]",
                                  "holds 2 policies"),
    "policy template": ("authzConfig", inline_policies(
        "permit(principal == ?principal, action, resource);"), None, SpecValidationError,
        "spec.authzConfig.inline.policies[0]", "template"),
    "comment only": ("authzConfig", inline_policies("// nothing"), None, SpecValidationError,
                     "spec.authzConfig.inline.policies[0]", "holds no policy"),
    "empty policy list": ("authzConfig", {"type": "inline", "inline": {"policies": []}}, None,
                          SpecValidationError, "spec.authzConfig.inline.policies",
                          "at least 1 item"),
    "entities not JSON": ("authzConfig", inline_policies(GOOD, entities="[{"), None,
                          SpecValidationError, "spec.authzConfig.inline.entitiesJSON",
                          "not valid JSON"),
    "entities not an array": ("authzConfig", inline_policies(GOOD, entities="{}"), None,
                              SpecValidationError, "spec.authzConfig.inline.entitiesJSON",
                              "must be a JSON array"),
    "entity without uid": ("authzConfig", inline_policies(GOOD, entities='[{"id": "a"}]'),
                           None, SpecValidationError, "spec.authzConfig.inline.entitiesJSON",
                           "entry 0 is not a Cedar entity"),
    "entities Cedar rejects": (
        "authzConfig", inline_policies(GOOD, entities=ENTITY[:-1] + ", " + ENTITY[1:-1]
                                       .replace('"attrs": {}', '"attrs": {"a": 1}') + "]"),
        None, SpecValidationError, "spec.authzConfig.inline.entitiesJSON",
        'duplicate entity entry `Group::"admins"`'),
    "inline OIDC without issuer": ("oidcConfig", {"type": "inline", "inline": {
        "audience": "x"}}, None, SpecValidationError, "spec.oidcConfig.inline.issuer",
        "field required"),
    "resourceURL not http(s)": ("oidcConfig", {"type": "kubernetes",
                                               "resourceURL": "ftp://tools"}, None,
                                SpecValidationError, "spec.oidcConfig.resourceURL",
                                "^https?://"),
    "resourceURL without host": ("oidcConfig", {"type": "kubernetes",
                                                "resourceURL": "https://"}, None,
                                 SpecValidationError, "spec.oidcConfig.resourceURL", "host"),
    "jwksURL with a bad port": ("oidcConfig", {"type": "inline", "inline": {
        "issuer": "https://a.example.com", "jwksURL": "https://a.example.com:99999/jwks"}},
        None, SpecValidationError, "spec.oidcConfig.inline.jwksURL", "not a valid"),
    "OIDC ConfigMap missing": ("oidcConfig", BAD_OIDC_MAP, None, ConfigReferenceError,
                               "spec.oidcConfig.configMap", "tools/my-oidc"),
    "OIDC ConfigMap key missing": ("oidcConfig", BAD_OIDC_MAP, {"other.json": "{}"},
                                   ConfigReferenceError, "spec.oidcConfig.configMap.key",
                                   "'oidc.json': the ConfigMap has no such key"),
    "OIDC ConfigMap not JSON": ("oidcConfig", BAD_OIDC_MAP, {"oidc.json": "issuer: x"},
                                ConfigReferenceError, "spec.oidcConfig.configMap",
                                "not valid JSON"),
    "OIDC ConfigMap without issuer": ("oidcConfig", BAD_OIDC_MAP, {"oidc.json": "{}"},
                                      ConfigReferenceError, "spec.oidcConfig.configMap",
                                      "field 'issuer': field required"),
    "OIDC ConfigMap unknown field": ("oidcConfig", BAD_OIDC_MAP, {"oidc.json": json.dumps(
        {"issuer": "https://a.example.com", "clientSecret": "x"})}, ConfigReferenceError,
        "spec.oidcConfig.configMap", "field 'clientSecret': unknown field"),
    "OIDC ConfigMap bad issuer URL": ("oidcConfig", BAD_OIDC_MAP, {"oidc.json": json.dumps(
        {"issuer": "auth.company.com"})}, ConfigReferenceError, "spec.oidcConfig.configMap",
        "field 'issuer'"),
    "authz ConfigMap missing": ("authzConfig", BAD_AUTHZ_MAP, None, ConfigReferenceError,
                                "spec.authzConfig.configMap", "tools/policies"),
    "authz ConfigMap key missing": ("authzConfig", BAD_AUTHZ_MAP, {"authz.json": "{}"},
                                    ConfigReferenceError, "spec.authzConfig.configMap.key",
                                    "no such key"),
    "authz ConfigMap wrong type": ("authzConfig", BAD_AUTHZ_MAP, {"p.json": json.dumps(
        {"version": "1.0", "type": "httpv1"})}, ConfigReferenceError,
        "spec.authzConfig.configMap", "field 'type': 'httpv1' is not supported"),
    "authz ConfigMap invalid Cedar": ("authzConfig", BAD_AUTHZ_MAP, cedar_doc(policies=[
        GOOD, "permit(principal"]), ConfigReferenceError, "spec.authzConfig.configMap",
        "field 'cedar.policies[1]': invalid Cedar policy"),
    "authz ConfigMap no policies": ("authzConfig", BAD_AUTHZ_MAP, cedar_doc(policies=[]),
                                    ConfigReferenceError, "spec.authzConfig.configMap",
                                    "field 'cedar.policies'"),
    "authz ConfigMap bad entities": ("authzConfig", BAD_AUTHZ_MAP, cedar_doc(
        entities_json="{}"), ConfigReferenceError, "spec.authzConfig.configMap",
        "field 'cedar.entities_json': must be a JSON array"),
    "authz ConfigMap unknown option": ("authzConfig", BAD_AUTHZ_MAP, cedar_doc(
        primary_upstream_provider="github"), ConfigReferenceError,
        "spec.authzConfig.configMap", "cedar.primary_upstream_provider"),
    "authz ConfigMap namespaced group type": ("authzConfig", BAD_AUTHZ_MAP, cedar_doc(
        group_entity_type="Org::Team"), ConfigReferenceError, "spec.authzConfig.configMap",
        "namespaced entity types are not supported"),
}


@pytest.mark.parametrize(("field", "value", "data", "error", "path", "words"),
                         BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_refused_naming_the_field(
    field: str, value: dict[str, Any], data: Mapping[str, str] | None,
    error: type[OmeMcpError], path: str, words: str,
) -> None:
    resolve = oidc if field == "oidcConfig" else authz
    with pytest.raises(error) as caught:
        resolve(value, data)
    assert type(caught.value) is error
    assert path in caught.value.paths
    assert words in str(caught.value)
    assert str(caught.value).startswith(RESOURCE)


#: Entities the way ToolHive's Cedar library (cedar-go) reads them: no "parents" or
#: "attrs" needed, a uid in the explicit __entity form.
TOOLHIVE_ENTITIES = [
    pytest.param('[{"uid": {"type": "Tool", "id": "query"}, "attrs": {"owner": "data"}}]',
                 id="no parents"),
    pytest.param('[{"uid": {"type": "Group", "id": "admins"}}]', id="uid only"),
    pytest.param('[{"uid": {"__entity": {"type": "Group", "id": "admins"}}, "parents": '
                 '[{"__entity": {"type": "Org", "id": "acme"}}]}]', id="explicit uid form"),
    pytest.param('[{"uid": {"type": "Group", "id": "admins"}, "attrs": {}, "parents": [], '
                 '"tags": {"env": "prod"}}]', id="tags"),
]


@pytest.mark.parametrize("entities", TOOLHIVE_ENTITIES)
def test_entities_cedar_go_accepts_are_accepted(entities: str) -> None:
    settings = authz(inline_policies(GOOD, entities=entities))
    assert settings.entities_json == entities  # the gateway receives them as written


def test_entities_without_parents_take_part_in_decisions() -> None:
    entities = '[{"uid": {"type": "Group", "id": "admins"}}, ' \
               '{"uid": {"type": "Group", "id": "ops"}, "parents": [{"type": "Group", ' \
               '"id": "admins"}]}]'
    settings = authz(inline_policies(GOOD, entities=entities))
    for groups, allowed in ((["ops"], True), (["devs"], False)):
        assert auth.is_allowed(settings, claims={"sub": "alice", "groups": groups},
                               action=auth.CALL_TOOL, resource_id="query",
                               server_name="demo") is allowed


@pytest.mark.parametrize(("entities", "words"), [
    pytest.param('[{"uid": {"type": "Group", "id": "a"}, "parent": []}]',
                 "entry 0 has an unknown field 'parent'", id="misspelt parents"),
    pytest.param('[{"uid": {"type": "Group", "id": "a"}, "parents": [{"type": "G"}]}]',
                 "in parents field of `Group::\"a\"`, expected a literal entity reference",
                 id="Cedar's detail: a parent without id"),
    pytest.param('[{"uid": {"type": "Group", "id": "a"}, "attrs": {"ip": {"__extn": {'
                 '"fn": "ip", "arg": "nope"}}}}]', "invalid IP address: nope",
                 id="Cedar's detail: a bad extension value"),
])
def test_cedar_keeps_its_detail_when_it_refuses_entities(entities: str, words: str) -> None:
    with pytest.raises(SpecValidationError) as caught:
        authz(inline_policies(GOOD, entities=entities))
    assert caught.value.paths == ("spec.authzConfig.inline.entitiesJSON",)
    assert words in str(caught.value)
    assert "error during entity deserialization\n" not in str(caught.value)


def test_every_bad_policy_is_reported_at_once() -> None:
    with pytest.raises(SpecValidationError) as caught:
        authz(inline_policies("permit(", GOOD, "forbid(", entities="{}"))
    assert caught.value.paths == ("spec.authzConfig.inline.policies[0]",
                                  "spec.authzConfig.inline.policies[2]",
                                  "spec.authzConfig.inline.entitiesJSON")


# --- the MCP model ----------------------------------------------------------------------

STORY_3_DEVELOPERS = """permit(
  principal in Group::"developers",
  action in [Action::"read", Action::"query"],
  resource in ResourceType::"database"
) when {
  principal.department == resource.department
};
"""

MATCHABLE = {
    "admins, anything": GOOD,
    "one tool": 'permit(principal, action == Action::"call_tool", resource == Tool::"query");',
    "is Client in Group": 'permit(principal is Client in Group::"devs", action, resource is Tool);',
    "service account": 'permit(principal == Client::"system:serviceaccount:ns:sa", action, '
                       'resource);',
    "prompts": 'permit(principal, action == Action::"get_prompt", resource is Prompt);',
    "any resource of this server": 'permit(principal, action, resource in MCP::"demo");',
    "mixed action list": 'permit(principal, action in [Action::"query", Action::"call_tool"], '
                         'resource);',
    "forbid a tool": 'forbid(principal, action, resource == Tool::"drop_table");',
    "condition": 'permit(principal, action, resource) when { principal.claim_level > 3 };',
}
UNMATCHABLE = {
    "story 3 developers": (STORY_3_DEVELOPERS, 'Action::"read", Action::"query" are not '
                                               'actions'),
    "unknown action": ('permit(principal, action == Action::"query", resource);', "query"),
    "list action": ('permit(principal, action == Action::"list_tools", resource);',
                    "list calls are filtered"),
    "resource type": ('permit(principal, action, resource in ResourceType::"database");',
                      'never ResourceType::"database"'),
    "principal type": ('permit(principal == User::"bob", action, resource);', "User"),
    "ToolHive's default group type": ('permit(principal in THVGroup::"eng", action, '
                                      'resource);', 'never in THVGroup::"eng"'),
    "principal is Group": ("permit(principal is Group, action, resource);", "never a Group"),
    "call_tool on a prompt": ('permit(principal, action == Action::"call_tool", '
                              'resource is Prompt);', "must be Prompt"),
    "when false": ("forbid(principal, action, resource) when { false };", "constantly false"),
}


@pytest.mark.parametrize("policy", MATCHABLE.values(), ids=MATCHABLE.keys())
def test_policy_that_can_match_gets_no_warning(policy: str) -> None:
    assert auth.mcp_model_warnings([policy]) == []


@pytest.mark.parametrize(("policy", "why"), UNMATCHABLE.values(), ids=UNMATCHABLE.keys())
def test_policy_that_can_never_match_is_named_with_the_reason(policy: str, why: str) -> None:
    [warning] = auth.mcp_model_warnings([GOOD, policy])
    assert warning.startswith("policy 1 (")
    assert "can never match an MCP request" in warning
    assert why in warning


def test_group_hierarchy_from_entities_counts() -> None:
    policy = 'permit(principal in Org::"eng", action, resource);'
    entities = '[{"uid": {"type": "Group", "id": "devs"}, "attrs": {}, ' \
               '"parents": [{"type": "Org", "id": "eng"}]}]'
    assert auth.mcp_model_warnings([policy]) != []
    assert auth.mcp_model_warnings([policy], entities_json=entities) == []


def test_policy_id_annotation_names_the_policy() -> None:
    [warning] = auth.mcp_model_warnings(['@id("db") permit(principal, action == '
                                         'Action::"query", resource);'])
    assert warning.startswith("policy 0 (@id 'db') (permit)")


@pytest.mark.parametrize(("policy", "expected"), [
    ("permit(principal, action, resource);", True),
    ("permit(principal, action, resource) when { true } unless { false };", True),
    ("permit(principal, action, resource) when { context.claim_x == 1 };", False),
    ("forbid(principal, action, resource);", False),
    (GOOD, False),
    ("not cedar", False),
])
def test_is_permit_all(policy: str, expected: bool) -> None:
    assert auth.is_permit_all(policy) is expected


# --- warnings ---------------------------------------------------------------------------


def warnings_for(**fields: Any) -> list[str]:
    spec = parse(**fields)
    settings = (oidc(fields["oidcConfig"]) if "oidcConfig" in fields else None)
    authz_settings = (authz(fields["authzConfig"]) if "authzConfig" in fields else None)
    return auth.auth_warnings(spec, oidc=settings, authz=authz_settings)


def test_story_3_kubernetes_tokens_have_no_groups() -> None:
    warnings = warnings_for(
        oidcConfig={"type": "kubernetes", "kubernetes": {"audience": "enterprise-tools"}},
        authzConfig=inline_policies(STORY_3_DEVELOPERS, GOOD))
    assert len(warnings) == 2
    assert "policy 0 (permit) can never match" in warnings[0]
    assert "policies [0, 1] need group membership" in warnings[1]
    assert "service-account tokens carry no group claim" in warnings[1]


@pytest.mark.parametrize(("fields", "words"), [
    ({"authzConfig": inline_policies(GOOD)}, "without spec.oidcConfig"),
    ({"oidcConfig": {"type": "inline", "inline": {"issuer": "https://a.example.com"}}},
     "no audience"),
    ({"oidcConfig": {"type": "inline", "inline": {"issuer": "http://a.example.com",
                                                  "audience": "x"}}},
     "plain http: the gateway refuses"),
    ({"oidcConfig": {"type": "inline", "inline": {"issuer": "https://a.example.com",
                                                  "audience": "x",
                                                  "thvCABundlePath": "/etc/ssl/ca.pem"}}},
     "do not mount"),
    ({"oidcConfig": {"type": "kubernetes", "kubernetes": {"namespace": "data-science"}}},
     "namespace 'data-science' is not enforced"),
    ({"oidcConfig": {"type": "kubernetes", "kubernetes": {"useClusterAuth": False}}},
     "cannot fetch the signing keys"),
    ({"oidcConfig": {"type": "kubernetes"}}, "'toolhive' (the default) is shared"),
    ({"oidcConfig": {"type": "kubernetes"}, "authzConfig": inline_policies(
        GOOD, entities='[{"uid": {"type": "Client", "id": "a"}, "attrs": {}, '
                       '"parents": [{"type": "Group", "id": "admins"}]}]')},
     'defines Client::"a"'),
], ids=["authz without oidc", "no audience", "http issuer", "unmounted CA file",
        "namespace", "no cluster auth", "shared audience", "shadowed entity"])
def test_warning(fields: dict[str, Any], words: str) -> None:
    assert any(words in warning for warning in warnings_for(**fields))


def test_sound_config_has_no_warnings() -> None:
    assert warnings_for(
        oidcConfig={"type": "inline", "inline": {"issuer": "https://auth.company.com",
                                                 "audience": "mcp"}},
        authzConfig=inline_policies(GOOD, entities=ENTITY)) == []
