"""Cedar authorization by the real gateway, from the ``authz_config`` the components embed
in the RunConfig: per-tool and per-group permits, ``principal in Group::"..."`` from the
token's group claim, the ``readOnlyHint`` annotation, prompts and resources, evaluation
errors, and the OEP's story 3. Each decision is also compared with what
``auth.decisions`` (the emulation docs/auth.md offers for CI) predicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import pytest
import yaml
from conftest import AUDIENCE, ROOT, hosted_spec
from gateway_backend import TOOLS
from gateway_client import TRANSPORTS, Transport
from gateway_harness import Gateway
from gateway_issuer import Issuer
from gateway_scenarios import call, decision, listed, listed_tools, predicted, request

pytestmark = pytest.mark.gateway

ANALYSTS_QUERY = ('permit(principal in Group::"analysts", action == Action::"call_tool", '
                  'resource == Tool::"query");')
READ_ONLY = ('permit(principal, action == Action::"call_tool", resource) '
             'when { resource has readOnlyHint && resource.readOnlyHint };')


def claims_of(issuer: Issuer, **claims: Any) -> tuple[str, dict[str, Any]]:
    """A token and the claims the emulation should see for it."""
    body = {"iss": issuer.url, "sub": claims.pop("sub", "alice"), "aud": AUDIENCE, **claims}
    token = issuer.token(sub=body["sub"], audience=AUDIENCE,
                         **claims)
    return token, body


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_tool_permitted_to_one_group(
        shared_gateway: Callable[..., Gateway], issuer: Issuer, transport: Transport) -> None:
    gw = shared_gateway(hosted_spec(transport, policies=[ANALYSTS_QUERY]), transport=transport)
    member, member_claims = claims_of(issuer, sub="ann", groups=["analysts"])
    outsider, outsider_claims = claims_of(issuer, sub="sam", groups=["sales"])
    cases = [(member, member_claims, "query", "allowed"),
             (member, member_claims, "list_tables", "denied"),
             (member, member_claims, "drop_table", "denied"),
             (outsider, outsider_claims, "query", "denied")]
    for token, claims, tool, expected in cases:
        result, recorder = call(gw, transport, token, tool, {"sql": "s"} if tool == "query"
                                else {"table": "t"} if tool == "drop_table" else {})
        assert (tool, decision(result, recorder, transport)) == (tool, expected)
        assert predicted(gw, claims, "call_tool", tool) == expected
    # tools/list shows each caller the tools it may call, over streamable-http; over sse the
    # list comes on the event stream, which the gateway does not filter (and says so)
    assert listed_tools(gw, transport, member) == (
        {"query"} if transport == "streamable-http" else set(TOOLS))
    assert listed_tools(gw, transport, outsider) == (
        set() if transport == "streamable-http" else set(TOOLS))
    sse_warnings = [w for w in gw.rendered.warnings if "with transport sse" in w]
    assert len(sse_warnings) == (transport == "sse")


@pytest.mark.parametrize(("claim", "value", "member"), [
    ("groups", ["analysts", "sales"], True),
    ("roles", ["analysts"], True),
    ("cognito:groups", ["analysts"], True),
    ("groups", "analysts", False),  # a string is not a group list
    ("groups", ["Analysts"], False),  # names are case-sensitive
    ("department", ["analysts"], False),  # not a group claim
], ids=["groups", "roles", "cognito:groups", "string", "case", "other claim"])
def test_principal_in_group_comes_from_the_group_claim(
        shared_gateway: Callable[..., Gateway], issuer: Issuer, claim: str, value: Any,
        member: bool) -> None:
    transport: Transport = "streamable-http"
    gw = shared_gateway(hosted_spec(transport, policies=[ANALYSTS_QUERY]), transport=transport)
    token, claims = claims_of(issuer, **{claim: value})
    result, recorder = call(gw, transport, token, "query", {"sql": "s"})
    expected = "allowed" if member else "denied"
    assert decision(result, recorder, transport) == expected
    assert predicted(gw, claims, "call_tool", "query") == expected


def test_the_first_group_claim_present_wins(
        shared_gateway: Callable[..., Gateway], issuer: Issuer) -> None:
    """``groups`` shadows ``roles``: a caller in ``roles: [analysts]`` whose ``groups``
    claim is present (even empty) is not an analyst."""
    transport: Transport = "streamable-http"
    gw = shared_gateway(hosted_spec(transport, policies=[ANALYSTS_QUERY]), transport=transport)
    token, claims = claims_of(issuer, groups=[], roles=["analysts"])
    result, recorder = call(gw, transport, token, "query", {"sql": "s"})
    assert decision(result, recorder, transport) == "denied"
    assert predicted(gw, claims, "call_tool", "query") == "denied"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_read_only_tools_by_their_annotation(
        start_gateway: Callable[..., Gateway], issuer: Issuer, transport: Transport) -> None:
    """A ``readOnlyHint`` permit admits the read-only tools once the gateway has seen the
    server's tool list; until then it knows no annotations and denies every call."""
    gw = start_gateway(hosted_spec(transport, policies=[READ_ONLY]), transport=transport)
    token, claims = claims_of(issuer)
    before, recorder = call(gw, transport, token, "query", {"sql": "s"})
    assert decision(before, recorder, transport) == "denied"
    assert listed_tools(gw, transport, token) == (
        {"query", "list_tables"} if transport == "streamable-http" else set(TOOLS))
    for tool in TOOLS:
        result, recorder = call(gw, transport, token, tool,
                                {"sql": "s"} if tool == "query" else
                                {"table": "t"} if tool == "drop_table" else {})
        expected = predicted(gw, claims, "call_tool", tool)
        if transport == "sse":
            expected = "denied"  # the annotations never reach the gateway over sse
        assert (tool, decision(result, recorder, transport)) == (tool, expected)


DESTRUCTIVE_FORBIDDEN = [
    'permit(principal, action == Action::"call_tool", resource);',
    ('forbid(principal, action == Action::"call_tool", resource) '
     'when { resource has destructiveHint && resource.destructiveHint };'),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_forbid_on_an_annotation_does_not_protect_until_the_tools_are_listed(
        start_gateway: Callable[..., Gateway], issuer: Issuer, transport: Transport) -> None:
    """The other side of the annotation cache: a forbid on ``destructiveHint`` lets the
    destructive tool through on a fresh gateway (and always over sse), and the components
    warn about it."""
    gw = start_gateway(hosted_spec(transport, policies=DESTRUCTIVE_FORBIDDEN),
                       transport=transport)
    assert any("annotations" in w and "policies [1]" in w for w in gw.rendered.warnings)
    token, claims = claims_of(issuer)
    first, recorder = call(gw, transport, token, "drop_table", {"table": "t"})
    assert decision(first, recorder, transport) == "allowed"
    assert predicted(gw, claims, "call_tool", "drop_table") == "denied"
    after, recorder = call(gw, transport, token, "drop_table", {"table": "t"}, list_first=True)
    assert decision(after, recorder, transport) == (
        "denied" if transport == "streamable-http" else "allowed")


def test_a_policy_that_fails_to_evaluate_denies_even_if_another_permits(
        shared_gateway: Callable[..., Gateway], issuer: Issuer) -> None:
    transport: Transport = "streamable-http"
    policies = ['permit(principal, action == Action::"call_tool", resource == Tool::"query");',
                ('permit(principal, action == Action::"call_tool", resource) '
                 'when { principal.claim_department == "eng" };')]
    gw = shared_gateway(hosted_spec(transport, policies=policies), transport=transport)
    for extra, expected in (({}, "denied"), ({"department": "sales"}, "allowed")):
        token, claims = claims_of(issuer, **extra)
        result, recorder = call(gw, transport, token, "query", {"sql": "s"})
        assert (extra, decision(result, recorder, transport)) == (extra, expected)
        assert predicted(gw, claims, "call_tool", "query") == expected


PROMPT_AND_RESOURCE = [
    'permit(principal in Group::"analysts", action == Action::"get_prompt", '
    'resource == Prompt::"analyze_table");',
    'permit(principal in Group::"analysts", action == Action::"read_resource", '
    'resource == Resource::"schema://tables");',
]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_prompts_and_resources_are_authorized(
        shared_gateway: Callable[..., Gateway], issuer: Issuer, transport: Transport) -> None:
    gw = shared_gateway(hosted_spec(transport, policies=PROMPT_AND_RESOURCE),
                        transport=transport)
    member, member_claims = claims_of(issuer, groups=["analysts"])
    outsider, outsider_claims = claims_of(issuer, groups=["sales"])
    for kind, target, action, rpc in (("prompt", "analyze_table", "get_prompt", "prompts/get"),
                                      ("resource", "schema://tables", "read_resource",
                                       "resources/read")):
        for token, claims, expected in ((member, member_claims, "allowed"),
                                        (outsider, outsider_claims, "denied")):
            result, recorder = request(gw, transport, token, kind, target)
            assert (kind, decision(result, recorder, transport, rpc)) == (kind, expected)
            assert predicted(gw, claims, action, target) == expected
        # lists are filtered by the same decisions, over streamable-http only
        assert listed(gw, transport, member, kind) == [target]
        assert listed(gw, transport, outsider, kind) == (
            [] if transport == "streamable-http" else [target])
    # no policy permits a tool call: every tool is refused and none is listed
    result, recorder = call(gw, transport, member, "list_tables")
    assert decision(result, recorder, transport) == "denied"


def story_3_spec() -> dict[str, Any]:
    """The OEP's story 3 as the example's manifest has it."""
    manifest = ROOT / "examples" / "story-3-centralized-services" / "manifest.yaml"
    document = next(yaml.safe_load_all(manifest.read_text()))
    assert document["kind"] == "ClusterMCPServer"
    spec: dict[str, Any] = document["spec"]
    return spec


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_story_3_admins_may_do_everything_and_developers_nothing(
        shared_gateway: Callable[..., Gateway], issuer: Issuer, transport: Transport) -> None:
    """The story's policies and entities verbatim, with one change: its issuer is the
    Kubernetes API server, whose tokens carry no groups, so for the group policies to be
    put to the test the OIDC settings are the inline test issuer's (``hosted_spec``)."""
    spec = story_3_spec()
    assert spec["oidcConfig"]["type"] == "kubernetes"
    spec = {**spec, "transport": transport,
            "oidcConfig": hosted_spec(transport)["oidcConfig"]}
    gw = shared_gateway(spec, transport=transport, name="shared-tools-mcp",
                        kind="ClusterMCPServer")
    assert gw.rendered.namespace == "ome-mcp-system"
    assert any("policy 0 (permit) can never match an MCP request" in w
               for w in gw.rendered.warnings)
    admin, admin_claims = claims_of(issuer, sub="carol", groups=["admins"])
    developer, developer_claims = claims_of(issuer, sub="dave", groups=["developers"],
                                            department="data")
    for tool in TOOLS:
        arguments = {"sql": "s"} if tool == "query" else {"table": "t"} if (
            tool == "drop_table") else {}
        for token, claims, expected in ((admin, admin_claims, "allowed"),
                                        (developer, developer_claims, "denied")):
            result, recorder = call(gw, transport, token, tool, arguments)
            assert (tool, decision(result, recorder, transport)) == (tool, expected)
            assert predicted(gw, claims, "call_tool", tool) == expected
    for kind, target, rpc in (("prompt", "analyze_table", "prompts/get"),
                              ("resource", "schema://tables", "resources/read")):
        result, recorder = request(gw, transport, admin, kind, target)
        assert decision(result, recorder, transport, rpc) == "allowed"
        result, recorder = request(gw, transport, developer, kind, target)
        assert decision(result, recorder, transport, rpc) == "denied"
    assert listed_tools(gw, transport, admin) == set(TOOLS)
    assert listed_tools(gw, transport, developer) == (
        set() if transport == "streamable-http" else set(TOOLS))


def test_initialize_and_ping_always_pass_and_unknown_methods_are_denied(
        shared_gateway: Callable[..., Gateway], issuer: Issuer) -> None:
    """For a caller no policy admits to anything: the session still opens and answers
    ping; a method the gateway does not know is refused before the server sees it."""
    transport: Transport = "streamable-http"
    gw = shared_gateway(hosted_spec(transport, policies=[ANALYSTS_QUERY]), transport=transport)
    token = issuer.token(audience=AUDIENCE, groups=["sales"])
    headers = {"Authorization": f"Bearer {token}",
               "Accept": "application/json, text/event-stream"}
    with httpx2.Client(base_url=gw.url, headers=headers, timeout=10) as http:
        def rpc(method: str, ident: int | None = 1, **params: Any) -> httpx2.Response:
            message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
            if ident is not None:
                message["id"] = ident
            return http.post("/mcp", json=message)

        opened = rpc("initialize", protocolVersion="2025-06-18", capabilities={},
                     clientInfo={"name": "raw", "version": "1"})
        assert opened.status_code == 200
        http.headers["Mcp-Session-Id"] = opened.headers["mcp-session-id"]
        assert rpc("notifications/initialized", None).status_code == 202
        assert '"result":{}' in rpc("ping", 2).text.replace(" ", "")
        unknown = rpc("tools/destroy", 3, name="query")
        assert unknown.status_code == 403
        assert unknown.json()["error"] == {"code": 403, "message": "Unauthorized"}
