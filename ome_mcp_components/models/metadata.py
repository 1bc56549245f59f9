"""The part of Kubernetes ObjectMeta a component takes: name, namespace, labels, annotations."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field

from ome_mcp_components.models.base import K8sLabel, RuleError, SpecModel

_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _check_key(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _PREFIX.match(prefix)):
        return f"key {key!r} has an invalid prefix (must be a DNS subdomain)"
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        return f"key {key!r} is not a valid label/annotation key"
    return None


def _labels(values: dict[str, str]) -> dict[str, str]:
    for key, value in values.items():
        problem = _check_key(key)
        if problem:
            raise RuleError((key,), problem)
        if len(value) > 63 or not _LABEL_VALUE.match(value):
            raise RuleError((key,), f"value {value!r} is not a valid label value")
    return values


def _annotations(values: dict[str, str]) -> dict[str, str]:
    for key in values:
        problem = _check_key(key)
        if problem:
            raise RuleError((key,), problem)
    return values


class ObjectMetadata(SpecModel):
    """Name, namespace, labels and annotations of a component's resource."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="Name; defaults to the component's name.")
    namespace: K8sLabel | None = Field(None, description="Namespace; defaults per component.")
    labels: Annotated[dict[str, str], AfterValidator(_labels)] = Field(
        default_factory=dict, description="Labels added to every object."
    )
    annotations: Annotated[dict[str, str], AfterValidator(_annotations)] = Field(
        default_factory=dict, description="Annotations added to every object."
    )
