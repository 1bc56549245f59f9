"""A Remote server (``type: Remote`` with OIDC and Cedar) behind the real gateway: the
gateway proxies to ``spec.url`` (rewritten to the test MCP server on loopback, path kept)
and enforces authentication and the policies as for a hosted server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import AUDIENCE, Backend, hosted_spec
from gateway_backend import TOOLS
from gateway_client import TRANSPORTS, Recorder, Transport, connect, run, text
from gateway_harness import Gateway, render
from gateway_issuer import Issuer
from gateway_scenarios import call, decision, listed_tools
from test_gateway_authn import refused

pytestmark = pytest.mark.gateway

#: Where the Remote server is, as a user would write it: the transport's usual path.
REMOTE_URLS: dict[Transport, str] = {"streamable-http": "https://mcp.crm.example.com/mcp",
                                     "sse": "https://mcp.crm.example.com/sse"}
POLICY = ('permit(principal in Group::"sales", action == Action::"call_tool", resource) '
          'when { ["list_tables", "whoami"].contains(resource.name) };')


def remote_spec(transport: Transport, url: str | None = None) -> dict[str, Any]:
    return {"type": "Remote", "url": url or REMOTE_URLS[transport], "transport": transport,
            "oidcConfig": hosted_spec(transport)["oidcConfig"],
            "authzConfig": {"type": "inline", "inline": {"policies": [POLICY]}}}


def remote_gateway(shared_gateway: Callable[..., Gateway],
                   backends: Mapping[Transport, Backend], transport: Transport) -> Gateway:
    """The gateway of the Remote spec, its upstream's scheme and host rewritten to the test
    server (the rendered path, if any, kept)."""
    rendered = render("crm", "sales", remote_spec(transport)).run_config["remote_url"]
    upstream = backends[transport].url + urlsplit(rendered).path
    return shared_gateway(remote_spec(transport), transport=transport, name="crm",
                          namespace="sales", upstream=upstream)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_remote_server_is_proxied_with_authentication(
        shared_gateway: Callable[..., Gateway], backends: Mapping[Transport, Backend],
        issuer: Issuer, other_issuer: Issuer, transport: Transport) -> None:
    gw = remote_gateway(shared_gateway, backends, transport)
    assert gw.rendered.container["args"] == ["run", "remote"]
    assert not [o for o in gw.rendered.objects if o["kind"] in ("StatefulSet", "Role")]
    for token in (None, other_issuer.token(audience=AUDIENCE),
                  issuer.token(audience="other-service"),
                  issuer.token(audience=AUDIENCE, lifetime=-60)):
        assert refused(gw, transport, token).statuses() == [401]
    token = issuer.token(audience=AUDIENCE, groups=["sales"])
    recorder = Recorder()

    async def scenario() -> tuple[str, str]:
        async with connect(gw.url, transport, token, recorder) as session:
            tables = text(await session.call_tool("list_tables", {}))
            return tables, text(await session.call_tool("whoami", {}))

    tables, whoami = run(scenario)
    assert tables == "orders,customers"
    assert whoami == f"Bearer {token}"  # the Remote server sees the caller's token


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_remote_server_is_authorized(
        shared_gateway: Callable[..., Gateway], backends: Mapping[Transport, Backend],
        issuer: Issuer, transport: Transport) -> None:
    gw = remote_gateway(shared_gateway, backends, transport)
    seller = issuer.token(audience=AUDIENCE, groups=["sales"])
    outsider = issuer.token(audience=AUDIENCE, groups=["support"])
    for token, tool, expected in ((seller, "list_tables", "allowed"),
                                  (seller, "query", "denied"),
                                  (outsider, "list_tables", "denied")):
        result, recorder = call(gw, transport, token, tool,
                                {"sql": "s"} if tool == "query" else {})
        assert (tool, decision(result, recorder, transport)) == (tool, expected)
    assert listed_tools(gw, transport, seller) == (
        {"list_tables", "whoami"} if transport == "streamable-http" else set(TOOLS))


def test_a_remote_sse_url_keeps_only_its_origin() -> None:
    """The runner replaces every request path with the path of ``remote_url``; an sse
    client uses two paths (the stream and the endpoint the server announces), so with the
    path kept its POSTs would reach the stream (405). The components render the origin,
    and warn when the Remote's sse path is not the ``/sse`` the gateway's URL names."""
    sse = render("crm", "sales", remote_spec("sse"))
    assert sse.run_config["remote_url"] == "https://mcp.crm.example.com"
    assert not [w for w in sse.warnings if "passes request paths" in w]
    streamable = render("crm", "sales", remote_spec("streamable-http"))
    assert streamable.run_config["remote_url"] == "https://mcp.crm.example.com/mcp"
    query = render("crm", "sales", remote_spec("sse", "https://mcp.crm.example.com/sse?t=a"))
    assert query.run_config["remote_url"] == "https://mcp.crm.example.com?t=a"
    elsewhere = render("crm", "sales", remote_spec("sse", "https://mcp.crm.example.com/v1/sse"))
    assert elsewhere.run_config["remote_url"] == "https://mcp.crm.example.com"
    assert [w for w in elsewhere.warnings if "passes request paths" in w and "/v1/sse" in w]
