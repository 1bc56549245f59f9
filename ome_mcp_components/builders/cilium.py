"""CiliumNetworkPolicies: the egress a Kubernetes NetworkPolicy cannot express.

Rendered only with ``network_enforcement="cilium"``, next to the NetworkPolicies of
``builders.network_policy`` (Cilium enforces both, and allows what either allows):

* ``<n>-server-fqdn`` selects the server pods when their permission profile names hosts:
  ``toFQDNs`` (``matchName``, or ``matchPattern`` for ``*`` wildcards, with Cilium's
  meaning: ``*.example.com`` is one level of subdomains, ``**.example.com`` any depth)
  on the profile's ports, and the API server's names as the ``kube-apiserver`` entity
  (``toFQDNs`` never applies to in-cluster addresses);
* ``<n>-gateway-fqdn`` selects the gateway pods when the gateway reaches a host name
  (token issuer, JWKS, introspection, Remote URL) or the API server.

Whether each exists is decided from the spec and the one setting it depends on
(``wants_*``: the profile, the OIDC settings). When that setting is read at deploy time
the policy exists regardless, and is filled (``*_fill``) from the data read: its rules,
or, if the data names no host that needs Cilium, no rule at all ("nothing to allow").

Each carries the DNS rule ``toFQDNs`` depends on: DNS to the cluster's DNS servers (the
``dns`` option: kube-dns unless it says otherwise) goes through Cilium's DNS proxy
(``rules: dns: [{matchPattern: "*"}]``), which learns the addresses the names resolve
to; without it no FQDN rule ever matches. DNS pods are selected with Cilium's label
prefixes (``k8s:`` for pod labels; ``k8s:io.kubernetes.pod.namespace`` for the
namespace name, ``k8s:io.cilium.k8s.namespace.labels.<key>`` for other namespace
labels), DNS servers given as CIDRs with ``toCIDRSet``. Each also denies the metadata address
(``egressDeny``), so a name that resolves to it (DNS rebinding) is still refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.models import PermissionProfileSpec, hosts
from ome_mcp_components.models.dns import NAMESPACE_NAME_LABEL, DNSOptions
from ome_mcp_components.plan.context import (
    PENDING,
    OIDCSettings,
    Pending,
    ServerContext,
    ServerShape,
)
from ome_mcp_components.plan.egress import Target, gateway_egress, server_egress
from ome_mcp_components.vocabulary import defaults, labels, names

API_VERSION = "cilium.io/v2"
KIND = "CiliumNetworkPolicy"
#: Cilium's label of a pod's namespace name, and its prefix for the namespace's labels.
CILIUM_NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace"
CILIUM_NAMESPACE_LABELS_PREFIX = "k8s:io.cilium.k8s.namespace.labels."
#: Cilium's prefix for a pod's own Kubernetes labels.
CILIUM_POD_LABEL_PREFIX = "k8s:"
#: The Cilium entity of the Kubernetes API server.
API_SERVER_ENTITY = "kube-apiserver"
#: At most this many ports in one PortRule (the CRD's ``maxItems``).
MAX_PORTS_PER_RULE = 40


def wants_server_fqdn_policy(shape: ServerShape, profile: PermissionProfileSpec | Pending,
                             ) -> bool:
    """Whether ``<n>-server-fqdn`` exists: a hosted server under Cilium whose profile names
    a host that needs Cilium, or whose profile is read at deploy time (the set of objects
    never waits for a read: ``server_fqdn_fill`` then says what the data allows)."""
    if not shape.hosted or shape.network_enforcement != "cilium":
        return False
    return profile is PENDING or bool(server_egress(shape, profile).cilium_targets)


def wants_gateway_fqdn_policy(shape: ServerShape, oidc: OIDCSettings | Pending | None,
                              ) -> bool:
    """Whether ``<n>-gateway-fqdn`` exists: a gateway under Cilium that reaches a host
    name or the API server, or whose OIDC configuration is read at deploy time."""
    if not shape.has_gateway or shape.network_enforcement != "cilium":
        return False
    return oidc is PENDING or bool(gateway_egress(shape, oidc).cilium_targets)


def server_fqdn_policy(ctx: ServerContext) -> dict[str, Any] | None:
    """CiliumNetworkPolicy ``<n>-server-fqdn``, or None when Cilium is not used or the
    profile names no host that needs it."""
    if not wants_server_fqdn_policy(ctx, ctx.profile):
        return None
    return server_fqdn_fill(ctx)


def gateway_fqdn_policy(ctx: ServerContext) -> dict[str, Any] | None:
    """CiliumNetworkPolicy ``<n>-gateway-fqdn``, or None when Cilium is not used or the
    gateway needs neither a host name nor the API server."""
    if not wants_gateway_fqdn_policy(ctx, ctx.oidc):
        return None
    return gateway_fqdn_fill(ctx)


def server_fqdn_fill(ctx: ServerContext) -> dict[str, Any]:
    """``<n>-server-fqdn`` of a server the layout gave one: its rules, or none at all."""
    description = f"MCP server {ctx.name}: egress to the hosts its permission profile names"
    return _policy(ctx, names.server_fqdn_policy(ctx.name), labels.SERVER,
                   server_egress(ctx, ctx.profile).cilium_targets, description)


def gateway_fqdn_fill(ctx: ServerContext) -> dict[str, Any]:
    """``<n>-gateway-fqdn`` of a server the layout gave one: its rules, or none at all."""
    description = f"MCP gateway {ctx.name}: egress to its token issuer, upstream and API server"
    return _policy(ctx, names.gateway_fqdn_policy(ctx.name), labels.GATEWAY,
                   gateway_egress(ctx, ctx.oidc).cilium_targets, description)


def _policy(
    ctx: ServerContext,
    name: str,
    component: labels.Component,
    targets: list[Target],
    description: str,
) -> dict[str, Any]:
    metadata = object_meta(ctx, name, component)
    selector = {"matchLabels": labels.selector(ctx.name, component)}
    if not targets:
        return _nothing_to_allow(metadata, selector)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": {
            "description": description,
            "endpointSelector": selector,
            "egress": [*dns_proxy_rules(ctx.dns), *egress_rules(targets)],
            "egressDeny": [metadata_deny_rule()],
        },
    }


def _nothing_to_allow(metadata: dict[str, Any], selector: dict[str, Any]) -> dict[str, Any]:
    """A policy whose data, read at deploy time, names no host that needs Cilium: no rule
    at all. Cilium puts an endpoint in default-deny only for a direction in which some
    policy has rules, so this one neither allows nor denies anything, and the side's
    NetworkPolicy stays its only rule."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": {
            "description": "Nothing to allow: the resolved configuration names no host "
                           "that needs Cilium.",
            "endpointSelector": selector,
            "egress": [],
        },
    }


def egress_rules(targets: Iterable[Target]) -> list[dict[str, Any]]:
    """One rule per kind and port list: ``toFQDNs`` of the names, or the API server entity."""
    grouped: dict[tuple[str, tuple[int, ...]], list[dict[str, str]]] = {}
    for target in targets:
        selectors = grouped.setdefault((target.kind, target.ports), [])
        if target.kind == "fqdn":
            assert target.value is not None
            selector = fqdn_selector(target.value)
            if selector not in selectors:
                selectors.append(selector)
    rules: list[dict[str, Any]] = []
    for (kind, ports), selectors in grouped.items():
        rule: dict[str, Any] = (
            {"toFQDNs": selectors} if kind == "fqdn" else {"toEntities": [API_SERVER_ENTITY]}
        )
        if ports:
            rule["toPorts"] = to_ports(ports)
        rules.append(rule)
    return rules


def fqdn_selector(host: str) -> dict[str, str]:
    """``matchPattern`` for a name with ``*`` wildcards, ``matchName`` otherwise."""
    return {"matchPattern": host} if "*" in host else {"matchName": host}


def to_ports(ports: Iterable[int]) -> list[dict[str, Any]]:
    """Cilium ``toPorts`` for TCP ``ports``, split into PortRules of at most 40 ports."""
    entries = [{"port": str(port), "protocol": "TCP"} for port in ports]
    return [
        {"ports": entries[start : start + MAX_PORTS_PER_RULE]}
        for start in range(0, len(entries), MAX_PORTS_PER_RULE)
    ]


def dns_proxy_rules(dns: DNSOptions) -> list[dict[str, Any]]:
    """DNS to the cluster's DNS servers through Cilium's DNS proxy, which ``toFQDNs``
    needs to see lookups: one rule for DNS pods, one for DNS servers given as CIDRs."""
    to_ports = [{
        "ports": [{"port": str(port), "protocol": "ANY"} for port in dns.ports],
        "rules": {"dns": [{"matchPattern": "*"}]},
    }]
    rules: list[dict[str, Any]] = []
    if dns.namespace_selector is not None or dns.pod_selector is not None:
        rules.append({"toEndpoints": [dns_endpoint_selector(dns)], "toPorts": to_ports})
    if dns.cidrs:
        rules.append({"toCIDRSet": [_cidr_set(cidr) for cidr in dns.cidrs],
                      "toPorts": to_ports})
    return rules


def dns_endpoint_selector(dns: DNSOptions) -> dict[str, Any]:
    """The DNS pods as a Cilium endpoint selector (without a namespace selector: pods of
    the policy's own namespace, as in a NetworkPolicy)."""
    labels: dict[str, str] = {}
    expressions: list[dict[str, Any]] = []
    for selector, prefix in ((dns.namespace_selector, CILIUM_NAMESPACE_LABELS_PREFIX),
                             (dns.pod_selector, CILIUM_POD_LABEL_PREFIX)):
        for key, value in ((selector or {}).get("matchLabels") or {}).items():
            if prefix == CILIUM_NAMESPACE_LABELS_PREFIX and key == NAMESPACE_NAME_LABEL:
                labels[CILIUM_NAMESPACE_LABEL] = value
            else:
                labels[prefix + key] = value
        for expression in (selector or {}).get("matchExpressions") or []:
            key = expression["key"]
            renamed = CILIUM_NAMESPACE_LABEL if (
                prefix == CILIUM_NAMESPACE_LABELS_PREFIX and key == NAMESPACE_NAME_LABEL
            ) else prefix + key
            expressions.append({**expression, "key": renamed})
    result: dict[str, Any] = {}
    if labels:
        result["matchLabels"] = dict(sorted(labels.items()))
    if expressions:
        result["matchExpressions"] = expressions
    return result


def _cidr_set(cidr: str) -> dict[str, Any]:
    network = hosts.as_network(cidr)
    assert network is not None, cidr
    entry: dict[str, Any] = {"cidr": str(network)}
    excepted = hosts.metadata_inside(network)
    if excepted:
        entry["except"] = excepted
    return entry


def metadata_deny_rule() -> dict[str, Any]:
    """Deny the cloud metadata address, whatever a name resolves to."""
    return {"toCIDR": [defaults.METADATA_CIDR, defaults.METADATA_CIDR_V6]}
