"""What the real gateway asks of the Kubernetes API, against the rules of the Role the
components render (``gateway_apiserver`` records the calls and authorizes them as RBAC
does): nothing for the HTTP transports, exactly its Role for stdio; and what cannot run
here, the stdio attach (there is no kubelet to attach through)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import AUDIENCE, hosted_spec
from gateway_apiserver import allowed, unused_grants
from gateway_client import TRANSPORTS, Recorder, Transport, connect, outcome, run
from gateway_harness import Gateway
from gateway_issuer import Issuer
from gateway_scenarios import listed_tools

pytestmark = pytest.mark.gateway

ATTACH_TIMEOUT = 30.0


def stdio_spec() -> dict[str, object]:
    spec = hosted_spec("stdio")
    del spec["targetPort"]
    return spec


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_http_gateway_makes_no_kubernetes_api_call(
        shared_gateway: Callable[..., Gateway], issuer: Issuer, transport: Transport) -> None:
    """Its Role is empty, and it needs none: the runner builds a Kubernetes client at
    start-up but, proxying to the backend Service, never calls the API."""
    gw = shared_gateway(hosted_spec(transport), transport=transport)
    assert gw.rendered.role_rules == []
    assert not [o for o in gw.rendered.objects if o["kind"] in ("Role", "RoleBinding")]
    assert listed_tools(gw, transport, issuer.token(audience=AUDIENCE))
    assert gw.api is not None
    assert gw.api.snapshot() == []


def test_the_runner_needs_a_kubernetes_config_even_when_it_only_proxies(
        start_gateway: Callable[..., Gateway]) -> None:
    """Why every gateway mounts its service-account token: without an in-cluster config
    (or a kubeconfig) the runner stops before it serves anything."""
    gw = start_gateway(hosted_spec("streamable-http"), transport="streamable-http",
                       kube=False, wait=False)
    assert gw.process is not None
    assert gw.process.wait(timeout=30) != 0
    assert "failed to create container runtime" in gw.log()


def test_stdio_the_role_allows_exactly_the_calls_before_the_attach(
        start_gateway: Callable[..., Gateway]) -> None:
    gw = start_gateway(stdio_spec(), transport="stdio")
    rules = gw.rendered.role_rules
    assert gw.api is not None
    calls = gw.api.wait_for(
        lambda calls: any(c.resource == "services" for c in calls), ATTACH_TIMEOUT)
    attaches = [i for i, c in enumerate(calls) if c.resource_path == "pods/attach"]
    assert attaches, [c.describe() for c in calls]
    before = calls[:attaches[0] + 1]
    assert [c.describe() for c in before] == [
        "get apps/statefulsets demo -> 200",  # the generation gate: ours is newer, no apply
        "list core/pods {'labelSelector': ['app=demo']} -> 200",  # finding the pod
        "get apps/statefulsets demo -> 200",
        "create core/pods/attach demo-0 -> 500",  # allowed; no kubelet behind it here
    ]
    assert all(allowed(c, rules) for c in before)
    assert unused_grants(before, rules) == []
    assert all(c.namespace == "tools" for c in calls)
    assert all(c.token == gw.kube_token for c in calls)
    # it never writes: no apply of a StatefulSet, no other create than the attach
    assert {(c.verb, c.resource_path) for c in calls} <= {
        ("get", "statefulsets"), ("list", "pods"), ("create", "pods/attach"),
        ("get", "services")}
    # once attached it watches its workload, and asks for Service <n> (port information),
    # which the Role does not grant: refused, and tolerated
    assert next(c.status for c in calls if c.resource == "services") == 403
    assert gw.process is not None
    assert gw.process.poll() is None


def test_stdio_cannot_attach_here_so_a_client_gets_no_answer(
        start_gateway: Callable[..., Gateway], issuer: Issuer) -> None:
    """The limit of this tier: the attach goes through the kubelet of the pod's node, and
    neither this machine nor the KWOK control plane has one. The runner retries the
    attach (and exits when it gives up, to be restarted); meanwhile it accepts MCP
    requests that nothing answers."""
    gw = start_gateway(stdio_spec(), transport="stdio")
    recorder = Recorder()

    async def scenario() -> object:
        async with connect(gw.url, "streamable-http", issuer.token(audience=AUDIENCE),
                           recorder, initialize=False) as session:
            return await outcome(session.initialize(), timeout=5)

    result = run(scenario)
    assert not result.answered
    assert "error dialing backend" in gw.log()
    assert "error attaching to workload, retrying" in gw.log()


@pytest.mark.parametrize("case", ["no StatefulSet", "not ready"])
def test_stdio_without_a_ready_statefulset_the_runner_exits(
        start_gateway: Callable[..., Gateway], case: str) -> None:
    """Before the server's StatefulSet exists the runner would apply one of its own, which
    its Role forbids; before its pod is ready it will not serve. Either way it exits, and
    Kubernetes restarts it until the StatefulSet is there and ready."""
    spec = stdio_spec()
    if case == "no StatefulSet":
        gw = start_gateway(spec, transport="stdio", objects=[], wait=False)
    else:
        gw = start_gateway(spec, transport="stdio", ready=False, wait=False)
    assert gw.process is not None
    assert gw.process.wait(timeout=60) != 0
    assert gw.api is not None
    writes = [c for c in gw.api.snapshot() if c.verb not in ("get", "list")]
    if case == "no StatefulSet":
        assert [c.describe() for c in writes] == ["patch apps/statefulsets demo -> 403"]
    else:  # it attaches, then finds the workload not running
        assert {c.resource_path for c in writes} <= {"pods/attach"}
        assert "container is not running" in gw.log()
