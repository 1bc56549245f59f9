"""NetworkPolicies and CiliumNetworkPolicies of both sides of a server, as whole objects."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest
from cilium_schema import cilium_policy_errors
from hypothesis import given, settings
from hypothesis import strategies as st

from ome_mcp_components.builders.network_policy import (
    gateway_fqdn_policy,
    gateway_network_policy,
    server_fqdn_policy,
    server_network_policy,
)
from ome_mcp_components.models import MCPServerSpec, parse_model
from ome_mcp_components.plan import profiles
from ome_mcp_components.plan.context import Kind, NetworkEnforcement, OIDCSettings, ServerContext
from ome_mcp_components.plan.egress import unenforced_hosts
from ome_mcp_components.plan.warnings import profile_warnings

N = "demo"
NS = "team-a"
RESOURCE = f"MCPServer '{N}'"
SERVER = {"ome.io/mcp-server": N, "app.kubernetes.io/component": "mcp-server"}
GATEWAY = {"ome.io/mcp-server": N, "app.kubernetes.io/component": "mcp-gateway"}
DNS = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}
#: Every address but the metadata address.
WORLD = [
    {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}},
    {"ipBlock": {"cidr": "::/0", "except": ["fd00:ec2::254/128"]}},
]
FROM_GATEWAY = {"from": [{"podSelector": {"matchLabels": GATEWAY}}]}
TO_BACKEND = {"to": [{"podSelector": {"matchLabels": SERVER}}]}
CILIUM_DNS = {
    "toEndpoints": [
        {
            "matchLabels": {
                "k8s:io.kubernetes.pod.namespace": "kube-system",
                "k8s:k8s-app": "kube-dns",
            }
        }
    ],
    "toPorts": [
        {"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}}
    ],
}
METADATA_DENY = [{"toCIDR": ["169.254.169.254/32", "fd00:ec2::254/128"]}]
ISSUER = "https://idp.example.com/realms/tools"
KUBERNETES_OIDC = OIDCSettings(
    issuer="https://kubernetes.default.svc",
    audience="toolhive",
    jwks_url=None,
    introspection_url=None,
    resource_url=f"http://{N}.{NS}.svc.cluster.local:8080/mcp",
    use_cluster_auth=True,
)


def oidc(issuer: str = ISSUER, jwks_url: str | None = None) -> OIDCSettings:
    return OIDCSettings(
        issuer=issuer,
        audience="tools",
        jwks_url=jwks_url,
        introspection_url=None,
        resource_url=f"http://{N}.{NS}.svc.cluster.local:8080/mcp",
    )


def make_spec(**overrides: Any) -> MCPServerSpec:
    fields = {"image": "ghcr.io/acme/tools:1.2.3", **overrides}
    return parse_model(MCPServerSpec, fields, resource=RESOURCE, root="spec")


def make_ctx(
    *,
    kind: Kind = "MCPServer",
    enforcement: NetworkEnforcement = "kubernetes",
    oidc: OIDCSettings | None = None,
    **spec: Any,
) -> ServerContext:
    if oidc is not None:  # the settings of an oidcConfig: the spec has one
        spec.setdefault("oidcConfig", {"type": "inline", "inline": {"issuer": oidc.issuer}})
    parsed = make_spec(**spec)
    profile = profiles.resolve_profile(
        parsed.permission_profile, config_map_data=None, resource=RESOURCE
    )
    return ServerContext(
        kind=kind,
        name=N,
        namespace=NS,
        spec=parsed,
        profile=profile,
        gateway_image="gateway:test",
        oidc=oidc,
        network_enforcement=enforcement,
    )


def outbound(**fields: Any) -> dict[str, Any]:
    return {"type": "inline", "inline": {"network": {"outbound": fields}}}


def tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def cilium_tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"ports": [{"port": str(port), "protocol": "TCP"} for port in ports]}]


def metadata(name: str, component: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": NS,
        "labels": {
            "app.kubernetes.io/component": component,
            "app.kubernetes.io/managed-by": "ome-mcp-components",
            "app.kubernetes.io/name": N,
            "app.kubernetes.io/part-of": "ome-mcp",
            "ome.io/mcp-server": N,
        },
    }


def network_policy(
    side: str, ingress: list[dict[str, Any]], egress: list[dict[str, Any]]
) -> dict[str, Any]:
    component, selector = ("mcp-server", SERVER) if side == "server" else ("mcp-gateway", GATEWAY)
    rules = {k: v for k, v in (("ingress", ingress), ("egress", egress)) if v}  # [] left out
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(f"{N}-{side}", component),
        "spec": {
            "podSelector": {"matchLabels": selector},
            "policyTypes": ["Ingress", "Egress"],
            **rules,
        },
    }


def cilium_policy(side: str, description: str, egress: list[dict[str, Any]]) -> dict[str, Any]:
    component, selector = ("mcp-server", SERVER) if side == "server" else ("mcp-gateway", GATEWAY)
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": metadata(f"{N}-{side}-fqdn", component),
        "spec": {
            "description": description,
            "endpointSelector": {"matchLabels": selector},
            "egress": [CILIUM_DNS, *egress],
            "egressDeny": METADATA_DENY,
        },
    }


def assert_valid(obj: dict[str, Any]) -> None:
    if obj["kind"] == "CiliumNetworkPolicy":
        assert cilium_policy_errors(obj) == []
    else:
        kubernetes_validate.validate(obj, "1.34", strict=True)


HTTP: dict[str, Any] = {"transport": "streamable-http"}
HTTP_INGRESS = [{**FROM_GATEWAY, "ports": tcp(8080)}]
STORY_2 = outbound(allowHost=["*.ocicloud.com", "kubernetes.default.svc"], allowPort=[443, 6443])

# --- the server's NetworkPolicy --------------------------------------------------------

SERVER_CASES: list[Any] = [
    pytest.param(
        make_ctx(),
        network_policy("server", [], []),
        id="stdio, builtin none -> no ingress, no egress",
    ),
    pytest.param(
        make_ctx(**HTTP),
        network_policy("server", HTTP_INGRESS, []),
        id="streamable-http, builtin none -> ingress from the gateway only, no egress",
    ),
    pytest.param(
        make_ctx(transport="sse", port=9000, targetPort=3000),
        network_policy("server", [{**FROM_GATEWAY, "ports": tcp(3000)}], []),
        id="sse -> ingress from the gateway on targetPort",
    ),
    pytest.param(
        make_ctx(permissionProfile={"type": "builtin", "name": "network"}),
        network_policy("server", [], [DNS, {"to": WORLD}]),
        id="builtin network -> open egress except metadata",
    ),
    pytest.param(
        make_ctx(
            permissionProfile=outbound(
                insecureAllowAll=True, allowHost=["10.0.0.0/8"], allowPort=[443]
            )
        ),
        network_policy("server", [], [DNS, {"to": WORLD}]),
        id="insecureAllowAll -> open egress; allowHost and allowPort add nothing",
    ),
    pytest.param(
        make_ctx(permissionProfile=outbound()),
        network_policy("server", [], []),
        id="outbound allowing nothing -> no egress, not even DNS",
    ),
    pytest.param(
        make_ctx(permissionProfile=outbound(allowPort=[443, 80])),
        network_policy("server", [], [DNS, {"to": WORLD, "ports": tcp(80, 443)}]),
        id="ports only -> those TCP ports to every address except metadata",
    ),
    pytest.param(
        make_ctx(
            permissionProfile=outbound(
                allowHost=["10.1.2.3/8", "192.168.10.5", "2001:db8::/32"], allowPort=[5432, 443]
            )
        ),
        network_policy(
            "server",
            [],
            [
                DNS,
                {
                    "to": [
                        {"ipBlock": {"cidr": "10.0.0.0/8"}},
                        {"ipBlock": {"cidr": "192.168.10.5/32"}},
                        {"ipBlock": {"cidr": "2001:db8::/32"}},
                    ],
                    "ports": tcp(443, 5432),
                },
            ],
        ),
        id="CIDR + ports -> ipBlock rules on those ports",
    ),
    pytest.param(
        make_ctx(permissionProfile=outbound(allowHost=["203.0.113.0/24"])),
        network_policy("server", [], [DNS, {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}]),
        id="CIDR without ports -> every port of it",
    ),
    pytest.param(
        make_ctx(permissionProfile=outbound(allowHost=["169.254.0.0/16", "0.0.0.0/0", "fd00::/8"])),
        network_policy(
            "server",
            [],
            [
                DNS,
                {
                    "to": [
                        {"ipBlock": {"cidr": "169.254.0.0/16", "except": ["169.254.169.254/32"]}},
                        {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}},
                        {"ipBlock": {"cidr": "fd00::/8", "except": ["fd00:ec2::254/128"]}},
                    ]
                },
            ],
        ),
        id="CIDR containing the metadata address -> excepted",
    ),
    pytest.param(
        make_ctx(permissionProfile=STORY_2),
        network_policy("server", [], [DNS]),
        id="host names without cilium -> not enforced (no rule), DNS only",
    ),
    pytest.param(
        make_ctx(
            permissionProfile=outbound(
                allowHost=["db.data.svc", "cache.svc.cluster.local", "redis", "localhost"],
                allowPort=[5432, 6379],
            )
        ),
        network_policy(
            "server",
            [],
            [
                DNS,
                {
                    "to": [
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}
                        for ns in ("data", "cache", NS)
                    ],
                    "ports": tcp(5432, 6379),
                },
            ],
        ),
        id="in-cluster Service names -> their namespaces' pods on the ports",
    ),
    pytest.param(
        make_ctx(permissionProfile=outbound(allowHost=["*.svc"])),
        network_policy("server", [], [DNS, {"to": [{"namespaceSelector": {}}]}]),
        id="*.svc -> every namespace",
    ),
    pytest.param(
        make_ctx(
            enforcement="cilium",
            permissionProfile=outbound(
                allowHost=["api.example.com", "10.0.0.0/8"], allowPort=[443]
            ),
        ),
        network_policy(
            "server", [], [DNS, {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": tcp(443)}]
        ),
        id="cilium -> CIDRs stay in the NetworkPolicy, names go to the FQDN policy",
    ),
]


@pytest.mark.parametrize(("ctx", "expected"), SERVER_CASES)
def test_server_network_policy(ctx: ServerContext, expected: dict[str, Any]) -> None:
    policy = server_network_policy(ctx)
    assert policy == expected
    assert_valid(policy)


# --- the server's CiliumNetworkPolicy -----------------------------------------------------

SERVER_FQDN = "MCP server demo: egress to the hosts its permission profile names"

SERVER_FQDN_CASES: list[Any] = [
    pytest.param(
        make_ctx(enforcement="cilium", permissionProfile=STORY_2),
        cilium_policy(
            "server",
            SERVER_FQDN,
            [
                {"toFQDNs": [{"matchPattern": "*.ocicloud.com"}], "toPorts": cilium_tcp(443, 6443)},
                {"toEntities": ["kube-apiserver"], "toPorts": cilium_tcp(443, 6443)},
            ],
        ),
        id="cilium -> FQDN policy with DNS rule (OEP story 2; API server as entity)",
    ),
    pytest.param(
        make_ctx(
            enforcement="cilium",
            permissionProfile=outbound(allowHost=["api.example.com", "*.trusted.example.com"]),
        ),
        cilium_policy(
            "server",
            SERVER_FQDN,
            [
                {
                    "toFQDNs": [
                        {"matchName": "api.example.com"},
                        {"matchPattern": "*.trusted.example.com"},
                    ]
                }
            ],
        ),
        id="cilium, names without ports -> every port of those names",
    ),
    pytest.param(
        make_ctx(
            enforcement="cilium",
            permissionProfile=outbound(allowHost=["a.example.com"], allowPort=list(range(1, 42))),
        ),
        cilium_policy(
            "server",
            SERVER_FQDN,
            [
                {
                    "toFQDNs": [{"matchName": "a.example.com"}],
                    "toPorts": [*cilium_tcp(*range(1, 41)), *cilium_tcp(41)],
                }
            ],
        ),
        id="cilium, more than 40 ports -> several PortRules",
    ),
    pytest.param(make_ctx(permissionProfile=STORY_2), None, id="kubernetes enforcement -> none"),
    pytest.param(
        make_ctx(enforcement="cilium", permissionProfile=outbound(allowHost=["10.0.0.0/8"])),
        None,
        id="cilium, only CIDRs -> none",
    ),
    pytest.param(
        make_ctx(enforcement="cilium", permissionProfile=outbound(allowHost=["db.data.svc"])),
        None,
        id="cilium, only in-cluster Services -> none",
    ),
    pytest.param(
        make_ctx(
            enforcement="cilium",
            permissionProfile=outbound(insecureAllowAll=True, allowHost=["api.example.com"]),
        ),
        None,
        id="cilium, insecureAllowAll -> none",
    ),
    pytest.param(
        make_ctx(enforcement="cilium", type="Remote", url="https://mcp.example.com/mcp"),
        None,
        id="cilium, Remote server -> none (no server pods)",
    ),
]


@pytest.mark.parametrize(("ctx", "expected"), SERVER_FQDN_CASES)
def test_server_fqdn_policy(ctx: ServerContext, expected: dict[str, Any] | None) -> None:
    policy = server_fqdn_policy(ctx)
    assert policy == expected
    if policy is not None:
        assert_valid(policy)


# --- the gateway's NetworkPolicy ------------------------------------------------------------

API_SERVER = {"to": WORLD, "ports": tcp(443, 6443)}
SAME_NAMESPACE = [{"from": [{"podSelector": {}}], "ports": tcp(8080)}]

GATEWAY_CASES: list[Any] = [
    pytest.param(
        make_ctx(**HTTP),
        network_policy("gateway", SAME_NAMESPACE, [DNS, {**TO_BACKEND, "ports": tcp(8080)}]),
        id="streamable-http MCPServer -> clients of its namespace; DNS and backend",
    ),
    pytest.param(
        make_ctx(transport="sse", port=9000, targetPort=3000),
        network_policy(
            "gateway",
            [{"from": [{"podSelector": {}}], "ports": tcp(9000)}],
            [DNS, {**TO_BACKEND, "ports": tcp(3000)}],
        ),
        id="sse -> clients on port, backend on targetPort",
    ),
    pytest.param(
        make_ctx(transport="sse", port=80, targetPort=3000),
        network_policy(
            "gateway",
            [{"from": [{"podSelector": {}}], "ports": tcp(8080)}],
            [DNS, {**TO_BACKEND, "ports": tcp(3000)}],
        ),
        id="privileged port -> clients on the gateway's fallback container port",
    ),
    pytest.param(
        make_ctx(kind="ClusterMCPServer", **HTTP),
        network_policy(
            "gateway",
            [{"from": [{"namespaceSelector": {}}], "ports": tcp(8080)}],
            [DNS, {**TO_BACKEND, "ports": tcp(8080)}],
        ),
        id="ClusterMCPServer gateway -> all namespaces",
    ),
    pytest.param(
        make_ctx(),
        network_policy("gateway", SAME_NAMESPACE, [DNS, API_SERVER]),
        id="stdio gateway -> API server (attach) on 443 and 6443, no backend",
    ),
    pytest.param(
        make_ctx(oidc=KUBERNETES_OIDC, **HTTP),
        network_policy(
            "gateway", SAME_NAMESPACE, [DNS, {**TO_BACKEND, "ports": tcp(8080)}, API_SERVER]
        ),
        id="kubernetes OIDC gateway -> API server egress",
    ),
    pytest.param(
        make_ctx(oidc=oidc(jwks_url="https://keys.example.com:8443/jwks"), **HTTP),
        network_policy(
            "gateway",
            SAME_NAMESPACE,
            [DNS, {**TO_BACKEND, "ports": tcp(8080)}, {"to": WORLD, "ports": tcp(443, 8443)}],
        ),
        id="OIDC issuer and JWKS names without cilium -> their ports to every address",
    ),
    pytest.param(
        make_ctx(
            oidc=oidc("https://192.0.2.10/realms/x", "http://[2001:db8::5]:8080/jwks"), **HTTP
        ),
        network_policy(
            "gateway",
            SAME_NAMESPACE,
            [
                DNS,
                {
                    "to": [
                        {"podSelector": {"matchLabels": SERVER}},
                        {"ipBlock": {"cidr": "2001:db8::5/128"}},
                    ],
                    "ports": tcp(8080),
                },
                {"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}], "ports": tcp(443)},
            ],
        ),
        id="OIDC issuer and JWKS on IPs -> ipBlocks on their ports",
    ),
    pytest.param(
        make_ctx(type="Remote", url="https://mcp.example.com/mcp", oidc=oidc()),
        network_policy("gateway", SAME_NAMESPACE, [DNS, {"to": WORLD, "ports": tcp(443)}]),
        id="Remote gateway -> egress to remote host (and issuer) port, no backend",
    ),
    pytest.param(
        make_ctx(type="Remote", url="http://tools.shared.svc.cluster.local:8000/mcp", oidc=oidc()),
        network_policy(
            "gateway",
            SAME_NAMESPACE,
            [
                DNS,
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "shared"}
                            }
                        }
                    ]
                },
                {"to": WORLD, "ports": tcp(443)},
            ],
        ),
        id="Remote gateway to an in-cluster Service -> its namespace, every port",
    ),
    pytest.param(
        make_ctx(enforcement="cilium", oidc=oidc(), **HTTP),
        network_policy("gateway", SAME_NAMESPACE, [DNS, {**TO_BACKEND, "ports": tcp(8080)}]),
        id="cilium -> issuer and API server go to the gateway FQDN policy",
    ),
]


@pytest.mark.parametrize(("ctx", "expected"), GATEWAY_CASES)
def test_gateway_network_policy(ctx: ServerContext, expected: dict[str, Any]) -> None:
    policy = gateway_network_policy(ctx)
    assert policy == expected
    assert_valid(policy)


# --- the gateway's CiliumNetworkPolicy ------------------------------------------------------

GATEWAY_FQDN = "MCP gateway demo: egress to its token issuer, upstream and API server"
API_SERVER_ENTITY = {"toEntities": ["kube-apiserver"], "toPorts": cilium_tcp(443, 6443)}

GATEWAY_FQDN_CASES: list[Any] = [
    pytest.param(
        make_ctx(enforcement="cilium", oidc=oidc(jwks_url="https://keys.example.com/jwks"), **HTTP),
        cilium_policy(
            "gateway",
            GATEWAY_FQDN,
            [
                {
                    "toFQDNs": [
                        {"matchName": "idp.example.com"},
                        {"matchName": "keys.example.com"},
                    ],
                    "toPorts": cilium_tcp(443),
                }
            ],
        ),
        id="cilium, inline OIDC -> toFQDNs of issuer and JWKS hosts",
    ),
    pytest.param(
        make_ctx(enforcement="cilium"),
        cilium_policy("gateway", GATEWAY_FQDN, [API_SERVER_ENTITY]),
        id="cilium, stdio -> kube-apiserver entity",
    ),
    pytest.param(
        make_ctx(
            enforcement="cilium",
            type="Remote",
            url="http://mcp.example.com:8000/mcp",
            oidc=KUBERNETES_OIDC,
        ),
        cilium_policy(
            "gateway",
            GATEWAY_FQDN,
            [
                API_SERVER_ENTITY,
                {"toFQDNs": [{"matchName": "mcp.example.com"}], "toPorts": cilium_tcp(8000)},
            ],
        ),
        id="cilium, Remote with kubernetes OIDC -> API server entity and remote host",
    ),
    pytest.param(make_ctx(enforcement="cilium", **HTTP), None, id="cilium, no host -> none"),
    pytest.param(make_ctx(oidc=oidc(), **HTTP), None, id="kubernetes enforcement -> none"),
    pytest.param(
        make_ctx(enforcement="cilium", type="Remote", url="https://mcp.example.com/mcp"),
        None,
        id="Remote without gateway -> none",
    ),
]


@pytest.mark.parametrize(("ctx", "expected"), GATEWAY_FQDN_CASES)
def test_gateway_fqdn_policy(ctx: ServerContext, expected: dict[str, Any] | None) -> None:
    policy = gateway_fqdn_policy(ctx)
    assert policy == expected
    if policy is not None:
        assert_valid(policy)


# --- the warning for what NetworkPolicy cannot enforce ------------------------------------


def test_unenforced_host_names_are_named_in_a_warning() -> None:
    ctx = make_ctx(
        permissionProfile=outbound(
            allowHost=["*.ocicloud.com", "10.0.0.0/8", "db.data.svc", "kubernetes.default.svc"]
        )
    )
    assert unenforced_hosts(ctx, ctx.profile) == ["*.ocicloud.com", "kubernetes.default.svc"]
    assert profile_warnings(ctx, ctx.known) == [
        "MCPServer 'demo': the permission profile allows host names that a Kubernetes "
        "NetworkPolicy cannot enforce: *.ocicloud.com, kubernetes.default.svc. The server "
        "cannot reach them. Deploy with network_enforcement='cilium' (CiliumNetworkPolicy "
        "toFQDNs and the kube-apiserver entity), or list their IP addresses or CIDRs in "
        "allowHost."
    ]


@pytest.mark.parametrize(
    "ctx",
    [
        pytest.param(make_ctx(enforcement="cilium", permissionProfile=STORY_2), id="cilium"),
        pytest.param(
            make_ctx(
                permissionProfile=outbound(insecureAllowAll=True, allowHost=["a.example.com"])
            ),
            id="insecureAllowAll",
        ),
        pytest.param(
            make_ctx(permissionProfile=outbound(allowHost=["10.0.0.0/8", "db.data.svc"])),
            id="CIDRs and Services only",
        ),
        pytest.param(make_ctx(type="Remote", url="https://x.example.com"), id="Remote"),
    ],
)
def test_no_warning_when_everything_is_enforced(ctx: ServerContext) -> None:
    assert unenforced_hosts(ctx, ctx.profile) == []
    assert profile_warnings(ctx, ctx.known) == []


# --- the metadata address is never reachable --------------------------------------------

METADATA = [ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")]


def _block_allows(
    block: dict[str, Any], address: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> bool:
    network = ipaddress.ip_network(block["cidr"])
    excepted = [ipaddress.ip_network(e) for e in block.get("except", [])]
    return (
        address.version == network.version
        and address in network
        and not any(address in e for e in excepted if e.version == address.version)
    )


def network_policy_reaches(
    policy: dict[str, Any], address: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> bool:
    """Whether any egress rule lets the selected pods reach ``address`` (a non-pod IP)."""
    for rule in policy["spec"].get("egress", []):
        peers = rule.get("to")
        if not peers:
            return True  # no peers: every destination
        if any("ipBlock" in p and _block_allows(p["ipBlock"], address) for p in peers):
            return True
    return False


def cilium_policy_reaches(
    policy: dict[str, Any], address: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> bool:
    """Whether a CiliumNetworkPolicy allows ``address`` past its own deny rules."""
    denied = any(
        address in ipaddress.ip_network(cidr)
        for rule in policy["spec"].get("egressDeny", [])
        for cidr in rule.get("toCIDR", [])
        if ipaddress.ip_network(cidr).version == address.version
    )
    if denied:
        return False
    for rule in policy["spec"].get("egress", []):
        if {"world", "all"} & set(rule.get("toEntities", [])):
            return True
        if any(_block_allows(block, address) for block in rule.get("toCIDRSet", [])):
            return True
        # toFQDNs: any name may resolve to any address; only the deny rule stops that
        if "toFQDNs" in rule:
            return True
    return False


def all_policies(ctx: ServerContext) -> list[dict[str, Any]]:
    rendered = [
        server_network_policy(ctx),
        gateway_network_policy(ctx),
        server_fqdn_policy(ctx),
        gateway_fqdn_policy(ctx),
    ]
    return [policy for policy in rendered if policy is not None]


def assert_metadata_unreachable(ctx: ServerContext) -> None:
    for policy in all_policies(ctx):
        assert_valid(policy)
        reaches: Callable[[dict[str, Any], Any], bool] = (
            cilium_policy_reaches
            if policy["kind"] == "CiliumNetworkPolicy"
            else network_policy_reaches
        )
        for address in METADATA:
            assert not reaches(policy, address), (policy["metadata"]["name"], str(address))


PROFILES: list[Any] = [
    pytest.param(None, id="no profile"),
    pytest.param({"type": "builtin", "name": "none"}, id="builtin none"),
    pytest.param({"type": "builtin", "name": "network"}, id="builtin network"),
    pytest.param(outbound(insecureAllowAll=True), id="insecureAllowAll"),
    pytest.param(outbound(allowPort=[80, 443]), id="ports 80 and 443"),
    pytest.param(outbound(allowHost=["0.0.0.0/0", "::/0"]), id="every address as CIDRs"),
    pytest.param(
        outbound(allowHost=["169.254.0.0/16", "fd00::/8"], allowPort=[80]),
        id="CIDRs around the metadata addresses",
    ),
    pytest.param(
        outbound(allowHost=["*.example.com", "kubernetes.default.svc", "db.data.svc"]),
        id="names, API server and a Service",
    ),
    pytest.param(STORY_2, id="OEP story 2"),
]


@pytest.mark.parametrize("enforcement", ["kubernetes", "cilium"])
@pytest.mark.parametrize("transport", ["stdio", "streamable-http"])
@pytest.mark.parametrize("profile", PROFILES)
def test_metadata_address_is_never_reachable(
    profile: dict[str, Any] | None, transport: str, enforcement: NetworkEnforcement
) -> None:
    spec: dict[str, Any] = {"transport": transport}
    if profile is not None:
        spec["permissionProfile"] = profile
    assert_metadata_unreachable(make_ctx(enforcement=enforcement, oidc=oidc(), **spec))


cidrs = st.builds(
    lambda address, prefix: f"{address}/{prefix}",
    st.ip_addresses(v=4),
    st.integers(0, 31),
) | st.builds(
    lambda address, prefix: f"{address}/{prefix}", st.ip_addresses(v=6), st.integers(0, 127)
)
host_entries = cidrs | st.sampled_from(
    ["169.254.0.0/16", "169.254.169.0/24", "api.example.com", "*.svc", "kubernetes"]
)


@settings(max_examples=150, deadline=None)
@given(
    hosts=st.lists(host_entries, unique=True, max_size=5),
    ports=st.lists(st.integers(1, 65535), unique=True, max_size=4),
    allow_all=st.booleans(),
    enforcement=st.sampled_from(["kubernetes", "cilium"]),
)
def test_metadata_address_is_never_reachable_for_any_cidr(
    hosts: list[str], ports: list[int], allow_all: bool, enforcement: NetworkEnforcement
) -> None:
    profile = outbound(insecureAllowAll=allow_all, allowHost=hosts, allowPort=ports)
    ctx = make_ctx(enforcement=enforcement, permissionProfile=profile, **HTTP)
    assert_metadata_unreachable(ctx)


# --- the Cilium schema itself catches mistakes --------------------------------------------


def _story_2_fqdn_policy() -> dict[str, Any]:
    policy = server_fqdn_policy(make_ctx(enforcement="cilium", permissionProfile=STORY_2))
    assert policy is not None
    return policy


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        pytest.param(
            lambda p: p["spec"]["egress"][1].update(toEndpoints=[{}]),
            "spec.egress.1: ",
            id="toFQDNs mixed with toEndpoints in one rule",
        ),
        pytest.param(
            lambda p: p["spec"]["egress"][1]["toFQDNs"][0].update(matchName="a.example.com"),
            "spec.egress.1.toFQDNs.0: ",
            id="matchName and matchPattern together",
        ),
        pytest.param(
            lambda p: p["spec"]["egress"][1]["toPorts"][0]["ports"][0].update(port=443),
            "spec.egress.1.toPorts.0.ports.0.port: 443 is not of type 'string'",
            id="port as a number",
        ),
        pytest.param(
            lambda p: p["spec"]["egressDeny"][0].update(toCIDR=["169.254.169.254"]),
            "spec.egressDeny.0.toCIDR.0: '169.254.169.254' is not a 'cidr'",
            id="CIDR without prefix length",
        ),
        pytest.param(
            lambda p: p["spec"].update(egres=p["spec"].pop("egress")),
            "spec: Additional properties are not allowed ('egres' was unexpected)",
            id="misspelt field",
        ),
        pytest.param(
            lambda p: [p["spec"].pop("egress"), p["spec"].pop("egressDeny")],
            "spec: ",
            id="no rules at all (the CRD wants ingress, egress or a deny list)",
        ),
    ],
)
def test_cilium_schema_refuses(mutate: Callable[[dict[str, Any]], object], error: str) -> None:
    policy = _story_2_fqdn_policy()
    mutate(policy)
    errors = cilium_policy_errors(policy)
    assert any(e.startswith(error) for e in errors), errors
