"""Stack policies: NetworkPolicy isolation of MCP servers, gateway ServiceAccounts, and
host names in permission profiles."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ome_mcp_policy.stack import selects, unenforced_hosts
from policy_fixtures import (
    SERVER,
    TYPES,
    component,
    gateway_labels,
    network_policy,
    pod_template,
    run_stack_policy,
    secure_stack,
    server_labels,
    server_spec,
    workload,
)

Stack = list[tuple[str, dict[str, Any]]]


def _stack(drop: set[str] | None = None) -> Stack:
    """The secure stack as (type, props), without the objects named in ``drop``."""
    return [(TYPES[kind], props) for kind, name, props, _ in secure_stack("s")
            if f"{kind}/{name}" not in (drop or set())]


def test_secure_stack_passes_every_stack_policy() -> None:
    for name in ("mcp-server-network-policy", "mcp-gateway-own-service-account",
                 "profile-host-names-need-cilium"):
        assert run_stack_policy(name, _stack()) == [], name


def _server(**template: Any) -> tuple[str, dict[str, Any]]:
    return TYPES["Deployment"], workload("Deployment", pod_template(server_labels("s"),
                                                                    **template), "s")


def _np(types: list[str], namespace: str = "tools", **labels: str) -> tuple[str, dict[str, Any]]:
    selector = labels or {"ome.io/mcp-server": "s", SERVER: "mcp-server"}
    return TYPES["NetworkPolicy"], network_policy("np", namespace, selector, types)


NETWORK_CASES: list[tuple[str, Stack, bool]] = [
    ("no NetworkPolicy at all", [_server()], True),
    ("ingress only", [_server(), _np(["Ingress"])], True),
    ("egress only", [_server(), _np(["Egress"])], True),
    ("both, in one policy", [_server(), _np(["Ingress", "Egress"])], False),
    ("both, in two policies", [_server(), _np(["Ingress"]), _np(["Egress"])], False),
    ("policy in another namespace", [_server(), _np(["Ingress", "Egress"], "other")], True),
    ("policy for other pods", [_server(), _np(["Ingress", "Egress"], app="web")], True),
    ("namespace-wide default deny", [_server(), (TYPES["NetworkPolicy"], {
        "metadata": {"name": "deny", "namespace": "tools"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})], False),
    ("policyTypes defaulted from egress rules", [_server(), (TYPES["NetworkPolicy"], {
        "metadata": {"name": "np", "namespace": "tools"},
        "spec": {"podSelector": {"matchLabels": {SERVER: "mcp-server"}},
                 "ingress": [], "egress": []}})], False),
    ("server StatefulSet uncovered", [(TYPES["StatefulSet"], workload(
        "StatefulSet", pod_template(server_labels("s")), "s"))], True),
    ("not an MCP server", [(TYPES["Deployment"], workload("Deployment", pod_template(
        {"app": "web"})))], False),
]


@pytest.mark.parametrize(("stack", "violates"), [c[1:] for c in NETWORK_CASES],
                         ids=[c[0] for c in NETWORK_CASES])
def test_server_network_policy(stack: Stack, violates: bool) -> None:
    found = run_stack_policy("mcp-server-network-policy", stack)
    assert bool(found) is violates, found
    if violates:
        assert found[0][0].endswith("::r0")  # the server workload's URN


def _gateway(account: str | None) -> tuple[str, dict[str, Any]]:
    template = pod_template(gateway_labels("s"), service_account=account or "")
    if account is None:
        del template["spec"]["serviceAccountName"]
    return TYPES["Deployment"], workload("Deployment", template, "s-gateway")


ACCOUNT_CASES: list[tuple[str, Stack, bool]] = [
    ("gateway without a ServiceAccount", [_gateway(None)], True),
    ("gateway as default", [_gateway("default")], True),
    ("gateway shares the server's", [_server(service_account="s"), _gateway("s")], True),
    ("gateway has its own", [_server(service_account="s"), _gateway("s-gateway")], False),
]


@pytest.mark.parametrize(("stack", "violates"), [c[1:] for c in ACCOUNT_CASES],
                         ids=[c[0] for c in ACCOUNT_CASES])
def test_gateway_service_account(stack: Stack, violates: bool) -> None:
    found = run_stack_policy("mcp-gateway-own-service-account", stack)
    assert bool(found) is violates, found


def _profile_server(profile: dict[str, Any], enforcement: str = "kubernetes"
                    ) -> tuple[str, dict[str, Any]]:
    return TYPES["MCPServer"], component("s", server_spec(permissionProfile=profile),
                                         enforcement=enforcement)


NAMES = {"network": {"outbound": {"allowHost": ["*.ocicloud.com", "10.0.0.0/8", "db.data.svc"],
                                  "allowPort": [443]}}}
IPS = {"network": {"outbound": {"allowHost": ["10.0.0.1", "fd00::/8"]}}}
CONFIG_MAP_REF = {"type": "configMap", "configMap": {"name": "infra-permissions",
                                                     "key": "policy.json"}}


def _config_map(profile: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return TYPES["ConfigMap"], {"metadata": {"name": "infra-permissions", "namespace": "tools"},
                                "data": {"policy.json": json.dumps(profile)}}


HOST_CASES: list[tuple[str, Stack, bool]] = [
    ("inline names, kubernetes", [_profile_server({"type": "inline", "inline": NAMES})], True),
    ("inline names, cilium", [_profile_server({"type": "inline", "inline": NAMES}, "cilium")],
     False),
    ("inline IPs and CIDRs", [_profile_server({"type": "inline", "inline": IPS})], False),
    ("names in a ConfigMap of the stack", [_profile_server(CONFIG_MAP_REF),
                                           _config_map(NAMES)], True),
    ("names in a PermissionProfile component", [
        _profile_server({"type": "configMap", "configMap": {"name": "infra-permissions"}}),
        (TYPES["PermissionProfile"], {"metadata": {"name": "infra-permissions",
                                                   "namespace": "tools"}, "spec": NAMES})], True),
    ("ConfigMap outside the stack", [_profile_server(CONFIG_MAP_REF)], False),
    ("builtin profile", [_profile_server({"type": "builtin", "name": "network"})], False),
    ("names under insecureAllowAll", [_profile_server({"type": "inline", "inline": {
        "network": {"outbound": {**NAMES["network"]["outbound"], "insecureAllowAll": True}}}})],
     False),
]


@pytest.mark.parametrize(("stack", "violates"), [c[1:] for c in HOST_CASES],
                         ids=[c[0] for c in HOST_CASES])
def test_profile_host_names(stack: Stack, violates: bool) -> None:
    found = run_stack_policy("profile-host-names-need-cilium", stack)
    assert bool(found) is violates, found
    if violates:
        assert "*.ocicloud.com" in found[0][1]
        assert "10.0.0.0/8" not in found[0][1]
        assert "db.data.svc" not in found[0][1]


@pytest.mark.parametrize(("selector", "labels", "expected"), [
    ({}, {"a": "1"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "2"}}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "3"]}]},
     {"a": "1"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]},
     {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {}, False),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {}, True),
], ids=["empty selects all", "subset", "other value", "In", "NotIn", "Exists",
        "DoesNotExist"])
def test_label_selector(selector: dict[str, Any], labels: dict[str, str],
                        expected: bool) -> None:
    assert selects(selector, labels) is expected


@pytest.mark.parametrize(("host", "cilium"), [
    ("api.example.com", True), ("*.x.io", True), ("kubernetes.default.svc", True),
    ("kubernetes", True), ("10.1.2.3", False), ("10.0.0.0/8", False), ("fd00::1", False),
    ("db", False), ("db.data.svc", False), ("*.data.svc", False),
    ("db.data.svc.cluster.local", False), ("localhost", False),
], ids=lambda v: str(v))
def test_unenforced_hosts_sorts_as_the_components(host: str, cilium: bool) -> None:
    profile = {"network": {"outbound": {"allowHost": [host], "allowPort": [443.0]}}}
    assert unenforced_hosts(profile, "tools") == ([host] if cilium else [])


def test_unenforced_hosts_open_or_invalid_profile() -> None:
    open_egress = {"network": {"outbound": {"allowHost": ["api.example.com"],
                                            "insecureAllowAll": True}}}
    assert unenforced_hosts(open_egress, "tools") == []  # egress is open anyway
    invalid = {"network": {"outbound": {"allowHost": ["https://api.example.com/x"]}}}
    assert unenforced_hosts(invalid, "tools") == []  # the components refuse it
