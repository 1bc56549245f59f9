"""Authentication by the real gateway, from the RunConfig the components render for inline
OIDC: a token must come from the configured issuer, for the configured audience, unexpired
and with a subject; anything else is refused with 401 before the MCP server sees it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from conftest import AUDIENCE, RENDERED_ISSUER, hosted_spec
from gateway_backend import TOOLS
from gateway_client import TRANSPORTS, Recorder, Transport, connect, run, text
from gateway_harness import Gateway
from gateway_issuer import DROP, Issuer

pytestmark = pytest.mark.gateway


def refused(gw: Gateway, transport: Transport, token: str | None) -> Recorder:
    """Connect and initialize with ``token``; assert the SDK fails, return what it heard."""
    recorder = Recorder()

    async def scenario() -> None:
        async with connect(gw.url, transport, token, recorder):
            pass

    with pytest.raises(BaseException):  # noqa: B017, PT011 (the SDK's error types vary)
        run(scenario)
    return recorder


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_valid_token_initializes_lists_and_calls(
        shared_gateway: Callable[..., Gateway], issuer: Issuer, transport: Transport) -> None:
    gw = shared_gateway(hosted_spec(transport), transport=transport)
    assert [r.name for r in gw.rewrites if r.name == "issuer"] == ["issuer"]
    assert gw.rendered.run_config["oidc_config"]["Issuer"] == RENDERED_ISSUER
    token = issuer.token(sub="alice", audience=AUDIENCE)
    recorder = Recorder()

    async def scenario() -> dict[str, Any]:
        async with connect(gw.url, transport, token, recorder) as session:
            listed = await session.list_tools()
            called = await session.call_tool("query", {"sql": "select 1", "limit": 3})
            whoami = await session.call_tool("whoami", {})
            prompts = await session.list_prompts()
            resources = await session.list_resources()
            return {"tools": {t.name for t in listed.tools}, "query": text(called),
                    "whoami": text(whoami), "prompts": [p.name for p in prompts.prompts],
                    "resources": [str(r.uri) for r in resources.resources]}

    seen = run(scenario)
    assert seen["tools"] == set(TOOLS)
    assert seen["query"] == "3 rows for: select 1"
    assert seen["prompts"] == ["analyze_table"]
    assert seen["resources"] == ["schema://tables"]
    # the gateway passes the caller's token on to the server (docs/auth.md)
    assert seen["whoami"] == f"Bearer {token}"
    assert set(recorder.statuses()) <= {200, 202}


REFUSALS: dict[str, Callable[[Issuer, Issuer], str | None]] = {
    "no token": lambda ours, other: None,
    "another issuer": lambda ours, other: other.token(audience=AUDIENCE),
    "our claims signed with another key": lambda ours, other: ours.token(
        audience=AUDIENCE, key=other.key),
    "another audience": lambda ours, other: ours.token(audience="other-service"),
    "expired": lambda ours, other: ours.token(audience=AUDIENCE, lifetime=-60),
    "no subject": lambda ours, other: ours.token(audience=AUDIENCE, sub=DROP),
    "not a JWT": lambda ours, other: "opaque-token-value",
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("case", REFUSALS)
def test_a_bad_token_is_refused_with_401(
        shared_gateway: Callable[..., Gateway], issuer: Issuer, other_issuer: Issuer,
        transport: Transport, case: str) -> None:
    gw = shared_gateway(hosted_spec(transport), transport=transport)
    recorder = refused(gw, transport, REFUSALS[case](issuer, other_issuer))
    first = recorder.exchanges[0]
    assert first.status == 401
    assert (first.http_method, first.rpc_method) == (
        ("POST", "initialize") if transport == "streamable-http" else ("GET", None))
    assert recorder.statuses() == [401]


def test_the_401_names_the_issuer_and_the_protected_resource(
        shared_gateway: Callable[..., Gateway], issuer: Issuer) -> None:
    """RFC 6750 / RFC 9728: ``WWW-Authenticate`` carries the realm (the issuer) and the
    metadata URL of the resource (``resourceURL``, by default the in-cluster URL)."""
    transport: Transport = "streamable-http"
    gw = shared_gateway(hosted_spec(transport), transport=transport)
    answer = httpx2.post(gw.url + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                         timeout=10)
    assert answer.status_code == 401
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'realm="{issuer.url}"' in challenge
    resource = gw.rendered.run_config["oidc_config"]["ResourceURL"]
    assert resource == "http://demo.tools.svc.cluster.local:8080/mcp"
    assert ('resource_metadata="http://demo.tools.svc.cluster.local:8080'
            '/.well-known/oauth-protected-resource/mcp"') in challenge
    assert answer.json()["error"] == "invalid_request"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_default_refuses_an_issuer_on_a_private_address(
        shared_gateway: Callable[..., Gateway], issuer: Issuer, transport: Transport) -> None:
    """``jwksAllowPrivateIP`` defaults to false: the gateway will not fetch discovery or
    keys from a private (here: loopback) address, so even a valid token is refused."""
    spec = hosted_spec(transport, oidc={"issuer": RENDERED_ISSUER, "audience": AUDIENCE})
    gw = shared_gateway(spec, transport=transport)
    assert gw.rendered.run_config["oidc_config"]["AllowPrivateIP"] is False
    recorder = refused(gw, transport, issuer.token(audience=AUDIENCE))
    assert recorder.statuses() == [401]


def test_a_plain_http_issuer_is_refused_at_the_first_request(
        start_gateway: Callable[..., Gateway], test_ca: Any) -> None:
    """The gateway starts, and refuses every token: it fetches no discovery document or
    keys over plain http (``InsecureAllowHTTP`` is always false)."""
    plain = Issuer(test_ca, name="plain-issuer", tls=False).start()
    try:
        transport: Transport = "streamable-http"
        spec = hosted_spec(transport, oidc={"issuer": "http://auth.company.com",
                                            "audience": AUDIENCE, "jwksAllowPrivateIP": True})
        gw = start_gateway(spec, transport=transport, issuer_url=plain.url)
        assert gw.rendered.run_config["oidc_config"]["InsecureAllowHTTP"] is False
        assert any("plain http" in w for w in gw.rendered.warnings)
        recorder = refused(gw, transport, plain.token(audience=AUDIENCE))
        assert recorder.statuses() == [401]
        assert plain.requests == []  # not even the discovery document was fetched
        assert gw.process is not None
        assert gw.process.poll() is None  # still serving
    finally:
        plain.stop()


def test_without_oidc_the_gateway_lets_anyone_in(shared_gateway: Callable[..., Gateway]) -> None:
    transport: Transport = "streamable-http"
    spec = hosted_spec(transport)
    del spec["oidcConfig"]
    gw = shared_gateway(spec, transport=transport)
    assert "oidc_config" not in gw.rendered.run_config
    recorder = Recorder()

    async def scenario() -> str:
        async with connect(gw.url, transport, None, recorder) as session:
            return text(await session.call_tool("list_tables", {}))

    assert run(scenario) == "orders,customers"


def test_the_protected_resource_metadata_is_served(
        shared_gateway: Callable[..., Gateway], issuer: Issuer) -> None:
    """RFC 9728: ``/.well-known/oauth-protected-resource`` (unauthenticated) names the
    resource (``resourceURL``) and the issuer as its authorization server."""
    transport: Transport = "streamable-http"
    gw = shared_gateway(hosted_spec(transport), transport=transport)
    answer = httpx2.get(gw.url + "/.well-known/oauth-protected-resource", timeout=10)
    assert answer.status_code == 200
    metadata = answer.json()
    assert metadata["resource"] == gw.rendered.run_config["oidc_config"]["ResourceURL"]
    assert metadata["authorization_servers"] == [issuer.url]
    assert metadata["bearer_methods_supported"] == ["header"]


@pytest.mark.parametrize(("field", "message"), [
    ("thvCABundlePath", "failed to read CA certificate bundle"),
    ("jwksAuthTokenPath", "failed to read auth token file")])
def test_an_unmounted_file_stops_the_gateway(
        start_gateway: Callable[..., Gateway], field: str, message: str) -> None:
    """``thvCABundlePath``/``jwksAuthTokenPath`` name files in the gateway container; one
    the components do not mount (they warn) makes the runner exit at start-up."""
    transport: Transport = "streamable-http"
    spec = hosted_spec(transport, oidc={"issuer": RENDERED_ISSUER, "audience": AUDIENCE,
                                        field: "/etc/corporate/not-mounted"})
    gw = start_gateway(spec, transport=transport, wait=False)
    assert any("do not mount" in w for w in gw.rendered.warnings)
    assert gw.process is not None
    assert gw.process.wait(timeout=30) != 0
    assert message in gw.log()
