"""The MCP authorization model the gateway evaluates, and static checks of policies
against it.

The pinned gateway (ToolHive's proxy runner, ``pkg/authz``) asks Cedar one question per
MCP operation:

=====================  ======================  ===========================================
MCP method             action                  resource
=====================  ======================  ===========================================
``tools/call``         ``Action::"call_tool"``      ``Tool::"<tool name>"``
``prompts/get``        ``Action::"get_prompt"``     ``Prompt::"<prompt name>"``
``resources/read``     ``Action::"read_resource"``  ``Resource::"<resource URI>"``
=====================  ======================  ===========================================

The principal is ``Client::"<sub claim>"``; its parents are ``Group::"<g>"`` for each
``g`` of the token's group claim (``groups``, else ``roles``, else ``cognito:groups``,
each a JSON array of strings). Every resource has the parent ``MCP::"<server name>"``.
``tools/list``, ``prompts/list`` and ``resources/list`` are not authorized by an action
of their own: the gateway lets them through and removes from the answer each item whose
``call_tool`` / ``get_prompt`` / ``read_resource`` request Cedar would deny. ``initialize``
and ``ping`` are always allowed; MCP methods the gateway does not know are denied.

A policy whose scope cannot match any of those requests is dead: it is not an error
(Cedar accepts it), but almost certainly not what its author meant, so it is reported.
The analysis reads Cedar's JSON form of the policy scope; of ``when``/``unless``
conditions only the constant ``when { false }`` / ``unless { true }`` are judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ome_mcp_components.plan.auth.cedar import PolicyError, normalized_entities, parse_policy

#: Entity type of the principal: ``Client::"<sub>"``.
CLIENT = "Client"
#: Entity type of the principal's groups. ToolHive's default is ``THVGroup``; the
#: generated config sets ``group_entity_type`` to the OEP's spelling, ``Group``.
GROUP_ENTITY_TYPE = "Group"
#: JWT claims the gateway reads group names from, first present wins (ToolHive default).
DEFAULT_GROUP_CLAIMS = ("groups", "roles", "cognito:groups")
#: Entity type of actions.
ACTION = "Action"
CALL_TOOL = "call_tool"
GET_PROMPT = "get_prompt"
READ_RESOURCE = "read_resource"
#: The actions the gateway evaluates, each with the resource type it comes with.
MCP_ACTIONS: dict[str, str] = {CALL_TOOL: "Tool", GET_PROMPT: "Prompt",
                               READ_RESOURCE: "Resource"}
#: Resource entity types.
RESOURCE_TYPES = ("Tool", "Prompt", "Resource")
#: Parent of every resource entity: ``MCP::"<server name>"``.
SERVER_ENTITY_TYPE = "MCP"
#: Actions ToolHive defines for list calls but never evaluates (lists are filtered).
LIST_ACTIONS = ("list_tools", "list_prompts", "list_resources")
#: Attributes of a ``Tool`` resource copied from the tool's annotations. The gateway
#: knows them only from the ``tools/list`` answers it has forwarded over streamable-http
#: (its annotation cache; over sse the answers bypass it), so they are often absent.
ANNOTATION_ATTRIBUTES = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
#: Entity types the gateway builds afresh for every request: an entity of these types in
#: ``entitiesJSON`` is replaced by the request's own (its attrs and parents are ignored).
REQUEST_ENTITY_TYPES = (CLIENT, ACTION, *RESOURCE_TYPES)


def is_permit_all(policy: str) -> bool:
    """True for a ``permit`` with no scope constraint and no condition (or only constantly
    true ones, ``when { true }`` / ``unless { false }``): it allows anyone who passes
    authentication to do anything."""
    try:
        parsed = parse_policy(policy)
    except PolicyError:
        return False
    return (parsed["effect"] == "permit"
            and all(c["body"] == {"Value": c["kind"] == "when"} for c in parsed["conditions"])
            and all(parsed[part]["op"] == "All" for part in ("principal", "action", "resource")))


def mcp_model_warnings(
    policies: Sequence[str],
    *,
    group_entity_type: str = GROUP_ENTITY_TYPE,
    entities_json: str = "[]",
) -> list[str]:
    """One warning per policy that can never match a request of the gateway, naming the
    policy by its index (and ``@id``) and saying why. Unparsable policies are reported
    too (validation refuses them; this function never raises)."""
    ancestors = _ancestor_types(entities_json)
    warnings = []
    for index, text in enumerate(policies):
        try:
            policy = parse_policy(text)
        except PolicyError as exc:
            warnings.append(f"policy {index} cannot be checked against the MCP model: {exc}")
            continue
        reasons = _dead_scope(policy, group_entity_type, ancestors)
        if reasons:
            name = f"policy {index}" + (f" (@id {policy['annotations']['id']!r})"
                                        if "id" in policy.get("annotations", {}) else "")
            warnings.append(f"{name} ({policy['effect']}) can never match an MCP request: "
                            + "; ".join(reasons))
    return warnings


def group_policies(policies: Sequence[str], group_entity_type: str = GROUP_ENTITY_TYPE
                   ) -> list[int]:
    """Indices of the policies whose principal scope needs group membership."""
    found = []
    for index, text in enumerate(policies):
        try:
            scope = parse_policy(text)["principal"]
        except PolicyError:
            continue
        if scope.get("in", scope).get("entity", {}).get("type") == group_entity_type:
            found.append(index)
    return found


def annotation_policies(policies: Sequence[str]) -> dict[int, list[str]]:
    """For each policy whose conditions read a tool annotation of the resource
    (``resource.readOnlyHint``, ``resource has destructiveHint``, ...), the annotations."""
    found: dict[int, list[str]] = {}
    for index, text in enumerate(policies):
        try:
            conditions = parse_policy(text)["conditions"]
        except PolicyError:
            continue
        names = sorted(set(_resource_attributes(conditions)) & set(ANNOTATION_ATTRIBUTES))
        if names:
            found[index] = names
    return found


def _resource_attributes(node: Any) -> Iterable[str]:
    """Names of the attributes of ``resource`` that a condition (Cedar JSON) reads."""
    if isinstance(node, dict):
        if node.get("left") == {"Var": "resource"} and isinstance(node.get("attr"), str):
            yield node["attr"]
        for value in node.values():
            yield from _resource_attributes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _resource_attributes(value)


def entities_warnings(entities_json: str) -> list[str]:
    """Entities of ``entitiesJSON`` the gateway ignores because it builds them per request."""
    shadowed = sorted({f'{e["uid"]["type"]}::"{e["uid"]["id"]}"'
                       for e in normalized_entities(entities_json)
                       if e["uid"]["type"] in REQUEST_ENTITY_TYPES})
    if not shadowed:
        return []
    return [f"entitiesJSON defines {', '.join(shadowed)}: the gateway builds the principal, "
            f"action and resource entities afresh for every request, so their attrs and "
            f"parents are ignored (group membership comes from the token's group claim)"]


def _ancestor_types(entities_json: str) -> dict[str, set[str]]:
    """For each entity type in ``entities_json``, the types of its ancestors."""
    edges: dict[str, set[str]] = {}
    for entity in normalized_entities(entities_json):
        parents = entity["parents"] if isinstance(entity["parents"], list) else []
        edges.setdefault(entity["uid"]["type"], set()).update(
            str(p.get("type")) for p in parents if isinstance(p, dict))
    closure: dict[str, set[str]] = {}
    for start in edges:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            kind = todo.pop()
            if kind not in seen:
                seen.add(kind)
                todo.extend(edges.get(kind, ()))
        closure[start] = seen
    return closure


def _dead_scope(policy: dict[str, Any], group_type: str,
                ancestors: dict[str, set[str]]) -> list[str]:
    reasons = []
    principal_types = {CLIENT, group_type, *ancestors.get(group_type, ())}
    reason = _principal(policy["principal"], principal_types)
    if reason:
        reasons.append(reason)
    actions, reason = _actions(policy["action"])
    if reason:
        reasons.append(reason)
    server_types = {SERVER_ENTITY_TYPE, *ancestors.get(SERVER_ENTITY_TYPE, ())}
    resource_types, reason = _resources(policy["resource"], server_types)
    if reason:
        reasons.append(reason)
    if actions and resource_types and not any(MCP_ACTIONS[a] in resource_types
                                              for a in actions):
        reasons.append(f"{_names(ACTION, actions)} applies to "
                       f"{', '.join(sorted({MCP_ACTIONS[a] for a in actions}))} resources, but "
                       f"the resource must be {' or '.join(sorted(resource_types))}")
    for condition in policy["conditions"]:
        if condition["body"] == {"Value": condition["kind"] == "unless"}:
            reasons.append(f"its condition is constantly false ({condition['kind']} "
                           f"{{ {str(condition['kind'] == 'unless').lower()} }})")
    return reasons


def _principal(scope: dict[str, Any], ancestor_types: set[str]) -> str | None:
    op = scope["op"]
    if op == "==" and scope["entity"]["type"] != CLIENT:
        return (f"the principal is always a {CLIENT}, never "
                f"{_uid(scope['entity'])}")
    if op == "is" and scope["entity_type"] != CLIENT:
        return f"the principal is always a {CLIENT}, never a {scope['entity_type']}"
    target = scope.get("in", scope if op == "in" else {}).get("entity")
    if target is not None and target["type"] not in ancestor_types:
        return (f"a {CLIENT} is only ever in itself or in its groups "
                f"({' / '.join(sorted(ancestor_types - {CLIENT}))}), never in "
                f"{_uid(target)}")
    return None


def _actions(scope: dict[str, Any]) -> tuple[set[str], str | None]:
    if scope["op"] == "All":
        return set(MCP_ACTIONS), None
    listed = scope["entities"] if "entities" in scope else [scope["entity"]]
    ids = {e["id"] for e in listed if e["type"] == ACTION}
    known = ids & set(MCP_ACTIONS)
    if known:
        return known, None
    verb = "is not an action" if len(listed) == 1 else "are not actions"
    why = (f"{', '.join(_uid(e) for e in listed)} {verb} the gateway evaluates "
           f"(only {_names(ACTION, MCP_ACTIONS)})")
    if ids & set(LIST_ACTIONS):
        why += "; list calls are filtered by the call_tool/get_prompt/read_resource decision"
    return set(), why


def _resources(scope: dict[str, Any], server_types: set[str]) -> tuple[set[str], str | None]:
    op = scope["op"]
    if op == "All":
        return set(RESOURCE_TYPES), None
    kinds = set(RESOURCE_TYPES)
    if op == "is":
        kinds &= {scope["entity_type"]}
    elif op == "==":
        kinds &= {scope["entity"]["type"]}
    target = scope.get("in", scope if op == "in" else {}).get("entity")
    if target is not None and target["type"] not in server_types:
        kinds &= {target["type"]}
    if kinds:
        return kinds, None
    shown = _uid(target) if target is not None else scope.get("entity_type") or _uid(
        scope["entity"])
    return set(), (f"the resource is always a {' / '.join(RESOURCE_TYPES)} in "
                   f"{SERVER_ENTITY_TYPE}::\"<server>\", never {shown}")


def _uid(entity: dict[str, Any]) -> str:
    return f'{entity["type"]}::"{entity["id"]}"'


def _names(kind: str, ids: Iterable[str]) -> str:
    return ", ".join(f'{kind}::"{i}"' for i in sorted(ids))
