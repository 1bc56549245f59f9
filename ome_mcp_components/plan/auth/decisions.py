"""What the gateway would decide: its Cedar requests, rebuilt and evaluated with cedarpy.

This mirrors how the pinned proxy runner (``pkg/authz/authorizers/cedar``) builds a
request from a validated token, so policies can be checked for meaning before they are
deployed (``is_allowed``, ``visible_tools``):

- principal ``Client::"<sub>"``, attrs ``claim_<name>`` for every claim, parents
  ``<group entity type>::"<g>"`` for every group of the group claim (and role claim);
- action ``Action::"call_tool" | "get_prompt" | "read_resource"``, attr ``operation``;
- resource ``Tool::"<name>"`` (attrs: the tool's annotations, ``name``, ``operation``
  ``"call"``, ``feature`` ``"tool"``), ``Prompt::"<name>"`` or ``Resource::"<uri>"``, with
  parent ``MCP::"<server name>"``; the call's arguments as ``arg_<name>`` attrs;
- context: the ``claim_*`` and ``arg_*`` values;
- entities: ``entitiesJSON`` with the request's own entities on top.

Cedar's answer is ``Allow`` only if no policy failed to evaluate: the gateway denies a
request whenever Cedar reports an evaluation error, even if another policy permits it.
This is an emulation for checking policies, not the gateway itself; ``tests/gateway``
compares its decisions with the real gateway's. The one input it cannot know is when the
gateway has a tool's annotations: only after a ``tools/list`` answer it forwarded over
streamable-http (never over sse); pass ``annotations=None`` for its decision before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cedarpy

from ome_mcp_components.plan.auth import mcp_model
from ome_mcp_components.plan.auth.cedar import normalized_entities
from ome_mcp_components.plan.context import AuthzSettings

#: Claim values nest at most this deep in Cedar records (ToolHive drops deeper values).
MAX_DEPTH = 10
#: Numbers become Cedar decimals (four fractional digits, 64-bit): this is their bound.
DECIMAL_LIMIT = 922_337_203_685_477
_FEATURES = {mcp_model.CALL_TOOL: ("call", "tool"), mcp_model.GET_PROMPT: ("get", "prompt"),
             mcp_model.READ_RESOURCE: ("read", "resource")}


def is_allowed(
    authz: AuthzSettings,
    *,
    claims: Mapping[str, Any],
    action: str,
    resource_id: str,
    server_name: str,
    arguments: Mapping[str, Any] | None = None,
    annotations: Mapping[str, bool] | None = None,
) -> bool:
    """Would the gateway let a caller with these token ``claims`` perform ``action``
    (``call_tool``, ``get_prompt`` or ``read_resource``) on ``resource_id``? For a tool,
    ``annotations`` are the ones the server lists, as the gateway knows them once the
    tools have been listed through it (see the module docstring)."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        return False  # ToolHive: missing principal, denied
    request, entities = gateway_request(
        authz, claims=claims, action=action, resource_id=resource_id,
        server_name=server_name, arguments=arguments, annotations=annotations)
    # each entry holds exactly one policy (validated), so joining them keeps them apart
    result = cedarpy.is_authorized(request, "\n".join(authz.policies), entities)
    errors = result.diagnostics.errors if result.diagnostics else []
    return bool(result.allowed) and not errors


def visible_tools(
    authz: AuthzSettings,
    *,
    claims: Mapping[str, Any],
    tools: Mapping[str, Mapping[str, bool] | None],
    server_name: str,
) -> list[str]:
    """The tools a ``tools/list`` answer keeps for this caller: the gateway removes each
    tool whose ``call_tool`` request would be denied. ``tools`` maps names to annotations."""
    return [name for name, annotations in tools.items()
            if is_allowed(authz, claims=claims, action=mcp_model.CALL_TOOL, resource_id=name,
                          server_name=server_name, annotations=annotations)]


def gateway_request(
    authz: AuthzSettings,
    *,
    claims: Mapping[str, Any],
    action: str,
    resource_id: str,
    server_name: str,
    arguments: Mapping[str, Any] | None = None,
    annotations: Mapping[str, bool] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The cedarpy request and entity list the gateway's request amounts to."""
    if action not in mcp_model.MCP_ACTIONS:
        raise ValueError(f"{action!r} is not an action the gateway evaluates")
    options = authz.cedar_options
    group_type = str(options.get("group_entity_type", mcp_model.GROUP_ENTITY_TYPE))
    claim_attrs = {f"claim_{k}": v for k, v in claims.items()}
    args = _arguments(arguments or {})
    operation, feature = _FEATURES[action]
    standard: dict[str, Any] = {"name": resource_id, "operation": operation, "feature": feature}
    if action == mcp_model.CALL_TOOL:  # annotations first, standard attrs win
        resource_attrs = {**(annotations or {}), **args, **standard}
    elif action == mcp_model.READ_RESOURCE:
        resource_attrs = {**standard, "uri": resource_id, **args}
    else:
        resource_attrs = {**standard, **args}
    resource_type = mcp_model.MCP_ACTIONS[action]
    principal = _uid(mcp_model.CLIENT, str(claims["sub"]))
    request_entities = [
        _entity(principal, claim_attrs,
                [_uid(group_type, g) for g in groups(claims, options)]),
        _entity(_uid(mcp_model.ACTION, action), {"operation": action}, []),
        _entity(_uid(resource_type, resource_id), resource_attrs,
                [_uid(mcp_model.SERVER_ENTITY_TYPE, server_name)]),
    ]
    by_uid = {_key(e): e for e in _loads(authz.entities_json)}
    by_uid.update((_key(e), e) for e in request_entities)  # the request's own entities win
    request = {
        "principal": principal,
        "action": _uid(mcp_model.ACTION, action),
        "resource": _uid(resource_type, resource_id),
        "context": _record({**claim_attrs, **args}),
    }
    return request, list(by_uid.values())


def groups(claims: Mapping[str, Any], options: Mapping[str, Any]) -> list[str]:
    """Group names of the token: the configured group claim, else the first of the
    well-known claims present, plus the role claim if one is configured."""
    found = _claim_list(claims, options.get("group_claim_name"))
    for name in mcp_model.DEFAULT_GROUP_CLAIMS:
        if found is not None:
            break
        found = _claim_list(claims, name)
    names = [*(found or []), *(_claim_list(claims, options.get("role_claim_name")) or [])]
    return list(dict.fromkeys(names))


def _claim_list(claims: Mapping[str, Any], name: Any) -> list[str] | None:
    if not isinstance(name, str) or not name:
        return None
    value: Any = claims.get(name)
    if value is None and "." in name:  # Keycloak-style nested claim, e.g. realm_access.roles
        value = claims
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if not isinstance(value, list):
        return None
    return [v for v in value if isinstance(v, str)]


def _arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``arg_<name>`` for scalar arguments, ``arg_<name>_present`` for the others."""
    result: dict[str, Any] = {}
    for key, value in arguments.items():
        if isinstance(value, str | bool | int | float):
            result[f"arg_{key}"] = value
        else:
            result[f"arg_{key}_present"] = True
    return result


def _value(value: Any, depth: int = 0) -> Any:
    """A JSON value as Cedar sees it through ToolHive (numbers become decimals)."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        if not abs(value) < DECIMAL_LIMIT:
            return None  # ToolHive drops a number Cedar's decimal cannot hold
        return {"__extn": {"fn": "decimal", "arg": f"{value:.4f}"}}
    if isinstance(value, list):
        return [v for v in (_value(item, depth + 1) for item in value) if v is not None]
    if isinstance(value, Mapping):
        return _record(value, depth + 1)
    return None


def _record(values: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    converted = {str(k): _value(v, depth) for k, v in values.items()}
    return {k: v for k, v in converted.items() if v is not None}


def _entity(uid: dict[str, str], attrs: Mapping[str, Any],
            parents: Sequence[dict[str, str]]) -> dict[str, Any]:
    return {"uid": uid, "attrs": _record(attrs), "parents": list(parents)}


def _uid(kind: str, ident: str) -> dict[str, str]:
    return {"type": kind, "id": ident}


def _key(entity: Mapping[str, Any]) -> tuple[str, str]:
    return entity["uid"]["type"], entity["uid"]["id"]


def _loads(entities_json: str) -> list[dict[str, Any]]:
    return normalized_entities(entities_json)
