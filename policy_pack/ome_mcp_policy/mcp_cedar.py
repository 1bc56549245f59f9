"""Cedar policies judged against the MCP authorization model, parsed with cedarpy.

This module is the one place the pack knows the model; when ``ome_mcp_components.auth``
offers the same check, ``never_matches`` and ``permits_everything`` should call it
instead (the pack keeps no other copy).

The model (the gateway's, after ToolHive):

- principal: ``Client::"<subject>"``, whose parents are ``Group`` entities;
- action: ``Action::"call_tool"``, ``"get_prompt"``, ``"read_resource"`` and the list
  actions ``"list_tools"``, ``"list_prompts"``, ``"list_resources"``; actions have no
  parents;
- resource: ``Tool``, ``Prompt`` or ``Resource`` entities, without parents; ``call_tool``
  acts on a Tool, ``get_prompt`` on a Prompt, ``read_resource`` on a Resource.

A policy "can never match" when its scope or a constant condition excludes every request
of that model (the OEP's ``Action::"query"`` or ``ResourceType::"database"``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import cedarpy

PRINCIPAL_TYPE = "Client"
PRINCIPAL_PARENT_TYPES = frozenset({"Group"})
ACTION_TYPE = "Action"
#: Each MCP action, and the resource type it acts on (None: the list actions, on any).
ACTIONS: dict[str, str | None] = {
    "call_tool": "Tool",
    "get_prompt": "Prompt",
    "read_resource": "Resource",
    "list_tools": None,
    "list_prompts": None,
    "list_resources": None,
}
RESOURCE_TYPES = frozenset({"Tool", "Prompt", "Resource"})


class CedarSyntaxError(ValueError):
    """A policy text that Cedar cannot parse."""


@dataclass(frozen=True)
class CedarPolicy:
    """One static policy: where it came from (index in the list) and its JSON form."""

    index: int
    ast: Mapping[str, Any]

    @property
    def effect(self) -> str:
        """``permit`` or ``forbid``."""
        return str(self.ast.get("effect"))


def parse(policies: list[str]) -> Iterator[CedarPolicy]:
    """Every static policy in ``policies`` (a list of Cedar texts), tagged by list index.

    Raises ``CedarSyntaxError`` naming the index of the first text that does not parse.
    """
    for index, text in enumerate(policies):
        try:
            document = json.loads(cedarpy.policies_to_json_str(text))
        except ValueError as e:
            raise CedarSyntaxError(f"policies[{index}] does not parse: {e}") from e
        for ast in document.get("staticPolicies", {}).values():
            yield CedarPolicy(index, ast)


def _constant(condition: Mapping[str, Any]) -> bool | None:
    body = condition.get("body")
    if isinstance(body, Mapping) and set(body) == {"Value"} and isinstance(body["Value"], bool):
        return bool(body["Value"]) if condition.get("kind") == "when" else not body["Value"]
    return None


def permits_everything(policy: CedarPolicy) -> bool:
    """True for ``permit(principal, action, resource)`` with no condition that can fail."""
    if policy.effect != "permit":
        return False
    scope_open = all(policy.ast.get(part, {}).get("op") == "All"
                     for part in ("principal", "action", "resource"))
    conditions = policy.ast.get("conditions", [])
    return scope_open and all(_constant(c) is True for c in conditions)


def _entity_type(node: Mapping[str, Any]) -> str | None:
    entity = node.get("entity")
    return str(entity.get("type")) if isinstance(entity, Mapping) else None


def _principal_problem(scope: Mapping[str, Any]) -> str | None:
    op = scope.get("op")
    if op == "==" and _entity_type(scope) != PRINCIPAL_TYPE:
        return f"principal == {_entity_type(scope)}::... (principals are {PRINCIPAL_TYPE})"
    if op == "in":
        kind = _entity_type(scope)
        if kind not in PRINCIPAL_PARENT_TYPES | {PRINCIPAL_TYPE}:
            return f"principal in {kind}::... (a {PRINCIPAL_TYPE} is only in a Group)"
    if op == "is":
        kind = str(scope.get("entity_type"))
        if kind != PRINCIPAL_TYPE:
            return f"principal is {kind} (principals are {PRINCIPAL_TYPE})"
        parent = _entity_type(scope.get("in", {})) if scope.get("in") else None
        if parent is not None and parent not in PRINCIPAL_PARENT_TYPES | {PRINCIPAL_TYPE}:
            return f"principal is {kind} in {parent}::... (a {PRINCIPAL_TYPE} is only in a Group)"
    return None


def _actions(scope: Mapping[str, Any]) -> list[tuple[str, str]] | None:
    """The (type, id) pairs an action scope names; None when it names none (``action``)."""
    if scope.get("op") == "==" or (scope.get("op") == "in" and "entity" in scope):
        entities = [scope.get("entity", {})]
    elif scope.get("op") == "in":
        entities = list(scope.get("entities", []))
    else:
        return None
    return [(str(e.get("type")), str(e.get("id"))) for e in entities]


def _resource_types(scope: Mapping[str, Any]) -> set[str] | None:
    """The resource types a resource scope admits; None when it admits any."""
    op = scope.get("op")
    if op in ("==", "in"):
        return {str(_entity_type(scope))}
    if op == "is":
        kind = str(scope.get("entity_type"))
        parent = _entity_type(scope.get("in", {})) if scope.get("in") else None
        # resources have no parents: "is T in E" matches only E itself, so E must be a T
        return {kind} if parent in (None, kind) else set()
    return None


def never_matches(policy: CedarPolicy) -> str | None:
    """Why no MCP request can ever match ``policy``, or None if one can."""
    for condition in policy.ast.get("conditions", []):
        if _constant(condition) is False:
            return f"its {condition.get('kind')} condition is constantly false"
    problem = _principal_problem(policy.ast.get("principal", {}))
    if problem:
        return problem
    named = _actions(policy.ast.get("action", {}))
    actions = None
    if named is not None:
        actions = [i for t, i in named if t == ACTION_TYPE and i in ACTIONS]
        if not actions:
            names = ", ".join(f'{t}::"{i}"' for t, i in named)
            return f"no MCP action among {names} (MCP actions: {', '.join(ACTIONS)})"
    types = _resource_types(policy.ast.get("resource", {}))
    if types is not None:
        mcp_types = types & RESOURCE_TYPES
        if not mcp_types:
            return (f"resource of type {', '.join(sorted(types)) or 'none'} "
                    f"(MCP resources: {', '.join(sorted(RESOURCE_TYPES))})")
        if actions is not None:
            acted_on = {ACTIONS[a] for a in actions}
            if None not in acted_on and not (acted_on & mcp_types):
                return (f"actions {actions} act on {sorted(t for t in acted_on if t)}, "
                        f"not on {sorted(mcp_types)}")
    return None
