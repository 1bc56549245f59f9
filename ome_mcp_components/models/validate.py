"""Turn pydantic's errors into the package's: one error naming resource, field path and rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ome_mcp_components.errors import Issue, SpecValidationError
from ome_mcp_components.models.base import RuleError

M = TypeVar("M", bound=BaseModel)

# Pydantic adds these to a location to say which validator ran; they are no field names.
_VALIDATOR_MARKERS = ("function-", "literal[", "lax-or-strict", "json-or-python", "is-instance")


def parse_model(model: type[M], data: Any, *, resource: str, root: str) -> M:
    """Validate ``data`` as ``model``; on failure raise one ``SpecValidationError``.

    ``resource`` names the resource (``MCPServer 'postgres-mcp'``) and ``root`` is the path
    of ``data`` inside it (``spec``). Paths in the error use the OEP's camelCase names.
    """
    if isinstance(data, model):
        return data
    if not isinstance(data, Mapping):
        raise SpecValidationError(
            resource, Issue(root, f"must be a mapping, got {type(data).__name__}")
        )
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        issues = [
            issue
            for error in exc.errors(include_url=False)
            for issue in _issues(model, error, root)
        ]
        raise SpecValidationError(resource, _dedupe(issues)) from None


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen: dict[tuple[str, str], Issue] = {}
    for issue in issues:
        seen.setdefault((issue.path, issue.message), issue)
    return list(seen.values())


def _issues(model: type[BaseModel], error: ErrorDetails, root: str) -> list[Issue]:
    loc: list[str | int] = [
        part
        for part in error["loc"]
        if not (isinstance(part, str) and part.startswith(_VALIDATOR_MARKERS))
    ]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, RuleError):
        return [
            Issue(_format_path(model, root, [*loc, *path]), message)
            for path, message in cause.problems
        ]
    return [_issue(model, error, _format_path(model, root, loc))]


def _issue(model: type[BaseModel], error: ErrorDetails, path: str) -> Issue:
    message = error["msg"].removeprefix("Value error, ")
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown field (not part of the OEP's spec)"
    elif kind == "missing":
        message = "field required"
    elif kind in {"literal_error", "enum"}:
        message = f"{_shown(error['input'], path)} is not allowed: " + message.replace(
            "Input should be ", "must be "
        )
    elif _is_scalar(error["input"]) and kind not in {"value_error", "assertion_error"}:
        message = f"{message} (got {_shown(error['input'], path)})"
    return Issue(path, message)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _shown(value: Any, path: str) -> str:
    """The offending value, unless it might be a secret (an env value) or is long."""
    if "env" in path.lower() or ".value" in path:
        return "<value hidden>"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _format_path(model: type[BaseModel], root: str, loc: list[str | int]) -> str:
    """``root`` followed by ``loc`` in camelCase, list indices in brackets."""
    path = root
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        name = part
        if current is not None:
            name, current = _wire_name(current, part)
        path = f"{path}.{name}" if path else name
    return path


def _wire_name(model: type[BaseModel], part: str) -> tuple[str, type[BaseModel] | None]:
    """The wire (alias) name of a field given by name or alias, and its model type if any."""
    for name, field in model.model_fields.items():
        if part in (name, field.alias):
            return field.alias or name, _submodel(field.annotation)
    return part, None


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _submodel(arg)
        if found is not None:
            return found
    return None
