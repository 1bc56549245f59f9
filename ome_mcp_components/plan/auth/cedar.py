"""Cedar policies and entities: parsed with cedarpy, resolved into ``AuthzSettings``.

The gateway (ToolHive's proxy runner, see ``gateway.py``) parses every policy string on
its own with cedar-go's single-policy parser, which reads the first policy of the string
and silently ignores anything after it. So each entry must hold exactly one static
policy: a string with two policies, or a template (``?principal``), is refused here
rather than half-enforced there.

The authorization config the gateway reads is ToolHive's ``cedarv1`` format::

    {"version": "1.0", "type": "cedarv1",
     "cedar": {"policies": [...], "entities_json": "[...]", "group_entity_type": "Group"}}

``inline`` config is written in that format; a ``configMap`` must hold it (JSON or YAML)
under its key (default ``authz.json``), exactly as the ToolHive operator reads it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import cedarpy
import yaml

from ome_mcp_components.errors import ConfigReferenceError, Issue, SpecValidationError
from ome_mcp_components.models import AuthzConfigRef
from ome_mcp_components.plan.context import AuthzSettings

#: ``version`` and ``type`` of ToolHive's Cedar authorization config (``pkg/authz``).
CONFIG_VERSION = "1.0"
CONFIG_TYPE = "cedarv1"
#: Cedar options of ToolHive's ``cedarv1`` config that a ConfigMap may set besides
#: ``policies`` and ``entities_json`` (claim-to-group mapping and claim shapes).
PASS_THROUGH_OPTIONS = frozenset(
    {"group_claim_name", "role_claim_name", "group_entity_type", "multi_valued_claims"}
)
_INLINE = "spec.authzConfig.inline"


class PolicyError(ValueError):
    """A policy string the gateway cannot enforce as written (the message says why)."""


def parse_policy(text: str) -> dict[str, Any]:
    """Cedar's JSON form of the one static policy in ``text``.

    Raises ``PolicyError`` with Cedar's own message for a syntax error, and for a string
    holding no policy, several policies or a template.
    """
    cedar_json, error = _cedar_json(text)
    if error is not None:
        raise PolicyError(f"Cedar cannot parse it: {error}")
    parsed = json.loads(cedar_json)
    if parsed["templates"]:
        raise PolicyError("it is a policy template (?principal/?resource slots); the gateway "
                          "takes static policies only")
    policies = list(parsed["staticPolicies"].values())
    if not policies:
        raise PolicyError("it holds no policy")
    if len(policies) > 1:
        raise PolicyError(f"it holds {len(policies)} policies; the gateway reads only the first "
                          f"policy of each entry, so give each policy its own entry")
    policy: dict[str, Any] = policies[0]
    return policy


@functools.lru_cache(maxsize=4096)
def _cedar_json(text: str) -> tuple[str, str | None]:
    """Cedar's JSON form of ``text``, or ``("", Cedar's error message)``.

    Cached by policy text: a server's policies are parsed by several checks, and a
    stack's servers often share policies. The JSON text is cached, not the parsed dict,
    so that every caller gets a fresh dict of its own.
    """
    try:
        return cedarpy.policies_to_json_str(text), None
    except ValueError as exc:
        return "", str(exc)


#: The fields of a Cedar entity in JSON. ToolHive's Cedar library (cedar-go) lets
#: ``attrs``, ``parents`` and ``tags`` be left out, and takes a uid (or parent) in the
#: implicit ``{"type", "id"}`` or the explicit ``{"__entity": {...}}`` form; so do we.
ENTITY_FIELDS = ("uid", "attrs", "parents", "tags")


def _entity_uid(value: Any) -> dict[str, str] | None:
    """A uid or parent in the implicit form, or None if it is neither form."""
    if isinstance(value, dict) and set(value) == {"__entity"}:
        value = value["__entity"]
    if isinstance(value, dict) and set(value) == {"type", "id"} and all(
            isinstance(v, str) for v in value.values()):
        return {"type": value["type"], "id": value["id"]}
    return None


def normalized_entities(entities_json: str) -> list[dict[str, Any]]:
    """The entities of ``entities_json`` with every field present and uids in the implicit
    form (as the Rust Cedar of cedarpy wants them); entries that are no entity are left
    out (``entities_problem`` reports them; this never raises on a JSON array)."""
    try:
        loaded = json.loads(entities_json)
    except ValueError:
        return []
    entities = []
    for entry in loaded if isinstance(loaded, list) else []:
        uid = _entity_uid(entry.get("uid")) if isinstance(entry, dict) else None
        if uid is None:
            continue
        parents = entry.get("parents")
        entities.append({
            "uid": uid,
            "attrs": entry.get("attrs") or {},
            "parents": [_entity_uid(p) or p for p in parents] if isinstance(parents, list)
            else parents if parents is not None else [],
            **({"tags": entry["tags"]} if entry.get("tags") is not None else {}),
        })
    return entities


def entities_problem(entities_json: str) -> str | None:
    """Why ``entities_json`` is not a JSON array of Cedar entities, or None if it is.

    What cedar-go accepts is accepted, except an unknown field (cedar-go would ignore a
    misspelt ``parent``) and an entity given twice with different content (Cedar refuses
    it; cedar-go would keep the last one).
    """
    try:
        entities = json.loads(entities_json)
    except ValueError as exc:
        return f"is not valid JSON: {exc}"
    if not isinstance(entities, list):
        return f"must be a JSON array of Cedar entities, got a JSON {type(entities).__name__}"
    for index, entity in enumerate(entities):
        if not isinstance(entity, dict) or _entity_uid(entity.get("uid")) is None:
            return (f"entry {index} is not a Cedar entity: it needs "
                    f'"uid": {{"type": ..., "id": ...}} (and may have "attrs", "parents", '
                    f'"tags")')
        unknown = sorted(set(entity) - set(ENTITY_FIELDS))
        if unknown:
            return (f"entry {index} has an unknown field {unknown[0]!r} (a Cedar entity has "
                    f"{', '.join(ENTITY_FIELDS)})")
        parents = entity.get("parents")
        if parents is not None and not isinstance(parents, list):
            return f"entry {index}: parents must be a list of entity uids"
    return _cedar_entities_problem(json.dumps(normalized_entities(entities_json)))


def _cedar_entities_problem(entities_json: str) -> str | None:
    """Cedar's own objection to ``entities_json``, in full (cedarpy's entity parser says
    only "error during entity deserialization"; its authorizer says why)."""
    try:
        cedarpy.Entities.from_json_str(entities_json)
    except ValueError as exc:
        detail = str(exc)
        request = {"principal": 'Client::"-"', "action": 'Action::"-"',
                   "resource": 'Tool::"-"', "context": {}}
        errors = cedarpy.is_authorized(request, "", entities_json).diagnostics.errors
        for error in errors:
            detail = error.split(f"{entities_json}: ", 1)[-1]
        return f"Cedar rejects the entities: {detail}"
    return None


def check_policies(policies: list[str] | tuple[str, ...], path: str) -> list[Issue]:
    """One issue per policy the gateway could not enforce, at ``<path>[i]``."""
    issues = []
    for index, policy in enumerate(policies):
        try:
            parse_policy(policy)
        except PolicyError as exc:
            issues.append(Issue(f"{path}[{index}]", f"invalid Cedar policy: {exc}"))
    return issues


def resolve_authz(
    ref: AuthzConfigRef,
    *,
    config_map_data: Mapping[str, str] | None,
    resource: str,
    namespace: str | None = None,
) -> AuthzSettings:
    """The authorization settings of a server, every policy and entity checked by Cedar.

    ``inline``: errors are ``SpecValidationError`` naming
    ``spec.authzConfig.inline.policies[i]`` or ``...entitiesJSON``. ``configMap``: the
    ConfigMap's data (read by the caller at deploy time) must hold ToolHive's ``cedarv1``
    config; problems are ``ConfigReferenceError`` naming the ConfigMap, key and field.
    Either way the gateway receives the policies embedded in its RunConfig.
    """
    if ref.type == "inline":
        assert ref.inline is not None  # the model requires it for type inline
        issues = check_policies(ref.inline.policies, f"{_INLINE}.policies")
        problem = entities_problem(ref.inline.entities_json)
        if problem:
            issues.append(Issue(f"{_INLINE}.entitiesJSON", problem))
        if issues:
            raise SpecValidationError(resource, issues)
        return AuthzSettings(policies=tuple(ref.inline.policies),
                             entities_json=ref.inline.entities_json)
    assert ref.config_map is not None  # the model requires it for type configMap
    where = _config_map_name(namespace, ref.config_map.name, ref.config_map.key)
    if config_map_data is None:
        raise ConfigReferenceError(resource, Issue(
            "spec.authzConfig.configMap", f"{where}: the ConfigMap was not found"))
    if ref.config_map.key not in config_map_data:
        raise ConfigReferenceError(resource, Issue(
            "spec.authzConfig.configMap.key",
            f"{where}: the ConfigMap has no such key (keys: {sorted(config_map_data)})"))
    policies, entities_json, options = _parse_config(config_map_data[ref.config_map.key],
                                                     where, resource)
    return AuthzSettings(policies=policies, entities_json=entities_json,
                         config_map=ref.config_map, cedar_options=options)


def _config_map_name(namespace: str | None, name: str, key: str) -> str:
    return f"ConfigMap {namespace + '/' if namespace else ''}{name}, key {key!r}"


def _parse_config(
    text: str, where: str, resource: str
) -> tuple[tuple[str, ...], str, dict[str, Any]]:
    """Policies, entities and pass-through options of a ``cedarv1`` config document."""

    def fail(field: str, message: str) -> ConfigReferenceError:
        return ConfigReferenceError(resource, Issue(
            "spec.authzConfig.configMap", f"{where}, field {field!r}: {message}"))

    try:
        doc = yaml.safe_load(text)  # YAML is a superset of JSON; the operator reads both
    except yaml.YAMLError as exc:
        raise fail("(document)", f"is neither JSON nor YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise fail("(document)", f'must be an object {{"version": "{CONFIG_VERSION}", '
                                  f'"type": "{CONFIG_TYPE}", "cedar": {{...}}}}')
    if not doc.get("version"):
        raise fail("version", "is required")
    if doc.get("type") != CONFIG_TYPE:
        raise fail("type", f"{doc.get('type')!r} is not supported; expected {CONFIG_TYPE!r}")
    cedar = doc.get("cedar")
    if not isinstance(cedar, dict):
        raise fail("cedar", "is required: an object with policies and entities_json")
    unknown = sorted(set(cedar) - PASS_THROUGH_OPTIONS - {"policies", "entities_json"})
    if unknown:
        raise fail(f"cedar.{unknown[0]}", "is not supported by ome-mcp-components")
    policies = cedar.get("policies")
    if not isinstance(policies, list) or not policies or not all(
        isinstance(p, str) for p in policies
    ):
        raise fail("cedar.policies", "must be a non-empty list of Cedar policy strings")
    issues = check_policies(policies, "cedar.policies")
    if issues:
        raise fail(issues[0].path, issues[0].message)
    entities_json = cedar.get("entities_json") or "[]"
    problem = entities_problem(entities_json) if isinstance(entities_json, str) else \
        "must be a string holding a JSON array"
    if problem:
        raise fail("cedar.entities_json", problem)
    options = {k: v for k, v in cedar.items() if k in PASS_THROUGH_OPTIONS}
    for key, value in options.items():
        problem = _option_problem(key, value)
        if problem:
            raise fail(f"cedar.{key}", problem)
    return tuple(policies), entities_json, options


def _option_problem(key: str, value: Any) -> str | None:
    if key == "multi_valued_claims":
        ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        return None if ok else "must be a list of claim names"
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if key == "group_entity_type":
        # ToolHive accepts a plain Cedar identifier only (no namespace)
        try:
            parse_policy(f'permit(principal in {value}::"x", action, resource);')
        except PolicyError:
            return f"{value!r} is not a Cedar entity type name"
        if "::" in value:
            return f"{value!r}: namespaced entity types are not supported by the gateway"
    return None

