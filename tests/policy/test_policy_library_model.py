"""The pack's Cedar and host checks are the components' own: the pack judges every input
as ``ome_mcp_components`` does, and says what the components warn about at deploy time.

The MCP model (``ome_mcp_components.plan.auth.mcp_model``, after the pinned gateway): actions
``call_tool``, ``get_prompt``, ``read_resource`` only (list calls are filtered per item,
so ``Action::"list_tools"`` never matches); principal ``Client`` in its ``Group``s
(``group_entity_type`` is configured as ``Group``); resources ``Tool``, ``Prompt``,
``Resource`` in ``MCP::"<server>"``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from ome_mcp_policy import POLICIES
from policy_fixtures import PACK_DIR, TYPES, component, run_resource_policy, run_stack_policy

from ome_mcp_components import MCPServer
from ome_mcp_components.models import MCPServerSpec
from ome_mcp_components.offline import engine
from ome_mcp_components.plan import auth

MATCH = "cedar-policies-match-mcp"
PERMIT_ALL = "cedar-no-permit-all"


def _server(*policies: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    inline: dict[str, Any] = {"policies": list(policies)}
    if entities is not None:
        inline["entitiesJSON"] = json.dumps(entities)
    return {"image": "ghcr.io/acme/tool:v1", "transport": "streamable-http",
            "oidcConfig": {"type": "inline", "inline": {"issuer": "https://auth.example.com",
                                                        "audience": "tools"}},
            "authzConfig": {"type": "inline", "inline": inline}}


def _props(*policies: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A server component's recorded inputs (the policies unchecked: the pack also sees
    inputs written by hand)."""
    spec = _server(*policies, entities=entities)
    return component("srv", {**MCPServerSpec.model_validate(
        _server('permit(principal, action, resource);')).wire(),
        "authzConfig": {"type": "inline", "inline": spec["authzConfig"]["inline"]}})


MATCHABLE = {
    "call a named tool": 'permit(principal == Client::"alice", action == Action::"call_tool", '
                         'resource == Tool::"query");',
    "group, any action": 'permit(principal in Group::"admins", action, resource);',
    "is Client in Group": 'permit(principal is Client in Group::"devs", action in '
                          '[Action::"list_tools", Action::"call_tool"], resource is Tool);',
    "prompts": 'permit(principal, action == Action::"get_prompt", resource is Prompt);',
    "resources of the server": 'permit(principal, action == Action::"read_resource", '
                               'resource in MCP::"srv");',
    "forbid a tool": 'forbid(principal, action, resource == Tool::"drop_table");',
    "non-constant condition": 'permit(principal, action, resource) when { '
                              'principal.claim_level > 3 };',
}
UNMATCHABLE = {
    "list_tools": ('permit(principal, action == Action::"list_tools", resource);',
                   "list calls are filtered"),
    "list actions only": ('permit(principal, action in [Action::"list_prompts", '
                          'Action::"list_resources"], resource);', "list calls are filtered"),
    "unknown action": ('permit(principal, action == Action::"query", resource);', "query"),
    "unknown resource type": ('permit(principal, action, resource in ResourceType::"database");',
                              "ResourceType"),
    "principal of another type": ('permit(principal == User::"bob", action, resource);',
                                  "User"),
    "ToolHive's default group type": ('permit(principal in THVGroup::"a", action, resource);',
                                      "THVGroup"),
    "principal is Group": ("permit(principal is Group, action, resource);", "Group"),
    "namespaced action": ('permit(principal, action == MCP::Action::"call_tool", resource);',
                          "MCP::Action"),
    "call_tool on a prompt": ('permit(principal, action == Action::"call_tool", '
                              'resource is Prompt);', "Prompt"),
    "when false": ("permit(principal, action, resource) when { false };", "constantly false"),
    "unless true": ("permit(principal, action, resource) unless { true };", "constantly false"),
    "two policies in one entry": ("permit(principal, action, resource); forbid(principal, "
                                  "action, resource);", "holds 2 policies"),
    "syntax error": ("permit(principal, action", "cannot parse"),
}


@pytest.mark.parametrize("text", MATCHABLE.values(), ids=MATCHABLE.keys())
def test_policy_that_can_match(text: str) -> None:
    assert run_resource_policy(MATCH, TYPES["MCPServer"], _props(text)) == []
    assert auth.mcp_model_warnings([text]) == []


@pytest.mark.parametrize(("text", "named"), UNMATCHABLE.values(), ids=UNMATCHABLE.keys())
def test_policy_that_never_matches(text: str, named: str) -> None:
    [message] = run_resource_policy(MATCH, TYPES["MCPServer"], _props(text))
    [warning] = auth.mcp_model_warnings([text])
    assert named in warning
    assert f"MCPServer 'tools/srv': spec.authzConfig.inline: {warning}." in message


def test_groups_of_groups_from_entities_json() -> None:
    """A Group's parents declared in entitiesJSON are principals' ancestors too."""
    text = 'permit(principal in Department::"data", action, resource);'
    entities = [{"uid": {"type": "Group", "id": "analysts"}, "attrs": {},
                 "parents": [{"type": "Department", "id": "data"}]}]
    assert run_resource_policy(MATCH, TYPES["MCPServer"], _props(text, entities=entities)) == []
    assert run_resource_policy(MATCH, TYPES["MCPServer"], _props(text))


@pytest.mark.parametrize(("text", "everything"), [
    ("permit(principal, action, resource);", True),
    ("permit(principal, action, resource) when { true };", True),
    ("permit(principal, action, resource) when { true } unless { false };", True),
    ("forbid(principal, action, resource);", False),
    ('permit(principal in Group::"admins", action, resource);', False),
    ("permit(principal, action, resource) when { context.x };", False),
    ("permit(principal, action", False),
], ids=["bare", "when true", "trivial conditions", "forbid", "scoped principal",
        "real condition", "does not parse"])
def test_permit_all(text: str, everything: bool) -> None:
    messages = run_resource_policy(PERMIT_ALL, TYPES["MCPServer"], _props(text))
    assert bool(messages) is everything is auth.is_permit_all(text)


def test_pack_modules_hold_no_copy_of_the_model() -> None:
    """The pack names no MCP action or host list of its own (they live in the library)."""
    source = "\n".join(p.read_text() for p in (PACK_DIR / "ome_mcp_policy").glob("*.py"))
    for copy in ('"call_tool"', '"list_tools"', '"kubernetes.default.svc"', "cedarpy",
                 "ipaddress"):
        assert copy not in source, copy
    assert not (PACK_DIR / "ome_mcp_policy" / "mcp_cedar.py").exists()


# --- the pack and the components, on the same program -------------------------------------


def _warnings_and_findings(spec: dict[str, Any], enforcement: str = "kubernetes"
                           ) -> tuple[list[str], list[str]]:
    """The components' deploy-time warnings, and every finding of the pack's component and
    stack policies, for one MCPServer rendered by the offline engine."""
    recording = engine.run_program(lambda: MCPServer("srv", {
        "metadata": {"namespace": "tools"}, "spec": spec,
        "network_enforcement": enforcement}))
    [server] = [r for r in recording.resources if r.type == TYPES["MCPServer"]]
    findings = [m for p in POLICIES if p.name in (MATCH, PERMIT_ALL)
                for m in run_resource_policy(p.name, server.type, server.inputs)]
    findings += [m for _, m in run_stack_policy(
        "profile-host-names-need-cilium", [(r.type, r.inputs) for r in recording.resources])]
    return list(recording.warnings), findings


def test_pack_and_components_agree_on_cedar() -> None:
    policies = ['permit(principal in Group::"devs", action == Action::"call_tool", '
                'resource == Tool::"query");',
                'permit(principal, action == Action::"list_tools", resource);',
                'permit(principal, action in [Action::"read", Action::"query"], '
                'resource in ResourceType::"database");']
    warnings, findings = _warnings_and_findings(_server(*policies))
    expected = auth.mcp_model_warnings(policies)
    assert [w for w in warnings if "can never match an MCP request" in w] == [
        f"warning: ome-mcp:index:MCPServer (srv): MCPServer 'srv': {w}" for w in expected]
    assert [f.split("\n")[0] for f in findings] == [
        f"MCPServer 'tools/srv': spec.authzConfig.inline: {w}." for w in expected]


@pytest.mark.parametrize("enforcement", ["kubernetes", "cilium"])
def test_pack_and_components_agree_on_hosts(enforcement: str) -> None:
    hosts = ["api.example.com", "10.0.0.0/8", "db.data.svc", "kubernetes.default.svc",
             "localhost", "*.ocicloud.com", "cache"]
    spec = {"image": "ghcr.io/acme/tool:v1", "transport": "streamable-http",
            "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "srv"}},
            "permissionProfile": {"type": "inline", "inline": {"network": {"outbound": {
                "allowHost": hosts, "allowPort": [443]}}}}}
    warnings, findings = _warnings_and_findings(spec, enforcement)
    unenforced = ["api.example.com", "kubernetes.default.svc", "*.ocicloud.com"]
    warned = [w for w in warnings if "NetworkPolicy cannot enforce" in w]
    if enforcement == "cilium":
        assert warned == []
        assert findings == []
        return
    [warning] = warned
    assert warning.split("cannot enforce: ")[1].split(". ")[0] == ", ".join(unenforced)
    [finding] = findings
    assert f"allowHost {unenforced} cannot be allowed by NetworkPolicy" in finding
