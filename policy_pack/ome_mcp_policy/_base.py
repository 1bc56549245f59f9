"""Shared plumbing of the pack: reading camelCase props, finding pod templates, and the
factories every policy is built with.

Props reach a policy as pulumi-kubernetes inputs (the API server's camelCase) wrapped in
pulumi-policy's read-only proxies, so every helper here accepts any ``Mapping`` or
``Sequence``, never only ``dict``/``list``. Numbers arrive as floats over gRPC
(``8080.0``); comparisons here are numeric, so that does not matter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ome_mcp_components.vocabulary.keys import RUN_CONFIG_KEY
from ome_mcp_components.vocabulary.tokens import kubernetes_kind

#: Kinds that carry a pod spec, and where it sits in each (the path to the pod template).
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "PodTemplate": ("template",),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
WORKLOAD_KINDS = frozenset(_TEMPLATE_PATHS)

#: Container lists of a pod spec, in the order Kubernetes documents them.
CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")

Check = Callable[[Any, Mapping[str, Any]], Iterable[str]]


def as_map(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one (absent or malformed field)."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> Sequence[Any]:
    """``value`` if it is a list (not a string), else an empty one."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return value
    return []


def dig(value: Any, *path: str) -> Any:
    """The value at ``path`` below ``value``, or None where a step is missing."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def gateway_run_config(props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ToolHive RunConfig a ConfigMap's props hold, or None (not a gateway config, not
    JSON, or not known yet in a preview)."""
    text = as_map(props.get("data")).get(RUN_CONFIG_KEY)
    if not isinstance(text, str):
        return None
    try:
        run_config = json.loads(text)
    except ValueError:
        return None
    return run_config if isinstance(run_config, Mapping) else None


@dataclass(frozen=True)
class Workload:
    """A Kubernetes object that runs pods: its kind, name and pod template."""

    kind: str
    name: str
    namespace: str
    labels: Mapping[str, Any]
    pod_metadata: Mapping[str, Any]
    pod_spec: Mapping[str, Any]

    @property
    def title(self) -> str:
        """How messages name the object: ``Deployment 'ns/name'``."""
        return f"{self.kind} '{self.namespace}/{self.name}'"

    @property
    def pod_labels(self) -> Mapping[str, Any]:
        """The labels of the pods it runs (a bare Pod: its own labels)."""
        return as_map(self.pod_metadata.get("labels"))

    def containers(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Each container of every kind, with a label such as ``container 'mcp'``."""
        for field in CONTAINER_FIELDS:
            for container in as_list(self.pod_spec.get(field)):
                container = as_map(container)
                kind = {"initContainers": "init container",
                        "ephemeralContainers": "ephemeral container"}.get(field, "container")
                yield f"{kind} '{container.get('name', '?')}'", container


def workload_of(resource_type: str, props: Mapping[str, Any]) -> Workload | None:
    """The workload a Kubernetes object is, or None if it runs no pods."""
    kind = kubernetes_kind(resource_type)
    if kind is None or kind not in _TEMPLATE_PATHS:
        return None
    template = dig(props, *_TEMPLATE_PATHS[kind]) if _TEMPLATE_PATHS[kind] else props
    metadata = as_map(props.get("metadata"))
    return Workload(
        kind=kind,
        name=str(metadata.get("name") or "?"),
        namespace=str(metadata.get("namespace") or "default"),
        labels=as_map(metadata.get("labels")),
        pod_metadata=as_map(dig(template, "metadata")),
        pod_spec=as_map(dig(template, "spec")),
    )


def settings(schema: Mapping[str, Mapping[str, Any]], given: Mapping[str, Any]) -> dict[str, Any]:
    """A policy's settings: the schema defaults, overlaid with the configured values.

    The Pulumi CLI already sends the defaults; this keeps a policy correct when it is
    run without them (in-process tests, or an engine that sends no config).
    """
    result = {key: prop["default"] for key, prop in schema.items() if "default" in prop}
    result.update({key: value for key, value in given.items() if key in schema})
    return result


def _message(finding: str, remediation: str) -> str:
    return f"{finding}\nRemediation: {remediation}"


def resource_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    level: EnforcementLevel,
    remediation: str,
    applies: Callable[[str], bool],
    check: Callable[[str, Mapping[str, Any], Mapping[str, Any]], Iterable[str]],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    """A resource policy: ``check(type, props, settings)`` yields one message per finding.

    Each finding is reported with the remediation text appended; the severity and the
    remediation also go into the policy's metadata (``GetAnalyzerInfo``).
    """
    schema = {key: dict(prop) for key, prop in (config or {}).items()}

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not applies(args.resource_type):
            return
        for finding in check(args.resource_type, args.props, settings(schema, args.get_config())):
            report_violation(_message(finding, remediation), None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        config_schema=PolicyConfigSchema(properties=schema) if schema else None,
        severity=severity,
        remediation_steps=remediation,
    )


def workload_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    level: EnforcementLevel,
    remediation: str,
    check: Callable[[Workload, Mapping[str, Any]], Iterable[str]],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    """A resource policy on every object that runs pods; ``check(workload, settings)``."""

    def on_workload(resource_type: str, props: Mapping[str, Any],
                    values: Mapping[str, Any]) -> Iterable[str]:
        workload = workload_of(resource_type, props)
        return check(workload, values) if workload is not None else ()

    return resource_policy(
        name=name, description=description, severity=severity, level=level,
        remediation=remediation, config=config,
        applies=lambda t: kubernetes_kind(t) in WORKLOAD_KINDS,
        check=on_workload,
    )


@dataclass(frozen=True)
class StackFinding:
    """A stack policy's finding: the message and the URN of the resource it is about."""

    urn: str
    message: str


def stack_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    level: EnforcementLevel,
    remediation: str,
    check: Callable[[Sequence[Any], Mapping[str, Any]], Iterable[StackFinding]],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> StackValidationPolicy:
    """A stack policy: ``check(resources, settings)`` yields findings tied to a URN."""
    schema = {key: dict(prop) for key, prop in (config or {}).items()}

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for finding in check(args.resources, settings(schema, args.get_config())):
            report_violation(_message(finding.message, remediation), finding.urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        config_schema=PolicyConfigSchema(properties=schema) if schema else None,
        severity=severity,
        remediation_steps=remediation,
    )


def string_list_schema(description: str, default: list[str]) -> dict[str, Any]:
    """JSON schema of a config property holding a list of strings."""
    return {"type": "array", "items": {"type": "string"}, "default": default,
            "description": description}
