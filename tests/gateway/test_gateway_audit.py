"""The gateway's audit log (on by default, ``audit_config`` of the RunConfig), as the real
runner writes it: one record per MCP request, with the principal, the target and the
decision."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import AUDIENCE, hosted_spec
from gateway_client import TRANSPORTS, Transport
from gateway_harness import Gateway
from gateway_issuer import Issuer
from gateway_scenarios import call, decision
from test_gateway_authn import refused
from test_gateway_authz import ANALYSTS_QUERY

pytestmark = pytest.mark.gateway

LOG_TIMEOUT = 10.0


def audit_records(gw: Gateway, count: int, event_type: str) -> list[dict[str, Any]]:
    """The audit records of ``event_type`` once there are ``count`` of them (bounded)."""
    deadline = time.monotonic() + LOG_TIMEOUT
    while True:
        records = [r for r in gw.log_records()
                   if r.get("msg") == "audit_event" and r.get("type") == event_type]
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.2)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_one_audit_record_per_call_with_principal_tool_and_decision(
        start_gateway: Callable[..., Gateway], issuer: Issuer, transport: Transport) -> None:
    spec = hosted_spec(transport, policies=[ANALYSTS_QUERY, 'permit(principal, action == '
                                            'Action::"call_tool", resource == Tool::"whoami");'],
                       tools_filter=["query", "list_tables"])
    gw = start_gateway(spec, transport=transport)
    assert gw.rendered.run_config["audit_config"]["component"] == "demo"
    ann = issuer.token(sub="ann", audience=AUDIENCE, groups=["analysts"], name="Ann Analyst")
    sam = issuer.token(sub="sam", audience=AUDIENCE, groups=["sales"],
                       email="sam@example.com")
    calls = [(ann, "query", "allowed"), (ann, "list_tables", "denied"),
             (sam, "query", "denied"), (ann, "whoami", "filtered")]
    for token, tool, expected in calls:
        result, recorder = call(gw, transport, token, tool,
                                {"sql": "s"} if tool == "query" else {})
        assert (tool, decision(result, recorder, transport)) == (tool, expected)
    refused(gw, transport, issuer.token(audience="other-service"))

    records = audit_records(gw, 3, "mcp_tool_call")
    seen = [(r["subjects"].get("user_id"), r["subjects"].get("user"), r["target"].get("name"),
             r["outcome"]) for r in records]
    # user: the token's name, else preferred_username, else email ("anonymous" if none)
    assert seen == [("ann", "Ann Analyst", "query", "success"),
                    ("ann", "Ann Analyst", "list_tables", "denied"),
                    ("sam", "sam@example.com", "query", "denied")]
    assert {r["component"] for r in records} == {"demo"}
    assert {r["target"]["type"] for r in records} == {"tool"}
    assert not [r for r in records if "data" in r]  # no arguments unless asked for
    ours = [r for r in gw.log_records() if r.get("msg") == "audit_event"
            and r["source"].get("extra", {}).get("user_agent", "").startswith("python-httpx")]
    # the call the tools filter answered is no mcp_tool_call: an http_request (over sse an
    # mcp_request), application_error, without the tool's name
    bare = "http_request" if transport == "streamable-http" else "mcp_request"
    filtered = [r for r in ours if r["type"] == bare and r["outcome"] == "application_error"]
    assert [(r["subjects"].get("user_id"), r["target"]) for r in filtered] == [
        ("ann", {"endpoint": "/mcp" if transport == "streamable-http" else "/messages/",
                 "method": "POST", "type": "endpoint"})]
    # the refused token: one record, denied, with no principal
    denied = [r for r in ours if r["outcome"] == "denied" and not r["subjects"].get("user_id")]
    assert len(denied) == 1
    assert denied[0]["subjects"] == {"user": "anonymous"}
