"""A server's status, shaped like the OEP's ``MCPServerStatus``, from its workloads'.

Pure: the component hands in what the provider reported for each workload (the live
``status`` of Deployment/StatefulSet ``<n>`` and Deployment ``<n>-gateway``, after
pulumi-kubernetes' readiness wait) and gets back a plain dict:

``url``
    The URL clients use (the component's ``url``).
``phase``
    ``Running`` when every workload has all its replicas ready (and, for a Deployment,
    updated and ``Available``); ``Failed`` when a Deployment reports
    ``ReplicaFailure`` or ``Progressing`` ``False`` (``ProgressDeadlineExceeded``);
    ``Pending`` otherwise, including while no status has been reported (a preview, or
    Pulumi's mocks, which return no ``status``).
``replicas``, ``readyReplicas``
    Of the server workload for a hosted server; of the gateway for a Remote one.
``conditions``
    ``Ready`` (the phase is ``Running``), ``Available`` (every workload has at least
    one ready replica), and ``ServerReady``/``GatewayReady`` for each side, in the
    shape of ``metav1.Condition`` (``type``, ``status``, ``reason``, ``message``; a
    ``lastTransitionTime`` only where the workload reported one).
``message``
    One line saying what the phase rests on.

A Remote server without gateway deploys nothing: it is ``Running`` with no replicas
(the remote endpoint itself is not observed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

Phase = Literal["Pending", "Running", "Failed"]
Side = Literal["server", "gateway"]

_CONDITION_TYPES: dict[Side, str] = {"server": "ServerReady", "gateway": "GatewayReady"}


class Condition(TypedDict, total=False):
    """A ``metav1.Condition`` (without ``observedGeneration``)."""

    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str
    lastTransitionTime: str


class ServerStatus(TypedDict):
    """The OEP's ``MCPServerStatus`` as the components report it."""

    url: str
    phase: Phase
    replicas: int
    readyReplicas: int
    conditions: list[Condition]
    message: str


@dataclass(frozen=True)
class Workload:
    """One workload of the server as the provider reported it.

    ``status`` is the live object's ``status`` (camelCase keys, or pulumi-kubernetes'
    output type with snake_case attributes); None when nothing was reported.
    """

    side: Side
    kind: str
    namespace: str
    name: str
    desired: int
    status: Any = None


@dataclass(frozen=True)
class _Observed:
    workload: Workload
    phase: Phase
    replicas: int
    ready: int
    reason: str
    message: str
    since: str | None = None


def server_status(url: str, workloads: Sequence[Workload]) -> ServerStatus:
    """The status of a server whose workloads are ``workloads`` (none: a Remote server
    without gateway)."""
    if not workloads:
        return {
            "url": url, "phase": "Running", "replicas": 0, "readyReplicas": 0,
            "conditions": [_condition("Ready", True, "NothingDeployed",
                                      "a Remote server without gateway deploys nothing")],
            "message": "Remote server without gateway: nothing deployed; the remote "
                       "endpoint is not observed",
        }
    observed = [_observe(w) for w in workloads]
    phases = {o.phase for o in observed}
    phase: Phase = "Failed" if "Failed" in phases else (
        "Running" if phases == {"Running"} else "Pending")
    main = next((o for o in observed if o.workload.side == "server"), observed[0])
    conditions = [
        _condition("Ready", phase == "Running", _ready_reason(phase),
                   "; ".join(o.message for o in observed)),
        _condition("Available", all(o.ready > 0 for o in observed),
                   "MinimumReplicasAvailable" if all(o.ready > 0 for o in observed)
                   else "MinimumReplicasUnavailable",
                   "; ".join(f"{o.workload.side}: {o.ready} ready" for o in observed)),
    ]
    for o in observed:
        condition = _condition(_CONDITION_TYPES[o.workload.side], o.phase == "Running",
                               o.reason, o.message)
        if o.phase == "Pending" and o.reason == "StatusNotReported":
            condition["status"] = "Unknown"
        if o.since:
            condition["lastTransitionTime"] = o.since
        conditions.append(condition)
    failed = [o for o in observed if o.phase == "Failed"]
    message = "; ".join(o.message for o in (failed or observed))
    return {"url": url, "phase": phase, "replicas": main.replicas,
            "readyReplicas": main.ready, "conditions": conditions,
            "message": f"{phase}: {message}"}


def _observe(workload: Workload) -> _Observed:
    where = f"{workload.kind} {workload.namespace}/{workload.name}"
    status = workload.status
    if not status:
        return _Observed(workload, "Pending", 0, 0, "StatusNotReported",
                         f"{where}: no status reported yet")
    replicas = _int(_get(status, "replicas"))
    ready = _int(_get(status, "readyReplicas"))
    updated = _get(status, "updatedReplicas")
    conditions = {str(_get(c, "type")): c for c in _get(status, "conditions") or []}
    failure = conditions.get("ReplicaFailure")
    if failure is not None and _get(failure, "status") == "True":
        return _failed(workload, where, replicas, ready, failure)
    progressing = conditions.get("Progressing")
    if progressing is not None and _get(progressing, "status") == "False":
        return _failed(workload, where, replicas, ready, progressing)
    available = conditions.get("Available")
    done = ready >= workload.desired \
        and (updated is None or _int(updated) >= workload.desired) \
        and (available is None or _get(available, "status") == "True")
    counts = f"{where}: {ready}/{workload.desired} replicas ready"
    if done:
        return _Observed(workload, "Running", replicas, ready, "AllReplicasReady", counts,
                         _since(available))
    return _Observed(workload, "Pending", replicas, ready, "ReplicasNotReady", counts)


def _failed(workload: Workload, where: str, replicas: int, ready: int,
            condition: Any) -> _Observed:
    reason = str(_get(condition, "reason") or "WorkloadFailed")
    detail = _get(condition, "message")
    message = f"{where}: {reason}" + (f": {detail}" if detail else "")
    return _Observed(workload, "Failed", replicas, ready, reason, message, _since(condition))


def _since(condition: Any) -> str | None:
    if condition is None:
        return None
    value = _get(condition, "lastTransitionTime")
    return str(value) if value else None


def _ready_reason(phase: Phase) -> str:
    return {"Running": "AllReplicasReady", "Pending": "ReplicasNotReady",
            "Failed": "WorkloadFailed"}[phase]


def _condition(type_: str, true: bool, reason: str, message: str) -> Condition:
    return {"type": type_, "status": "True" if true else "False", "reason": reason,
            "message": message}


def _get(value: Any, camel: str) -> Any:
    """A field of a status or condition: a mapping's camelCase key, or the snake_case
    attribute of pulumi-kubernetes' output types."""
    if isinstance(value, Mapping) and camel in value:
        return value[camel]
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
    if isinstance(value, Mapping) and snake in value:
        return value[snake]
    return getattr(value, snake, None)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


__all__ = ["Condition", "Phase", "ServerStatus", "Workload", "server_status"]
