"""The ``status`` output: the OEP's ``MCPServerStatus`` from the workloads' live status.

Pure cases call ``status.server_status``; the component cases run under Pulumi's mocks,
once with the offline engine (no status reported: ``Pending``) and once with mocks that
answer like pulumi-kubernetes after its readiness wait (``Running``, the ready count).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import mocks as pulumi_mocks
from server_fixtures import IMAGE, PulumiHarness

from ome_mcp_components import ClusterMCPServer, MCPServer, sdk_internals
from ome_mcp_components.components.status import Workload, server_status

URL = "http://demo.tools.svc.cluster.local:8080/mcp"


def deployment(ready: int, desired: int = 2, **extra: Any) -> dict[str, Any]:
    return {"replicas": desired, "readyReplicas": ready, "updatedReplicas": desired,
            "availableReplicas": ready, **extra}


def server(status: Any, desired: int = 2, kind: str = "Deployment") -> Workload:
    return Workload("server", kind, "tools", "demo", desired, status)


def gateway(status: Any, desired: int = 2) -> Workload:
    return Workload("gateway", "Deployment", "tools", "demo-gateway", desired, status)


AVAILABLE = {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
             "lastTransitionTime": "2025-01-01T00:00:00Z"}
DEADLINE = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
            "message": 'ReplicaSet "demo-5d9" has timed out progressing.'}
QUOTA = {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
         "message": "pods is forbidden: exceeded quota"}


@pytest.mark.parametrize(
    ("workloads", "phase", "ready"),
    [
        ([server(None), gateway(None)], "Pending", 0),
        ([server({}), gateway({})], "Pending", 0),
        ([server(deployment(2)), gateway(deployment(2))], "Running", 2),
        ([server(deployment(2, conditions=[AVAILABLE])), gateway(deployment(2))], "Running", 2),
        ([server(deployment(1)), gateway(deployment(2))], "Pending", 1),
        ([server(deployment(2)), gateway(deployment(1))], "Pending", 2),
        ([server(deployment(0, conditions=[DEADLINE])), gateway(deployment(2))], "Failed", 0),
        ([server(deployment(2)), gateway(deployment(0, conditions=[QUOTA]))], "Failed", 2),
        ([server({"replicas": 1, "readyReplicas": 1}, 1, "StatefulSet"),
          gateway(deployment(1, 1), 1)], "Running", 1),
        ([gateway(deployment(2))], "Running", 2),
    ],
    ids=[
        "no status reported -> Pending",
        "empty status -> Pending",
        "all replicas ready -> Running",
        "ready and Available -> Running",
        "server 1/2 ready -> Pending",
        "gateway 1/2 ready -> Pending",
        "progress deadline exceeded -> Failed",
        "gateway replica failure -> Failed",
        "stdio StatefulSet ready -> Running",
        "Remote with gateway -> gateway counts",
    ],
)
def test_phase(workloads: list[Workload], phase: str, ready: int) -> None:
    status = server_status(URL, workloads)
    assert status["phase"] == phase
    assert status["readyReplicas"] == ready
    assert status["url"] == URL
    assert status["message"].startswith(f"{phase}: ")
    ready_condition = status["conditions"][0]
    assert ready_condition["type"] == "Ready"
    assert ready_condition["status"] == ("True" if phase == "Running" else "False")


def test_failure_message_names_the_workload_and_reason() -> None:
    status = server_status(URL, [server(deployment(0, conditions=[DEADLINE])),
                                 gateway(deployment(2))])
    assert status["message"] == ('Failed: Deployment tools/demo: ProgressDeadlineExceeded: '
                                 'ReplicaSet "demo-5d9" has timed out progressing.')


def test_conditions() -> None:
    status = server_status(URL, [server(deployment(2, conditions=[AVAILABLE])),
                                 gateway(None)])
    by_type = {c["type"]: c for c in status["conditions"]}
    assert list(by_type) == ["Ready", "Available", "ServerReady", "GatewayReady"]
    assert by_type["ServerReady"]["status"] == "True"
    assert by_type["ServerReady"]["lastTransitionTime"] == "2025-01-01T00:00:00Z"
    assert by_type["GatewayReady"]["status"] == "Unknown"
    assert by_type["GatewayReady"]["reason"] == "StatusNotReported"
    assert by_type["Available"]["status"] == "False"


def test_pulumi_output_types_are_read_by_attribute() -> None:
    """pulumi-kubernetes hands ``DeploymentStatus`` objects (snake_case keys)."""
    import pulumi_kubernetes as k8s

    live = k8s.apps.v1.outputs.DeploymentStatus(replicas=2, ready_replicas=2,
                                                updated_replicas=2)
    assert server_status(URL, [server(live), gateway(live)])["phase"] == "Running"


def test_remote_without_gateway_is_running_with_nothing_deployed() -> None:
    status = server_status("https://tools.example.com/mcp", [])
    assert status["phase"] == "Running"
    assert status["replicas"] == 0
    assert status["url"] == "https://tools.example.com/mcp"


# --- under mocks ------------------------------------------------------------------------------


def test_offline_engine_reports_pending(pulumi_mocks: PulumiHarness) -> None:
    def program() -> None:
        created = MCPServer("demo", {"metadata": {"namespace": "tools"},
                                     "spec": {"image": IMAGE, "transport": "streamable-http",
                                              "replicas": 2}})
        pulumi.export("status", created.status)

    status = pulumi_mocks.run(program).outputs["status"]
    assert status["phase"] == "Pending"
    assert status["replicas"] == 0
    assert status["url"] == URL
    component = next(r for r in pulumi_mocks.last.resources  # type: ignore[union-attr]
                     if r.type == "ome-mcp:index:MCPServer")
    assert component.name == "demo"


class ReadyCluster(pulumi_mocks.Mocks):
    """Answers like pulumi-kubernetes after its readiness wait: every workload reports
    all of its replicas ready."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"):
            replicas = int(outputs.get("spec", {}).get("replicas", 1))
            outputs["status"] = {"replicas": replicas, "readyReplicas": replicas,
                                 "updatedReplicas": replicas, "availableReplicas": replicas,
                                 "conditions": [AVAILABLE]}
        return f"{args.name}-id", outputs

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def ready_cluster() -> Iterator[None]:
    sdk_internals.reset_runtime()
    pulumi.runtime.set_mocks(ReadyCluster(), preview=False)
    yield
    sdk_internals.reset_runtime()


@pytest.mark.parametrize(
    ("component", "spec", "ready"),
    [
        (MCPServer, {"image": IMAGE, "transport": "streamable-http", "replicas": 3}, 3),
        (MCPServer, {"image": IMAGE}, 1),
        (ClusterMCPServer, {"type": "Remote", "url": "https://tools.example.com/mcp",
                            "oidcConfig": {"type": "kubernetes"}}, 1),
    ],
    ids=["http, 3 replicas", "stdio", "remote with gateway"],
)
def test_ready_workloads_report_running(ready_cluster: None, component: Any,
                                        spec: dict[str, Any], ready: int) -> None:
    created = component("demo", {"metadata": {"namespace": "tools"}, "spec": spec})

    def check(status: dict[str, Any]) -> None:
        assert status["phase"] == "Running"
        assert status["readyReplicas"] == ready
        assert status["replicas"] == ready

    result: pulumi.Output[None] = created.status.apply(check)
    pulumi.runtime.test(lambda: result)()
