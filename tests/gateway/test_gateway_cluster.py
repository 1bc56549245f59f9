"""The real gateway with the local control plane (``devtools/cluster.py``): ``kubernetes``
OIDC against the API server's own service-account issuer (discovery and JWKS fetched with
the cluster CA and the gateway's token, as the rendered config says), callers' tokens
from the TokenRequest API; and a stdio gateway with the Role the components render,
authorized by the API server's RBAC."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import NEIGHBOUR_ACCOUNT
from gateway_backend import TOOLS
from gateway_client import Recorder, Transport, connect, run, text
from gateway_cluster import CLIENT_NAMESPACE, SERVER_NAMESPACE, access_review
from gateway_harness import Gateway
from gateway_issuer import Issuer
from gateway_scenarios import call, decision, listed_tools
from test_gateway_authn import refused
from test_gateway_authz import story_3_spec

from ome_mcp_components.plan import auth

pytestmark = pytest.mark.gateway

AUDIENCE = "demo-tools"
CLIENTS = f"system:serviceaccount:{CLIENT_NAMESPACE}:*"
POLICIES = [
    # the docs' "service accounts of one namespace"
    f'permit(principal, action == Action::"call_tool", resource) '
    f'when {{ principal.claim_sub like "{CLIENTS}" }};',
    # a group policy: Kubernetes tokens carry no group claim, so it never matches
    f'permit(principal in Group::"system:serviceaccounts:{CLIENT_NAMESPACE}", action, '
    f'resource);',
]
ATTACH_TIMEOUT = 45.0


def kubernetes_spec(transport: Transport, policies: list[str] | None = None,
                    audience: str = AUDIENCE) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "image": "ghcr.io/acme/tools:1.2.3", "transport": transport, "targetPort": 3000,
        "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": audience}}}
    if policies is not None:
        spec["authzConfig"] = {"type": "inline", "inline": {"policies": policies}}
    return spec


@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
def test_kubernetes_service_account_tokens(
        start_cluster_gateway: Callable[..., Gateway], cluster: Any, issuer: Issuer,
        transport: Transport) -> None:
    gw = start_cluster_gateway(kubernetes_spec(transport, POLICIES), transport=transport)
    oidc = gw.rendered.run_config["oidc_config"]
    assert oidc["Issuer"] == "https://kubernetes.default.svc"
    assert oidc["CACertPath"] == f"{auth.SERVICE_ACCOUNT_DIR}/ca.crt"
    assert oidc["AuthTokenFile"] == f"{auth.SERVICE_ACCOUNT_DIR}/token"
    assert oidc["AllowPrivateIP"] is True
    assert any("policies [1] need group membership" in w for w in gw.rendered.warnings)
    assert [r.name for r in gw.rewrites].count("service account") == 5

    analyst = cluster.token_request(CLIENT_NAMESPACE, "analyst-bot", audience=AUDIENCE)
    recorder = Recorder()

    async def scenario() -> str:
        async with connect(gw.url, transport, analyst, recorder) as session:
            return text(await session.call_tool("query", {"sql": "select 1"}))

    assert run(scenario) == "10 rows for: select 1"
    # tools/list is filtered over streamable-http by the namespace policy: all tools pass
    assert listed_tools(gw, transport, analyst) == set(TOOLS)

    for token in (None,
                  cluster.token_request(CLIENT_NAMESPACE, "analyst-bot", audience="other"),
                  cluster.token_request(CLIENT_NAMESPACE, "analyst-bot",
                                        audience="toolhive"),
                  cluster.token_request(CLIENT_NAMESPACE, "analyst-bot",
                                        audience=cluster.issuer_url),
                  issuer.token(audience=AUDIENCE)):  # another issuer
        assert refused(gw, transport, token).statuses() == [401]

    # authenticated, but neither policy admits a service account of another namespace
    neighbour = cluster.token_request(SERVER_NAMESPACE, NEIGHBOUR_ACCOUNT, audience=AUDIENCE)
    result, recorder = call(gw, transport, neighbour, "list_tables")
    assert decision(result, recorder, transport) == "denied"


def test_story_3_as_written_admits_no_service_account(
        start_cluster_gateway: Callable[..., Gateway], cluster: Any) -> None:
    """The OEP's story 3 verbatim (kubernetes OIDC, group policies): no service account
    is in ``Group::"admins"`` or ``Group::"developers"``, so every call is refused and
    every list is empty, as docs/auth.md and the components' warnings say."""
    transport: Transport = "streamable-http"
    spec = story_3_spec()
    gw = start_cluster_gateway(spec, transport=transport, name="shared-tools-mcp",
                               kind="ClusterMCPServer")
    assert any("need group membership" in w for w in gw.rendered.warnings)
    token = cluster.token_request(CLIENT_NAMESPACE, "report-bot",
                                  audience="enterprise-tools")
    for tool in TOOLS:
        result, recorder = call(gw, transport, token, tool,
                                {"sql": "s"} if tool == "query" else
                                {"table": "t"} if tool == "drop_table" else {})
        assert (tool, decision(result, recorder, transport)) == (tool, "denied")
    assert listed_tools(gw, transport, token) == set()


def test_stdio_rbac_the_api_server_lets_the_gateway_attach_and_nothing_more(
        start_cluster_gateway: Callable[..., Gateway], cluster: Any, issuer: Issuer) -> None:
    """The server's objects applied (KWOK makes its pod ready; nothing runs in it), the
    runner started with the gateway ServiceAccount's token: RBAC admits its calls up to
    the attach, which then fails for want of a kubelet, not of permission."""
    spec = {"image": "ghcr.io/acme/tools:1.2.3", "transport": "stdio",
            "oidcConfig": {"type": "inline", "inline": {
                "issuer": "https://auth.company.com", "audience": "mcp-tools",
                "jwksAllowPrivateIP": True}}}
    gw = start_cluster_gateway(spec, transport="stdio", issuer_url=issuer.url,
                               apply={"ServiceAccount", "Role", "RoleBinding", "StatefulSet"})
    deadline = time.monotonic() + ATTACH_TIMEOUT
    while "error attaching to workload" not in gw.log() and time.monotonic() < deadline:
        assert gw.process is not None
        assert gw.process.poll() is None, gw.log()[-3000:]
        time.sleep(0.5)
    attach_errors = [r.get("error", "") for r in gw.log_records()
                     if r.get("msg") == "error attaching to workload, retrying"]
    assert attach_errors, gw.log()[-3000:]
    assert not [e for e in attach_errors if "forbidden" in e], attach_errors
    # the API server found no kubelet to proxy the attach to (KWOK's nodes have none)
    assert "no preferred addresses found" in attach_errors[0]
    account = f"{gw.rendered.name}-gateway"
    # the calls the runner makes (test_gateway_kubernetes) are what RBAC allows ...
    for verb, resource, subresource, name, group in (
            ("get", "statefulsets", "", "demo", "apps"), ("list", "pods", "", "", ""),
            ("create", "pods", "attach", "demo-0", "")):
        assert access_review(cluster, SERVER_NAMESPACE, account, verb=verb,
                             resource=resource, subresource=subresource, name=name,
                             group=group), (verb, resource, subresource, name)
    # ... and nothing around them
    for verb, resource, subresource, name, group in (
            ("get", "pods", "attach", "demo-0", ""), ("create", "pods", "attach", "other-0", ""),
            ("create", "pods", "exec", "demo-0", ""), ("get", "services", "", "demo", ""),
            ("patch", "statefulsets", "", "demo", "apps"), ("get", "secrets", "", "", ""),
            ("get", "statefulsets", "", "other", "apps")):
        assert not access_review(cluster, SERVER_NAMESPACE, account, verb=verb,
                                 resource=resource, subresource=subresource, name=name,
                                 group=group), (verb, resource, subresource, name)
