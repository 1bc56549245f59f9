"""The pack's Cedar checks against the MCP authorization model."""

from __future__ import annotations

import pytest
from ome_mcp_policy import mcp_cedar


def _one(text: str) -> mcp_cedar.CedarPolicy:
    [policy] = mcp_cedar.parse([text])
    return policy


MATCHABLE = {
    "call a named tool": 'permit(principal == Client::"alice", action == Action::"call_tool", '
                         'resource == Tool::"query");',
    "group, any action": 'permit(principal in Group::"admins", action, resource);',
    "is Client in Group": 'permit(principal is Client in Group::"devs", action in '
                          '[Action::"list_tools", Action::"call_tool"], resource is Tool);',
    "prompts": 'permit(principal, action == Action::"get_prompt", resource is Prompt);',
    "list actions on anything": 'permit(principal, action == Action::"list_resources", '
                                'resource is Resource);',
    "forbid a tool": 'forbid(principal, action, resource == Tool::"drop_table");',
    "non-constant condition": 'permit(principal, action, resource) when { '
                              'principal.level > 3 };',
}
UNMATCHABLE = {
    "unknown action": ('permit(principal, action == Action::"query", resource);', "query"),
    "unknown resource type": ('permit(principal, action, resource in ResourceType::"database");',
                              "ResourceType"),
    "principal of another type": ('permit(principal == User::"bob", action, resource);',
                                  "User"),
    "principal in a non-group": ('permit(principal in Team::"a", action, resource);', "Team"),
    "principal is Group": ('permit(principal is Group, action, resource);', "Group"),
    "namespaced action": ('permit(principal, action == MCP::Action::"call_tool", resource);',
                          "MCP::Action"),
    "call_tool on a prompt": ('permit(principal, action == Action::"call_tool", '
                              'resource is Prompt);', "Prompt"),
    "when false": ('permit(principal, action, resource) when { false };', "constantly false"),
    "unless true": ('permit(principal, action, resource) unless { true };', "constantly false"),
}


@pytest.mark.parametrize("text", MATCHABLE.values(), ids=MATCHABLE.keys())
def test_policy_that_can_match(text: str) -> None:
    assert mcp_cedar.never_matches(_one(text)) is None


@pytest.mark.parametrize(("text", "named"), UNMATCHABLE.values(), ids=UNMATCHABLE.keys())
def test_policy_that_never_matches(text: str, named: str) -> None:
    reason = mcp_cedar.never_matches(_one(text))
    assert reason is not None
    assert named in reason


@pytest.mark.parametrize(("text", "everything"), [
    ("permit(principal, action, resource);", True),
    ("permit(principal, action, resource) when { true } unless { false };", True),
    ("forbid(principal, action, resource);", False),
    ('permit(principal in Group::"admins", action, resource);', False),
    ("permit(principal, action, resource) when { context.x };", False),
], ids=["bare", "trivial conditions", "forbid", "scoped principal", "real condition"])
def test_permits_everything(text: str, everything: bool) -> None:
    assert mcp_cedar.permits_everything(_one(text)) is everything


def test_parse_error_names_the_index() -> None:
    with pytest.raises(mcp_cedar.CedarSyntaxError, match=r"policies\[1\]"):
        list(mcp_cedar.parse(["permit(principal, action, resource);", "permit(principal"]))
