"""Short MCP conversations with a gateway, each in a session of its own, and the gateway's
decisions as ``auth.decisions`` predicts them, for comparison.

A session of its own per question because over sse a refused call kills the SDK's
session (the gateway answers the POST with an error status; the SDK's post writer
stops), and because the gateway's state (its cache of tool annotations) must not
depend on the order of the questions unless a test says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway_backend import TOOLS
from gateway_client import Outcome, Recorder, Transport, connect, outcome, run
from gateway_harness import Gateway

from ome_mcp_components.models import MCPServerSpec, parse_model
from ome_mcp_components.plan import auth

#: JSON-RPC error the gateway answers a Cedar denial with (``mcp.JSONRPCCodeDenied``,
#: over HTTP 403, message "Unauthorized").
DENIED = 403
#: JSON-RPC error for a tool the tools filter removed ("tool not found", invalid params).
NOT_FOUND = -32602


def listed_tools(gw: Gateway, transport: Transport, token: str) -> set[str]:
    """The tool names ``tools/list`` shows this caller."""

    async def scenario() -> set[str]:
        async with connect(gw.url, transport, token, Recorder()) as session:
            return {t.name for t in (await session.list_tools()).tools}

    result: set[str] = run(scenario)
    return result


def call(gw: Gateway, transport: Transport, token: str, tool: str,
         arguments: Mapping[str, Any] | None = None, *, list_first: bool = False
         ) -> tuple[Outcome, Recorder]:
    """``tools/call`` of ``tool`` in a fresh session (after a ``tools/list`` if asked)."""
    recorder = Recorder()

    async def scenario() -> Outcome:
        async with connect(gw.url, transport, token, recorder) as session:
            if list_first:
                await session.list_tools()
            return await outcome(session.call_tool(tool, dict(arguments or {})), recorder,
                                 "tools/call")

    result: Outcome = run(scenario)
    return result, recorder


def request(gw: Gateway, transport: Transport, token: str, kind: str, target: str
            ) -> tuple[Outcome, Recorder]:
    """``prompts/get`` (``kind="prompt"``) or ``resources/read`` (``"resource"``)."""
    recorder = Recorder()

    async def scenario() -> Outcome:
        async with connect(gw.url, transport, token, recorder) as session:
            if kind == "prompt":
                return await outcome(session.get_prompt(target, {"table_name": "orders"}),
                                     recorder, "prompts/get")
            return await outcome(session.read_resource(target), recorder, "resources/read")

    result: Outcome = run(scenario)
    return result, recorder


def listed(gw: Gateway, transport: Transport, token: str, kind: str) -> list[str]:
    """The prompt names or resource URIs the list shows this caller."""

    async def scenario() -> list[str]:
        async with connect(gw.url, transport, token, Recorder()) as session:
            if kind == "prompt":
                return [p.name for p in (await session.list_prompts()).prompts]
            return [str(r.uri) for r in (await session.list_resources()).resources]

    result: list[str] = run(scenario)
    return result


def decision(result: Outcome, recorder: Recorder, transport: Transport,
             rpc_method: str = "tools/call") -> str:
    """``allowed``, ``denied`` (Cedar) or ``filtered`` (tools filter), from what the
    client got and what the gateway answered on HTTP."""
    if result.ok:
        return "allowed"
    answer = recorder.last(rpc_method)
    if answer.status == 403 and recorder.json_body(rpc_method)["error"]["code"] == DENIED:
        # over sse the answer is the POST's, which the SDK does not read: no answer comes
        assert (not result.answered) if transport == "sse" else result.error_code == DENIED
        assert result.error_message in (None, "Unauthorized")
        return "denied"
    if answer.status == 200 and answer.content_type.startswith("application/json"):
        error = recorder.json_body(rpc_method).get("error") or {}
        if error.get("code") == NOT_FOUND and error.get("message") == "tool not found":
            assert (not result.answered) if transport == "sse" else (
                result.error_code == NOT_FOUND)
            return "filtered"
    raise AssertionError(f"unexpected answer {result} / {answer}")


def predicted(gw: Gateway, claims: Mapping[str, Any], action: str, resource_id: str,
              arguments: Mapping[str, Any] | None = None) -> str:
    """What ``auth.is_allowed`` (our emulation of the gateway's Cedar request) predicts
    for the rendered spec, given the server's annotations for a tool."""
    authz = emulated_authz(gw)
    annotations = TOOLS.get(resource_id) if action == "call_tool" else None
    allowed = auth.is_allowed(authz, claims=claims, action=action, resource_id=resource_id,
                              server_name=gw.rendered.run_config["name"],
                              arguments=arguments, annotations=annotations)
    return "allowed" if allowed else "denied"


def emulated_authz(gw: Gateway) -> Any:
    """``AuthzSettings`` of the gateway's spec, resolved as the component resolves them."""
    resource = f"MCPServer '{gw.rendered.name}'"
    parsed = parse_model(MCPServerSpec, gw.rendered.spec, resource=resource, root="spec")
    assert parsed.authz_config is not None
    return auth.resolve_authz(parsed.authz_config, config_map_data=None, resource=resource)
