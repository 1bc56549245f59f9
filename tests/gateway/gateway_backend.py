"""The MCP server behind the gateway in the real-gateway tests, written with the ``mcp`` SDK.

    python gateway_backend.py streamable-http|sse

It binds a free port on 127.0.0.1, prints ``PORT <n>`` on stdout once it listens, and
serves until it is terminated. What it offers (``TOOLS`` is the same list, for tests):

- tools ``query`` and ``list_tables`` (annotated ``readOnlyHint: true``), ``drop_table``
  (``readOnlyHint: false``, ``destructiveHint: true``) and ``whoami`` (no annotations;
  it answers with the ``Authorization`` header the server received, so a test can see
  what the gateway forwards);
- prompt ``analyze_table``;
- resource ``schema://tables``.

Paths: ``/mcp`` (streamable-http), ``/sse`` and ``/messages/`` (sse), the SDK's defaults
and the paths the components' in-cluster URL names.
"""

from __future__ import annotations

import asyncio
import socket
import sys

import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations

#: Tool name -> its annotations as the server lists them (None: no annotations).
TOOLS: dict[str, dict[str, bool] | None] = {
    "query": {"readOnlyHint": True},
    "list_tables": {"readOnlyHint": True},
    "drop_table": {"readOnlyHint": False, "destructiveHint": True},
    "whoami": None,
}
PROMPT = "analyze_table"
RESOURCE = "schema://tables"
TABLES = ("orders", "customers")

server = MCPServer("ome-gateway-test-backend")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def query(sql: str, limit: int = 10) -> str:
    """Run a read-only query."""
    return f"{limit} rows for: {sql}"


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def list_tables() -> str:
    """List the tables."""
    return ",".join(TABLES)


@server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True))
def drop_table(table: str) -> str:
    """Drop a table (pretends to)."""
    return f"dropped {table}"


@server.tool()
def whoami(ctx: Context) -> str:
    """The Authorization header this server received with the call."""
    headers = ctx.headers or {}
    return headers.get("authorization", "")


@server.prompt(name=PROMPT)
def analyze_table(table_name: str) -> str:
    """Ask for an analysis of one table."""
    return f"Analyze the table {table_name}."


@server.resource(RESOURCE)
def tables() -> str:
    """The table names."""
    return "\n".join(TABLES)


async def serve(transport: str) -> None:
    """Serve ``transport`` on a free loopback port until cancelled."""
    if transport == "streamable-http":
        app = server.streamable_http_app(streamable_http_path="/mcp", host="127.0.0.1")
    elif transport == "sse":
        app = server.sse_app(sse_path="/sse", message_path="/messages/", host="127.0.0.1")
    else:
        raise SystemExit(f"unknown transport {transport!r}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    instance = uvicorn.Server(config)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    await instance.serve(sockets=[sock])


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
