"""The ``dns`` option: where cluster DNS runs, in every DNS egress rule (NetworkPolicy and
Cilium), for kube-dns (the default), OpenShift's DNS and NodeLocal DNSCache."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from invariants import STACK_CHECKS, Stack
from server_fixtures import IMAGE, PulumiHarness

from ome_mcp_components import MCPServer
from ome_mcp_components.builders.cilium import dns_proxy_rules
from ome_mcp_components.builders.network_policy import (
    dns_rule,
    gateway_network_policy,
    server_network_policy,
)
from ome_mcp_components.errors import SpecValidationError
from ome_mcp_components.models.dns import KUBE_DNS, dns_options
from ome_mcp_components.plan.context import ServerContext

MakeCtx = Callable[..., ServerContext]
HTTP = {"image": IMAGE, "transport": "streamable-http",
        "permissionProfile": {"type": "builtin", "name": "network"}}
OPENSHIFT = {
    "namespace_selector": {"matchLabels": {"kubernetes.io/metadata.name": "openshift-dns"}},
    "pod_selector": {"matchLabels": {"dns.operator.openshift.io/daemonset-dns": "default"}},
    "ports": [5353],
}
NODE_LOCAL = {"cidrs": ["169.254.20.10"]}


def both(port: int) -> list[dict[str, Any]]:
    return [{"protocol": "UDP", "port": port}, {"protocol": "TCP", "port": port}]


@pytest.mark.parametrize(
    ("dns", "rule"),
    [
        (None, {"to": [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}], "ports": both(53)}),
        (OPENSHIFT, {"to": [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "openshift-dns"}},
            "podSelector": {"matchLabels": {
                "dns.operator.openshift.io/daemonset-dns": "default"}}}], "ports": both(5353)}),
        (NODE_LOCAL, {"to": [{"ipBlock": {"cidr": "169.254.20.10/32"}}], "ports": both(53)}),
        ({**NODE_LOCAL, "namespace_selector": {"matchLabels": {
            "kubernetes.io/metadata.name": "kube-system"}}},
         {"to": [{"namespaceSelector": {"matchLabels": {
             "kubernetes.io/metadata.name": "kube-system"}}},
             {"ipBlock": {"cidr": "169.254.20.10/32"}}], "ports": both(53)}),
        ({"cidrs": ["169.254.0.0/16"]},
         {"to": [{"ipBlock": {"cidr": "169.254.0.0/16", "except": ["169.254.169.254/32"]}}],
          "ports": both(53)}),
    ],
    ids=["default -> kube-dns", "OpenShift -> openshift-dns on 5353",
         "NodeLocal DNSCache -> its address", "both while migrating",
         "a CIDR around the metadata address -> excepted"],
)
def test_dns_rule(dns: Any, rule: dict[str, Any]) -> None:
    assert dns_rule(dns_options(dns, "MCPServer 'demo'")) == rule


@pytest.mark.parametrize("policy", [server_network_policy, gateway_network_policy],
                         ids=["server", "gateway"])
def test_both_sides_use_the_dns_option(make_ctx: MakeCtx, policy: Any) -> None:
    ctx = replace(make_ctx(HTTP), dns=dns_options(NODE_LOCAL, "MCPServer 'demo'"))
    assert policy(ctx)["spec"]["egress"][0] == dns_rule(ctx.dns)


def test_cilium_dns_rule_for_kube_dns_is_unchanged() -> None:
    assert dns_proxy_rules(KUBE_DNS) == [{
        "toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                         "k8s:k8s-app": "kube-dns"}}],
        "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}],
                     "rules": {"dns": [{"matchPattern": "*"}]}}]}]


def test_cilium_dns_rules_for_selectors_and_cidrs() -> None:
    dns = dns_options({
        "namespace_selector": {"matchLabels": {"team": "platform"}, "matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["dns"]}]},
        "pod_selector": {"matchLabels": {"app": "coredns"}},
        "cidrs": ["169.254.20.10/32"], "ports": [53, 5353]}, "MCPServer 'demo'")
    to_ports = [{"ports": [{"port": "53", "protocol": "ANY"}, {"port": "5353", "protocol": "ANY"}],
                 "rules": {"dns": [{"matchPattern": "*"}]}}]
    assert dns_proxy_rules(dns) == [
        {"toEndpoints": [{
            "matchLabels": {"k8s:app": "coredns",
                            "k8s:io.cilium.k8s.namespace.labels.team": "platform"},
            "matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "In",
                                  "values": ["dns"]}]}],
         "toPorts": to_ports},
        {"toCIDRSet": [{"cidr": "169.254.20.10/32"}], "toPorts": to_ports},
    ]


@pytest.mark.parametrize(
    ("dns", "message"),
    [
        ({}, "dns: name the DNS servers: namespace_selector and/or pod_selector, or cidrs"),
        ({"cidrs": ["dns.example.com"]}, "dns.cidrs: 'dns.example.com' is not an IP address"),
        ({"cidrs": ["169.254.169.254"]}, "is the cloud metadata address"),
        ({"cidrs": ["10.0.0.10"], "ports": []}, "dns.ports: at least one port is required"),
        ({"cidrs": ["10.0.0.10"], "ports": [70000]}, "dns.ports[0]"),
        ({"namespace": "kube-system"}, "dns.namespace: unknown option (allowed: cidrs, "
                                       "namespace_selector, pod_selector, ports)"),
        ({"pod_selector": {"matchLabels": {"k8s-app": "kube dns"}}},
         "dns.pod_selector.matchLabels.k8s-app: 'kube dns' is not a valid label value"),
        ("kube-system", "dns: must be a mapping of options, got str"),
    ],
    ids=["no peer", "host name", "metadata address", "no port", "port out of range",
         "unknown option", "bad label value", "not a mapping"],
)
def test_bad_dns_option_registers_nothing(pulumi_mocks: PulumiHarness, dns: Any,
                                          message: str) -> None:
    with pytest.raises(SpecValidationError) as raised:
        pulumi_mocks.run(lambda: MCPServer("demo", {"spec": HTTP, "dns": dns}))
    assert str(raised.value).startswith("MCPServer 'demo': ")
    assert message in str(raised.value)
    assert pulumi_mocks.last is None


@pytest.mark.parametrize("dns", [OPENSHIFT, NODE_LOCAL], ids=["OpenShift", "NodeLocal"])
@pytest.mark.parametrize("enforcement", ["kubernetes", "cilium"])
def test_dns_option_keeps_the_invariants(pulumi_mocks: PulumiHarness, dns: Any,
                                         enforcement: str) -> None:
    spec = {**HTTP, "permissionProfile": {"type": "inline", "inline": {"network": {
        "outbound": {"allowHost": ["api.example.com", "10.1.0.0/16"], "allowPort": [443]}}}}}
    stack = Stack(pulumi_mocks.run(lambda: MCPServer("demo", {
        "metadata": {"namespace": "tools"}, "spec": spec, "dns": dns,
        "network_enforcement": enforcement})))
    problems = {name: check(stack) for name, check in STACK_CHECKS.items()}
    assert problems == {name: [] for name in problems}
