"""The server's container and pod template: security defaults and every spec field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from expected import CONTAINER_SECURITY, IMAGE, POD_SECURITY, SERVER_RESOURCES, labels

from ome_mcp_components.builders import gateway
from ome_mcp_components.builders.server_pod import server_container, server_pod_template
from ome_mcp_components.models.k8s_schema import schema_errors
from ome_mcp_components.plan.context import ServerContext

MakeCtx = Callable[..., ServerContext]
MakeSpec = Callable[..., dict[str, Any]]


def http_container(**fields: Any) -> dict[str, Any]:
    return {
        "name": "mcp",
        "image": IMAGE,
        "ports": [{"name": "mcp", "containerPort": 8080, "protocol": "TCP"}],
        "readinessProbe": {"tcpSocket": {"port": "mcp"}, "periodSeconds": 10},
        "resources": SERVER_RESOURCES,
        "securityContext": CONTAINER_SECURITY,
        **fields,
    }


CONTAINER_CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {},
        {"name": "mcp", "image": IMAGE, "stdin": True,
         "resources": SERVER_RESOURCES, "securityContext": CONTAINER_SECURITY},
    ),
    ({"transport": "streamable-http"}, http_container()),
    (
        {"transport": "sse", "port": 9000, "targetPort": 3000},
        http_container(ports=[{"name": "mcp", "containerPort": 3000, "protocol": "TCP"}]),
    ),
    (
        {"transport": "streamable-http", "args": ["--read-only", "--db=main"],
         "env": [{"name": "LOG_LEVEL", "value": "debug"}],
         "secrets": [{"name": "db", "key": "PASSWORD"},
                     {"name": "api", "key": "token", "targetEnvName": "API_TOKEN"}]},
        http_container(
            args=["--read-only", "--db=main"],
            env=[
                {"name": "LOG_LEVEL", "value": "debug"},
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {
                    "name": "db", "key": "PASSWORD", "optional": False}}},
                {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {
                    "name": "api", "key": "token", "optional": False}}},
            ],
        ),
    ),
    (
        {"transport": "streamable-http",
         "resources": {"limits": {"cpu": "2", "memory": "1Gi"}},
         "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
         "permissionProfile": {"type": "inline", "inline": {"write": ["/tmp", "/data"]}}},
        http_container(
            resources={"limits": {"cpu": "2", "memory": "1Gi"}},
            volumeMounts=[
                {"name": "data", "mountPath": "/data", "readOnly": True},
                {"name": "profile-write-0", "mountPath": "/tmp"},
            ],
        ),
    ),
]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    CONTAINER_CASES,
    ids=[
        "defaults -> stdio container: stdin, no tty, default resources, restricted",
        "streamable-http -> named port on targetPort and a TCP readiness probe",
        "sse with port 9000 and targetPort 3000 -> container listens on 3000",
        "args, env and secrets -> args kept, secrets as secretKeyRef after env",
        "resources and mounts -> spec resources; write path mounted unless user mounts it",
    ],
)
def test_server_container(
    make_ctx: MakeCtx, make_spec: MakeSpec, overrides: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert server_container(make_ctx(make_spec(**overrides))) == expected


def test_pod_template_defaults(make_ctx: MakeCtx) -> None:
    ctx = make_ctx()
    assert server_pod_template(ctx) == {
        "metadata": {
            "labels": {**labels("mcp-server"), **gateway.stdio_pod_labels(ctx)},
            "annotations": gateway.stdio_pod_annotations(ctx),
        },
        "spec": {
            "serviceAccountName": "demo",
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": POD_SECURITY,
            "containers": [server_container(ctx)],
        },
    }


def test_pod_template_honours_scheduling_volumes_and_service_account(
    make_ctx: MakeCtx, make_spec: MakeSpec
) -> None:
    spec = make_spec(
        transport="streamable-http",
        serviceAccount="tools-reader",
        tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
        nodeSelector={"pool": "mcp"},
        affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": "zone", "operator": "In", "values": ["a"]}]}]}}},
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
        permissionProfile={"type": "inline", "inline": {"write": ["/tmp"]}},
    )
    ctx = make_ctx(spec, labels={"team": "data"})
    template = server_pod_template(ctx)
    assert template["metadata"] == {"labels": labels("mcp-server", team="data")}
    assert {k: v for k, v in template["spec"].items() if k != "containers"} == {
        "serviceAccountName": "tools-reader",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": POD_SECURITY,
        "volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
            {"name": "profile-write-0", "emptyDir": {}},
        ],
        "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "nodeSelector": {"pool": "mcp"},
        "affinity": spec["affinity"],
    }


def test_pod_template_spec_is_merged(make_ctx: MakeCtx, make_spec: MakeSpec) -> None:
    spec = make_spec(
        transport="sse",
        env=[{"name": "A", "value": "1"}],
        podTemplateSpec={
            "metadata": {"labels": {"extra": "yes", "ome.io/mcp-server": "other"},
                         "annotations": {"note": "x"}},
            "spec": {
                "priorityClassName": "high",
                "containers": [
                    {"name": "mcp",
                     "env": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}],
                     "securityContext": {"runAsUser": 1000}},
                    {"name": "sidecar", "image": "busybox:1.36"},
                ],
            },
        },
    )
    template = server_pod_template(make_ctx(spec))
    assert template["metadata"] == {
        "labels": labels("mcp-server", extra="yes"),
        "annotations": {"note": "x"},
    }
    mcp, sidecar = template["spec"]["containers"]
    assert mcp["env"] == [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}]
    assert mcp["securityContext"] == {**CONTAINER_SECURITY, "runAsUser": 1000}
    assert mcp["image"] == IMAGE
    assert sidecar == {"name": "sidecar", "image": "busybox:1.36"}
    assert template["spec"]["priorityClassName"] == "high"


@pytest.mark.parametrize("transport", ["stdio", "streamable-http"])
def test_a_fragment_merges_onto_the_whole_server_pod(
    make_ctx: MakeCtx, make_spec: MakeSpec, transport: str
) -> None:
    fragment = {"spec": {"nodeSelector": {"pool": "mcp"},
                         "tolerations": [{"key": "gpu", "operator": "Exists"}]}}
    ctx = make_ctx(make_spec(transport=transport))
    plain = server_pod_template(ctx)
    merged = server_pod_template(make_ctx(make_spec(transport=transport,
                                                    podTemplateSpec=fragment)))

    assert merged["spec"] == {**plain["spec"], **fragment["spec"]}
    assert merged["metadata"] == plain["metadata"]
    assert list(schema_errors(merged, "io.k8s.api.core.v1.PodTemplateSpec")) == []


def test_stdio_pod_keeps_what_the_gateway_relies_on(make_ctx: MakeCtx, make_spec: MakeSpec
                                                    ) -> None:
    ctx = make_ctx(make_spec(podTemplateSpec={"metadata": {
        "labels": dict.fromkeys(gateway.stdio_pod_labels(make_ctx()), "other"),
        "annotations": dict.fromkeys(gateway.stdio_pod_annotations(make_ctx()), "0")}}))
    metadata = server_pod_template(ctx)["metadata"]
    assert gateway.stdio_pod_labels(ctx).items() <= metadata["labels"].items()
    assert metadata["annotations"] == gateway.stdio_pod_annotations(ctx)
