"""A real MCP client (the ``mcp`` SDK's ``ClientSession``) talking to the gateway.

``connect(url, transport, token)`` opens a session over streamable-http (``<url>/mcp``)
or sse (``<url>/sse``) with ``Authorization: Bearer <token>``, and initializes it. Every
HTTP exchange is recorded (``Recorder``: the JSON-RPC method and id the request carried,
the status, and the body where it is a plain JSON or error answer), because the SDK
reports what the gateway said only as an MCP error and the tests want the status too.

``call(session, ...)`` turns the SDK's three possible answers into one ``Outcome``:
a result, an MCP error (code, message), or no answer at all within the timeout (what
an sse client gets when the gateway answers a POST itself instead of on the stream).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
import httpx2
from mcp import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

Transport = Literal["streamable-http", "sse"]
TRANSPORTS: tuple[Transport, ...] = ("streamable-http", "sse")
PATHS: dict[Transport, str] = {"streamable-http": "/mcp", "sse": "/sse"}
#: How long a call may take before the test calls it unanswered.
CALL_TIMEOUT = 8.0
#: How long an sse client waits on the stream after the gateway answered the POST itself.
POST_GRACE = 1.0
#: How long a whole session (connect, initialize, calls) may take.
SESSION_TIMEOUT = 60.0


@dataclass(frozen=True)
class Exchange:
    """One HTTP request the client made, and the gateway's answer."""

    http_method: str
    path: str
    rpc_method: str | None
    rpc_id: Any
    status: int
    content_type: str
    body: bytes | None


@dataclass
class Recorder:
    exchanges: list[Exchange] = field(default_factory=list)

    async def hook(self, response: httpx2.Response) -> None:
        request = response.request
        rpc_method = rpc_id = None
        if request.method == "POST":
            try:
                message = json.loads(request.content or b"null")
            except (ValueError, httpx2.RequestNotRead):
                message = None
            if isinstance(message, dict):
                rpc_method, rpc_id = message.get("method"), message.get("id")
        content_type = response.headers.get("content-type", "")
        body = None
        if response.status_code >= 400 or content_type.startswith("application/json"):
            body = await response.aread()
        self.exchanges.append(Exchange(request.method, request.url.path, rpc_method, rpc_id,
                                       response.status_code, content_type, body))

    def statuses(self, rpc_method: str | None = None) -> list[int]:
        return [e.status for e in self.exchanges
                if rpc_method is None or e.rpc_method == rpc_method]

    def last(self, rpc_method: str) -> Exchange:
        found = [e for e in self.exchanges if e.rpc_method == rpc_method]
        assert found, f"no {rpc_method} request was sent: {self.exchanges}"
        return found[-1]

    def json_body(self, rpc_method: str) -> Any:
        body = self.last(rpc_method).body
        assert body is not None, f"the {rpc_method} answer had no plain body"
        return json.loads(body)


@dataclass(frozen=True)
class Outcome:
    """What the client got for one request."""

    result: Any = None
    error_code: int | None = None
    error_message: str | None = None
    answered: bool = True

    @property
    def ok(self) -> bool:
        return self.answered and self.error_code is None


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@asynccontextmanager
async def connect(url: str, transport: Transport, token: str | None, recorder: Recorder,
                  *, initialize: bool = True) -> AsyncIterator[ClientSession]:
    """An MCP session with the gateway at ``url`` (see the module docstring)."""
    endpoint = url + PATHS[transport]
    hooks = {"response": [recorder.hook]}
    if transport == "streamable-http":
        client = httpx2.AsyncClient(headers=_headers(token), event_hooks=hooks,
                                    timeout=httpx2.Timeout(CALL_TIMEOUT, read=30.0))
        async with client, streamable_http_client(endpoint, http_client=client) as (
                read, write), ClientSession(read, write) as session:
            if initialize:
                await session.initialize()
            yield session
    else:
        def factory(headers: dict[str, str] | None = None,
                    timeout: httpx2.Timeout | None = None,
                    auth: httpx2.Auth | None = None) -> httpx2.AsyncClient:
            return httpx2.AsyncClient(headers=headers, timeout=timeout, auth=auth,
                                      event_hooks=hooks)

        async with sse_client(endpoint, headers=_headers(token), timeout=CALL_TIMEOUT,
                              httpx_client_factory=factory) as (read, write), ClientSession(
                                  read, write) as session:
            if initialize:
                await session.initialize()
            yield session


async def outcome(request: Awaitable[Any], recorder: Recorder | None = None,
                  rpc_method: str | None = None, timeout: float = CALL_TIMEOUT) -> Outcome:
    """Await one SDK request; an MCP error, or no answer within ``timeout``, is an Outcome.

    With ``recorder`` and ``rpc_method``, stop waiting soon after the gateway has answered
    that request's POST itself (an error status, or a JSON body where an sse server
    answers 202): over sse no answer will then come on the stream."""
    result: list[Outcome] = []

    async def wait() -> None:
        try:
            result.append(Outcome(result=await request))
        except MCPError as error:
            result.append(Outcome(error_code=error.code, error_message=error.message))

    def answered_on_post() -> bool:
        return recorder is not None and any(
            e.rpc_method == rpc_method and (e.status >= 400 or e.content_type.startswith(
                "application/json")) for e in recorder.exchanges)

    with anyio.move_on_after(timeout):
        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            while not result:
                if answered_on_post():
                    await anyio.sleep(POST_GRACE)
                    break
                await anyio.sleep(0.05)
            tg.cancel_scope.cancel()
    return result[0] if result else Outcome(answered=False)


def text(result: Any) -> str:
    """The text of a ``CallToolResult``."""
    return "".join(getattr(block, "text", "") for block in result.content)


def run(scenario: Any) -> Any:
    """Run an async scenario with a bound on its duration."""

    async def bounded() -> Any:
        with anyio.fail_after(SESSION_TIMEOUT):
            return await scenario()

    return anyio.run(bounded)
