"""Kubernetes label selectors given as component options (who may scrape, where DNS runs).

A selector is written as Kubernetes writes it (``{"matchLabels": {...},
"matchExpressions": [...]}``) and checked against the Kubernetes schema of
``LabelSelector``, plus the rules the API server applies that the schema does not
carry: label keys and values in their syntax, a known operator, ``values`` for ``In`` and
``NotIn`` only.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator

from ome_mcp_components.models.base import RuleError
from ome_mcp_components.models.k8s_schema import schema_errors

LABEL_SELECTOR = "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"
#: A label key: an optional DNS-subdomain prefix and ``/``, then a name of at most 63.
_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
#: A label value: empty, or at most 63 characters of alphanumerics, ``-``, ``_``, ``.``.
_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def selector_problems(value: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Every way ``value`` is not a valid label selector, as ``(path, message)``."""
    problems = list(schema_errors(value, LABEL_SELECTOR))
    if problems or not isinstance(value, dict):
        return problems
    for key, label in (value.get("matchLabels") or {}).items():
        if not _KEY.match(key) or len(key) > 317:
            problems.append((("matchLabels", key), f"{key!r} is not a valid label key"))
        if not _VALUE.match(label):
            problems.append((("matchLabels", key), f"{label!r} is not a valid label value"))
    for index, expression in enumerate(value.get("matchExpressions") or []):
        where: tuple[str | int, ...] = ("matchExpressions", index)
        key, operator = expression.get("key", ""), expression.get("operator")
        values = expression.get("values") or []
        if not _KEY.match(key):
            problems.append(((*where, "key"), f"{key!r} is not a valid label key"))
        if operator not in _OPERATORS:
            problems.append(((*where, "operator"),
                             f"{operator!r} is not allowed: must be {', '.join(_OPERATORS)}"))
        elif operator in ("In", "NotIn") and not values:
            problems.append(((*where, "values"), f"{operator} needs at least one value"))
        elif operator in ("Exists", "DoesNotExist") and values:
            problems.append(((*where, "values"), f"{operator} takes no values"))
        for position, item in enumerate(values):
            if not _VALUE.match(item):
                problems.append(((*where, "values", position),
                                 f"{item!r} is not a valid label value"))
    return problems


def _check(value: Any) -> Any:
    problems = selector_problems(value)
    if problems:
        raise RuleError(*problems[0], *problems[1:])
    return value


#: A label selector in Kubernetes' spelling, validated.
LabelSelector = Annotated[dict[str, Any], AfterValidator(_check)]


def canonical(selector: dict[str, Any]) -> dict[str, Any]:
    """The selector with sorted ``matchLabels`` and empty parts left out."""
    result: dict[str, Any] = {}
    if selector.get("matchLabels"):
        result["matchLabels"] = dict(sorted(selector["matchLabels"].items()))
    if selector.get("matchExpressions"):
        result["matchExpressions"] = [dict(e) for e in selector["matchExpressions"]]
    return result


__all__ = ["LABEL_SELECTOR", "LabelSelector", "canonical", "selector_problems"]
