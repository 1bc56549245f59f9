"""What the generated authorization config means: the gateway's requests (``Client``
principals with their groups, ``call_tool`` on ``Tool::"<name>"``, a ``tools/list``
filtered by those decisions), evaluated with cedarpy against the ``authz_config`` of the
RunConfig exactly as the gateway receives it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ome_mcp_components.builders import gateway
from ome_mcp_components.models import MCPServerSpec, PermissionProfileSpec, parse_model
from ome_mcp_components.plan import auth
from ome_mcp_components.plan.context import AuthzSettings, ServerContext
from ome_mcp_components.vocabulary import defaults

#: The OEP's user story 3, verbatim.
STORY_3 = yaml.safe_load('''
apiVersion: ome.io/v1beta1
kind: ClusterMCPServer
metadata:
  name: shared-tools-mcp
spec:
  type: Hosted
  image: mcp/enterprise-tools:v2.1.0
  transport: streamable-http
  replicas: 3
  oidcConfig:
    type: kubernetes
    kubernetes:
      audience: enterprise-tools
      issuer: https://kubernetes.default.svc
  authzConfig:
    type: inline
    inline:
      policies:
        - |
          permit(
            principal in Group::"developers",
            action in [Action::"read", Action::"query"],
            resource in ResourceType::"database"
          ) when {
            principal.department == resource.department
          };
        - |
          permit(
            principal in Group::"admins",
            action,
            resource
          );
      entitiesJSON: |
        [
          {
            "uid": {"type": "Group", "id": "developers"},
            "attrs": {},
            "parents": []
          },
          {
            "uid": {"type": "Group", "id": "admins"},
            "attrs": {},
            "parents": []
          }
        ]
''')
SERVER = "shared-tools-mcp"
TOOLS: dict[str, dict[str, bool] | None] = {
    "query": {"readOnlyHint": True},
    "list_tables": {"readOnlyHint": True},
    "drop_table": {"readOnlyHint": False, "destructiveHint": True},
    "export": None,
}


def server(spec: dict[str, Any], name: str = SERVER) -> ServerContext:
    resource = f"MCPServer '{name}'"
    parsed = parse_model(MCPServerSpec, spec, resource=resource, root="spec")
    assert parsed.authz_config is not None
    authz = auth.resolve_authz(parsed.authz_config, config_map_data=None, resource=resource)
    return ServerContext(kind="ClusterMCPServer", name=name, namespace="ome-mcp-system",
                         spec=parsed, profile=PermissionProfileSpec(),
                         gateway_image=defaults.GATEWAY_IMAGE, authz=authz)


def deployed(ctx: ServerContext) -> AuthzSettings:
    """The authorization settings as the gateway reads them from its RunConfig."""
    cedar = dict(gateway.run_config(ctx)["authz_config"]["cedar"])
    return AuthzSettings(policies=tuple(cedar.pop("policies")),
                         entities_json=cedar.pop("entities_json"), cedar_options=cedar)


def allowed(authz: AuthzSettings, claims: dict[str, Any], tool: str,
            action: str = auth.CALL_TOOL, **extra: Any) -> bool:
    return auth.is_allowed(authz, claims=claims, action=action, resource_id=tool,
                           server_name=SERVER, **extra)


ADMIN = {"sub": "alice", "groups": ["admins"]}
DEVELOPER = {"sub": "bob", "groups": ["developers"], "department": "data"}
NOBODY = {"sub": "carol"}
SERVICE_ACCOUNT = {"sub": "system:serviceaccount:team-a:agent", "aud": ["enterprise-tools"],
                   "kubernetes.io": {"namespace": "team-a",
                                     "serviceaccount": {"name": "agent"}}}


@pytest.fixture(scope="module")
def story_3() -> AuthzSettings:
    return deployed(server(STORY_3["spec"]))


def test_story_3_groups_reach_cedar_as_group_entities(story_3: AuthzSettings) -> None:
    assert story_3.cedar_options == {"group_entity_type": "Group"}
    _, entities = auth.gateway_request(story_3, claims=ADMIN, action=auth.CALL_TOOL,
                                       resource_id="query", server_name=SERVER)
    principal = next(e for e in entities if e["uid"]["type"] == "Client")
    assert principal["parents"] == [{"type": "Group", "id": "admins"}]


@pytest.mark.parametrize("action", [auth.CALL_TOOL, auth.GET_PROMPT, auth.READ_RESOURCE])
def test_story_3_admins_may_do_everything(story_3: AuthzSettings, action: str) -> None:
    assert allowed(story_3, ADMIN, "query", action)


@pytest.mark.parametrize("claims", [DEVELOPER, NOBODY, SERVICE_ACCOUNT],
                         ids=["developer", "no groups", "service account"])
@pytest.mark.parametrize("action", [auth.CALL_TOOL, auth.GET_PROMPT, auth.READ_RESOURCE])
def test_story_3_everyone_else_is_denied(story_3: AuthzSettings, claims: dict[str, Any],
                                         action: str) -> None:
    # the developers' policy names actions and a resource type the gateway never asks
    # about, so it can never grant anything
    assert not allowed(story_3, claims, "query", action)


def test_story_3_tools_list_is_filtered_per_caller(story_3: AuthzSettings) -> None:
    assert auth.visible_tools(story_3, claims=ADMIN, tools=TOOLS, server_name=SERVER) == list(
        TOOLS)
    assert auth.visible_tools(story_3, claims=DEVELOPER, tools=TOOLS, server_name=SERVER) == []


def test_story_3_is_flagged_before_deployment() -> None:
    spec = parse_model(MCPServerSpec, STORY_3["spec"], resource="x", root="spec")
    ctx = server(STORY_3["spec"])
    assert spec.oidc_config is not None
    oidc = auth.resolve_oidc(spec.oidc_config, namespace="ome-mcp-system",
                             default_resource_url=ctx.url, config_map_data=None, resource="x")
    warnings = auth.auth_warnings(spec, oidc=oidc, authz=ctx.authz)
    assert "policy 0 (permit) can never match an MCP request" in warnings[0]
    assert "Kubernetes service-account tokens carry no group claim" in warnings[1]


@pytest.mark.parametrize(("claims", "admitted"), [
    ({"sub": "a", "roles": ["admins"]}, True),
    ({"sub": "a", "cognito:groups": ["admins"]}, True),
    ({"sub": "a", "groups": "admins"}, False),
    ({"sub": "a", "groups": [], "roles": ["admins"]}, False),
    ({"groups": ["admins"]}, False),
], ids=["roles claim", "cognito claim", "groups as a string", "empty groups wins",
        "no subject"])
def test_which_group_claims_count(story_3: AuthzSettings, claims: dict[str, Any],
                                  admitted: bool) -> None:
    assert allowed(story_3, claims, "query") is admitted


def allow_list(*policies: str, tools_filter: tuple[str, ...] = ()) -> AuthzSettings:
    return deployed(server({"image": "mcp/db:1", "transport": "streamable-http",
                            "toolsFilter": list(tools_filter),
                            "authzConfig": {"type": "inline",
                                            "inline": {"policies": list(policies)}}}))


ALLOW_LIST = ('permit(principal, action == Action::"call_tool", resource) '
              'when { ["query", "list_tables"].contains(resource.name) };')


def test_tool_allow_list() -> None:
    authz = allow_list(ALLOW_LIST)
    assert [allowed(authz, NOBODY, tool) for tool in TOOLS] == [True, True, False, False]
    assert auth.visible_tools(authz, claims=NOBODY, tools=TOOLS, server_name=SERVER) == [
        "query", "list_tables"]
    assert not allowed(authz, NOBODY, "query", auth.GET_PROMPT)


def test_tool_allow_list_by_entity_and_a_forbid() -> None:
    authz = allow_list('permit(principal, action, resource == Tool::"query");',
                       'permit(principal in Group::"dba", action, resource is Tool);',
                       'forbid(principal, action, resource == Tool::"drop_table") '
                       'unless { principal.claim_email == "root@example.com" };')
    dba = {"sub": "d", "groups": ["dba"], "email": "d@example.com"}
    root = {**dba, "email": "root@example.com"}
    assert auth.visible_tools(authz, claims=NOBODY, tools=TOOLS, server_name=SERVER) == [
        "query"]
    assert auth.visible_tools(authz, claims=dba, tools=TOOLS, server_name=SERVER) == [
        "query", "list_tables", "export"]
    assert allowed(authz, root, "drop_table")


def test_read_only_tools_by_annotation() -> None:
    authz = allow_list('permit(principal, action == Action::"call_tool", resource) '
                       'when { resource has readOnlyHint && resource.readOnlyHint };')
    assert auth.visible_tools(authz, claims=NOBODY, tools=TOOLS, server_name=SERVER) == [
        "query", "list_tables"]


def test_server_scope_and_arguments() -> None:
    authz = allow_list(f'permit(principal, action, resource in MCP::"{SERVER}") when '
                       '{ context has arg_limit && '
                       'context.arg_limit.lessThanOrEqual(decimal("100.0")) };')
    assert allowed(authz, NOBODY, "query", arguments={"limit": 10})
    assert not allowed(authz, NOBODY, "query", arguments={"limit": 1000})
    assert not auth.is_allowed(authz, claims=NOBODY, action=auth.CALL_TOOL,
                               resource_id="query", server_name="another-server",
                               arguments={"limit": 10})


def test_an_evaluation_error_denies_even_what_another_policy_permits() -> None:
    authz = allow_list('permit(principal in Group::"admins", action, resource);',
                       'permit(principal, action, resource) when '
                       '{ principal.claim_department == "data" };')
    assert not allowed(authz, ADMIN, "query")  # ADMIN has no department claim
    assert allowed(authz, {**ADMIN, "department": "sales"}, "query")


def doc_examples() -> list[tuple[str, str]]:
    """The ```cedar blocks of docs/auth.md, with their info string."""
    text = (Path(__file__).parents[1] / "docs" / "auth.md").read_text()
    return re.findall(r"^```(cedar[^\n]*)\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize(("info", "policy"), doc_examples())
def test_documented_policies(info: str, policy: str) -> None:
    authz = allow_list(policy)  # parses, one policy per entry
    warnings = auth.mcp_model_warnings(authz.policies)
    assert bool(warnings) is (info == "cedar dead"), warnings


def test_documented_examples_mean_what_the_docs_say() -> None:
    examples = [policy for info, policy in doc_examples() if info == "cedar"]
    assert len(examples) == 6
    allow, analysts, _, read_only, namespace, bound = map(allow_list, examples)
    dba_only = allow_list("permit(principal, action, resource);", examples[2])
    assert auth.visible_tools(allow, claims=NOBODY, tools=TOOLS, server_name=SERVER) == [
        "query", "list_tables"]
    assert allowed(analysts, {"sub": "x", "groups": ["analysts"]}, "export")
    assert not allowed(dba_only, {"sub": "x"}, "drop_table")
    assert allowed(dba_only, {"sub": "x"}, "query")
    assert allowed(dba_only, {"sub": "x", "groups": ["dba"]}, "drop_table")
    assert auth.visible_tools(read_only, claims=NOBODY, tools=TOOLS, server_name=SERVER) == [
        "query", "list_tables"]
    assert allowed(namespace, {"sub": "system:serviceaccount:data-science:agent"}, "query")
    assert not allowed(namespace, SERVICE_ACCOUNT, "query")
    assert allowed(bound, NOBODY, "query", arguments={"limit": 100})
    assert not allowed(bound, NOBODY, "query", arguments={"limit": 101})
