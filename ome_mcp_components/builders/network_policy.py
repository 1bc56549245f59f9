"""The NetworkPolicies of a server's two sides: ``<n>-server`` and ``<n>-gateway``.

Both select one side's pods and list ``Ingress`` and ``Egress`` in ``policyTypes``, so
whatever no rule allows is denied.

``<n>-server`` (hosted servers only):

* ingress: HTTP transports, from the gateway pods of the same server on ``targetPort``;
  stdio, nothing at all (the gateway attaches through the API server);
* egress: what the permission profile grants (``profiles``, ``plan.egress``):
  nothing for builtin ``none``; DNS plus the profile's rules otherwise.

``<n>-gateway``:

* ingress on the gateway's container port (``gateway.gateway_port``: ``port``, unless
  that is privileged) from the *allowed clients*: for an ``MCPServer``,
  every pod of its own namespace (a namespaced server serves its namespace); for a
  ``ClusterMCPServer``, every pod of every namespace (it is shared by all). More clients
  (an ingress controller, another namespace) are admitted by adding a NetworkPolicy that
  selects the gateway pods: NetworkPolicies only ever add to what is allowed. With
  metrics on and a scraper configured (``telemetry.metrics.scrape_namespace_selector``
  / ``scrape_pod_selector``), the scrapers too, on the same port (``/metrics`` is served
  there);
* egress: DNS, the backend pods on ``targetPort`` (hosted HTTP transports), and what the
  gateway's config needs (API server, token issuer, Remote URL: ``plan.egress``).

DNS means the peers of the ``dns`` option (``ome_mcp_components.models.dns``): by default
kube-dns in ``kube-system`` (``k8s-app: kube-dns``, also CoreDNS's label) on UDP and
TCP 53. "Every address" is ``0.0.0.0/0`` and ``::/0`` with the cloud metadata
address (169.254.169.254, fd00:ec2::254) excepted; an ``ipBlock`` of the profile that
contains it excepts it too, so the metadata address is never reachable.

Host names and the API server need Cilium: ``server_fqdn_policy`` and
``gateway_fqdn_policy`` (``builders.cilium``, re-exported here) add them when
``network_enforcement="cilium"``; ``plan.egress.unenforced_hosts`` says what stays unreachable
without it (the component warns: ``ome_mcp_components.plan.warnings``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ome_mcp_components.builders import gateway
from ome_mcp_components.builders.cilium import gateway_fqdn_policy, server_fqdn_policy
from ome_mcp_components.builders.meta import object_meta
from ome_mcp_components.models import hosts
from ome_mcp_components.models.dns import NAMESPACE_NAME_LABEL, DNSOptions
from ome_mcp_components.plan.context import ServerContext
from ome_mcp_components.plan.egress import Target, gateway_egress, server_egress
from ome_mcp_components.vocabulary import labels, names

#: Every IPv4 and every IPv6 address.
ALL_ADDRESSES = ("0.0.0.0/0", "::/0")


def server_network_policy(ctx: ServerContext) -> dict[str, Any]:
    """NetworkPolicy ``<n>-server``: ingress from the gateway only, egress per the profile."""
    ingress: list[dict[str, Any]] = []
    if ctx.spec.is_http:
        ingress.append(
            {
                "from": [_pods(labels.selector(ctx.name, labels.GATEWAY))],
                "ports": tcp_ports([ctx.spec.resolved_target_port]),
            }
        )
    egress = server_egress(ctx, ctx.profile)
    return _policy(
        ctx,
        names.server_network_policy(ctx.name),
        labels.SERVER,
        ingress,
        egress_rules(ctx, egress.network_policy_targets, dns=egress.dns),
    )


def gateway_network_policy(ctx: ServerContext) -> dict[str, Any]:
    """NetworkPolicy ``<n>-gateway``: ingress from the allowed clients on the gateway's
    port; egress to DNS, the backend and what the gateway's config needs."""
    clients: dict[str, Any] = (
        {"namespaceSelector": {}} if ctx.cluster_scoped else {"podSelector": {}}
    )
    port = tcp_ports([gateway.gateway_port(ctx)])
    ingress = [{"from": [clients], "ports": port}]
    scraper = ctx.telemetry.metrics.scraper if ctx.telemetry.metrics.enabled else None
    if scraper is not None:
        ingress.append({"from": [scraper], "ports": port})
    egress = gateway_egress(ctx, ctx.oidc)
    return _policy(
        ctx,
        names.gateway_network_policy(ctx.name),
        labels.GATEWAY,
        ingress,
        egress_rules(ctx, egress.network_policy_targets, dns=egress.dns),
    )



def egress_rules(
    ctx: ServerContext, targets: Iterable[Target], *, dns: bool
) -> list[dict[str, Any]]:
    """Egress rules: DNS first when allowed, then one rule per distinct port list."""
    rules = [dns_rule(ctx.dns)] if dns else []
    peers_by_ports: dict[tuple[int, ...], list[dict[str, Any]]] = {}
    for target in targets:
        peers = peers_by_ports.setdefault(target.ports, [])
        peers.extend(peer for peer in _peers(ctx, target) if peer not in peers)
    for ports, peers in peers_by_ports.items():
        rule: dict[str, Any] = {"to": peers}
        if ports:
            rule["ports"] = tcp_ports(ports)
        rules.append(rule)
    return rules


def _peers(ctx: ServerContext, target: Target) -> list[dict[str, Any]]:
    if target.kind == "world":
        return [ip_block(cidr) for cidr in ALL_ADDRESSES]
    if target.kind == "cidr":
        assert target.value is not None
        return [ip_block(target.value)]
    if target.kind == "service":
        return [namespace_peer(target.value)]
    if target.kind == "backend":
        return [_pods(labels.selector(ctx.name, labels.SERVER))]
    raise ValueError(f"a NetworkPolicy cannot select a {target.kind} target")


def dns_rule(dns: DNSOptions) -> dict[str, Any]:
    """Egress to cluster DNS (the ``dns`` option's peers) on its ports, UDP and TCP."""
    peers = [] if dns.selector_peer is None else [dns.selector_peer]
    peers += [ip_block(cidr) for cidr in dns.cidrs]
    ports = [{"protocol": protocol, "port": port}
             for port in dns.ports for protocol in ("UDP", "TCP")]
    return {"to": peers, "ports": ports}


def ip_block(cidr: str) -> dict[str, Any]:
    """An ``ipBlock`` peer for ``cidr``, the metadata address excepted when inside it."""
    network = hosts.as_network(cidr)
    assert network is not None, cidr
    block: dict[str, Any] = {"cidr": str(network)}
    excepted = hosts.metadata_inside(network)
    if excepted:
        block["except"] = excepted
    return {"ipBlock": block}


def namespace_peer(namespace: str | None) -> dict[str, Any]:
    """Every pod of ``namespace`` (of every namespace when None)."""
    if namespace is None:
        return {"namespaceSelector": {}}
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}}


def tcp_ports(ports: Iterable[int]) -> list[dict[str, Any]]:
    """NetworkPolicy ports: each of ``ports`` over TCP."""
    return [{"protocol": "TCP", "port": port} for port in ports]


def _pods(selector: dict[str, str]) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": selector}}


def _policy(
    ctx: ServerContext,
    name: str,
    component: labels.Component,
    ingress: list[dict[str, Any]],
    egress: list[dict[str, Any]],
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": labels.selector(ctx.name, component)},
        # both types always: a direction with no rules denies all of its traffic
        "policyTypes": ["Ingress", "Egress"],
    }
    # an empty rule list is left out, as the API server stores it (it drops empty lists)
    if ingress:
        spec["ingress"] = ingress
    if egress:
        spec["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(ctx, name, component),
        "spec": spec,
    }


__all__ = [
    "ALL_ADDRESSES",
    "NAMESPACE_NAME_LABEL",
    "dns_rule",
    "egress_rules",
    "gateway_fqdn_policy",
    "gateway_network_policy",
    "ip_block",
    "namespace_peer",
    "server_fqdn_policy",
    "server_network_policy",
    "tcp_ports",
]
