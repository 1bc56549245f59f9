"""The tools filter (``toolsFilter``) enforced by the real gateway: the tools not listed
are absent from ``tools/list`` and a call to one is answered "tool not found" by the
gateway itself; with Cedar policies too, a tool must pass both."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import AUDIENCE, hosted_spec
from gateway_client import TRANSPORTS, Transport
from gateway_harness import Gateway
from gateway_issuer import Issuer
from gateway_scenarios import call, decision, listed_tools

pytestmark = pytest.mark.gateway

ARGUMENTS = {"query": {"sql": "s"}, "drop_table": {"table": "t"}}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_filtered_tools_are_hidden_and_refused(
        shared_gateway: Callable[..., Gateway], issuer: Issuer, transport: Transport) -> None:
    gw = shared_gateway(hosted_spec(transport, tools_filter=["query", "list_tables"]),
                        transport=transport)
    assert gw.rendered.run_config["tools_filter"] == ["query", "list_tables"]
    token = issuer.token(audience=AUDIENCE)
    # the filter applies to the list on the event stream too (unlike Cedar's list filter)
    assert listed_tools(gw, transport, token) == {"query", "list_tables"}
    for tool, expected in (("query", "allowed"), ("list_tables", "allowed"),
                           ("drop_table", "filtered"), ("whoami", "filtered")):
        result, recorder = call(gw, transport, token, tool, ARGUMENTS.get(tool))
        assert (tool, decision(result, recorder, transport)) == (tool, expected)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_filter_and_the_policies_both_apply(
        shared_gateway: Callable[..., Gateway], issuer: Issuer, transport: Transport) -> None:
    policies = ['permit(principal in Group::"dba", action == Action::"call_tool", resource) '
                'when { ["drop_table", "whoami"].contains(resource.name) };',
                'permit(principal, action == Action::"call_tool", resource == Tool::"query");']
    gw = shared_gateway(hosted_spec(transport, policies=policies,
                                    tools_filter=["query", "drop_table"]), transport=transport)
    dba = issuer.token(audience=AUDIENCE, groups=["dba"])
    analyst = issuer.token(audience=AUDIENCE, groups=["analysts"])
    expectations = {
        (dba, "query"): "allowed", (dba, "drop_table"): "allowed",
        (dba, "whoami"): "filtered",  # permitted, but not in the filter
        (analyst, "query"): "allowed", (analyst, "drop_table"): "denied",
        (analyst, "list_tables"): "filtered",
    }
    for (token, tool), expected in expectations.items():
        result, recorder = call(gw, transport, token, tool, ARGUMENTS.get(tool))
        assert (tool, decision(result, recorder, transport)) == (tool, expected)
    assert listed_tools(gw, transport, dba) == {"query", "drop_table"}
    assert listed_tools(gw, transport, analyst) == (
        {"query"} if transport == "streamable-http" else {"query", "drop_table"})
