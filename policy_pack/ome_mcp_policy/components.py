"""Policies on this project's components' inputs (``ome-mcp:index:*``).

A server component's props are ``{"metadata": {...}, "spec": <the OEP's MCPServerSpec,
camelCase, defaults applied>, "networkEnforcement": "kubernetes" | "cilium"}``; a
PermissionProfile's are ``{"metadata": {...}, "spec": <PermissionProfileSpec>}``.

MANDATORY: a ClusterMCPServer without authentication or authorization (it serves every
namespace), ``insecureAllowAll`` egress, plain-http OIDC endpoints (in a component's spec,
or in any gateway RunConfig ConfigMap of the stack). ADVISORY: a namespaced server without OIDC (its
gateway NetworkPolicy still limits clients, and the OEP's own stories and patterns run
that way), plain-http remotes, private-IP JWKS, permit-all and unmatchable Cedar policies.

The Cedar checks are the components' own (``ome_mcp_components.plan.auth``: ``is_permit_all``,
``mcp_model_warnings``), so the pack judges a policy exactly as the components warn about
it at deploy time, against the MCP model the pinned gateway evaluates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from ome_mcp_components.plan import auth
from ome_mcp_components.vocabulary.servers import wire_spec_has_gateway
from ome_mcp_components.vocabulary.tokens import (
    CLUSTER_MCP_SERVER_TYPE,
    MCP_SERVER_TYPE,
    PERMISSION_PROFILE_TYPE,
    SERVER_TYPES,
    kubernetes_kind,
)
from ome_mcp_policy._base import (
    as_list,
    as_map,
    dig,
    gateway_run_config,
    resource_policy,
)

ADVISORY = EnforcementLevel.ADVISORY
MANDATORY = EnforcementLevel.MANDATORY


def title(resource_type: str, props: Mapping[str, Any]) -> str:
    """How messages name a component: ``MCPServer 'ns/name'`` (or without a namespace)."""
    kind = resource_type.rsplit(":", 1)[-1]
    metadata = as_map(props.get("metadata"))
    namespace = metadata.get("namespace")
    name = metadata.get("name", "?")
    return f"{kind} '{namespace}/{name}'" if namespace else f"{kind} '{name}'"


def _spec(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_map(props.get("spec"))


def _server_without_oidc(resource_type: str, props: Mapping[str, Any],
                         _: Mapping[str, Any]) -> Iterator[str]:
    spec = _spec(props)
    if wire_spec_has_gateway(spec) and not spec.get("oidcConfig"):
        yield (f"{title(resource_type, props)}: served over HTTP by its gateway with no "
               f"spec.oidcConfig, so every client allowed by the network gets in.")


def _cluster_server_auth(resource_type: str, props: Mapping[str, Any],
                         _: Mapping[str, Any]) -> Iterator[str]:
    spec = _spec(props)
    missing = [f for f in ("oidcConfig", "authzConfig") if not spec.get(f)]
    if missing:
        yield (f"{title(resource_type, props)}: shared with every namespace but has no "
               f"{' and no '.join('spec.' + m for m in missing)}.")


def inline_profile(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The permission profile a component holds inline, if any."""
    spec = _spec(props)
    if resource_type == PERMISSION_PROFILE_TYPE:
        return spec
    reference = as_map(spec.get("permissionProfile"))
    if reference.get("type") == "inline":
        return as_map(reference.get("inline"))
    return None


def _open_egress(resource_type: str, props: Mapping[str, Any],
                 _: Mapping[str, Any]) -> Iterator[str]:
    profile = inline_profile(resource_type, props)
    if profile is not None and dig(profile, "network", "outbound", "insecureAllowAll") is True:
        where = "spec.network" if resource_type == PERMISSION_PROFILE_TYPE else \
            "spec.permissionProfile.inline.network"
        yield (f"{title(resource_type, props)}: {where}.outbound.insecureAllowAll opens "
               f"egress to every address.")


def _plain_http_remote(resource_type: str, props: Mapping[str, Any],
                       _: Mapping[str, Any]) -> Iterator[str]:
    spec = _spec(props)
    url = str(spec.get("url") or "")
    if spec.get("type") == "Remote" and url.lower().startswith("http://"):
        yield f"{title(resource_type, props)}: spec.url {url} is plain http."


#: The OIDC endpoints of a component's spec, and of a gateway RunConfig's oidc_config.
_SPEC_OIDC_URLS = ("issuer", "jwksURL", "introspectionURL")
_RUN_CONFIG_OIDC_URLS = ("Issuer", "JWKSURL", "IntrospectionURL")


def _plain_http_oidc(resource_type: str, props: Mapping[str, Any],
                     _: Mapping[str, Any]) -> Iterator[str]:
    if resource_type in SERVER_TYPES:
        oidc = as_map(_spec(props).get("oidcConfig"))
        for part in ("inline", "kubernetes"):
            for field in _SPEC_OIDC_URLS:
                url = dig(oidc, part, field)
                if isinstance(url, str) and auth.is_plain_http(url):
                    yield (f"{title(resource_type, props)}: spec.oidcConfig.{part}.{field} "
                           f"{url} is plain http.")
        return
    # a ConfigMap holding a gateway RunConfig: OIDC settings however they were given
    run_config = gateway_run_config(props)
    oidc = as_map(run_config.get("oidc_config")) if run_config else {}
    metadata = as_map(props.get("metadata"))
    where = f"ConfigMap '{metadata.get('namespace') or 'default'}/{metadata.get('name', '?')}'"
    for field in _RUN_CONFIG_OIDC_URLS:
        url = oidc.get(field)
        if isinstance(url, str) and auth.is_plain_http(url):
            yield f"{where}: the gateway RunConfig's oidc_config.{field} {url} is plain http."
    if oidc.get("InsecureAllowHTTP") is True:
        yield f"{where}: the gateway RunConfig sets oidc_config.InsecureAllowHTTP."


def _jwks_private_ip(resource_type: str, props: Mapping[str, Any],
                     _: Mapping[str, Any]) -> Iterator[str]:
    if dig(_spec(props), "oidcConfig", "inline", "jwksAllowPrivateIP") is True:
        yield (f"{title(resource_type, props)}: spec.oidcConfig.inline.jwksAllowPrivateIP is "
               f"true.")


def _inline_authz(props: Mapping[str, Any]) -> tuple[list[str], str]:
    """The inline Cedar policies and entities (``[]`` when absent) of a server component."""
    inline = dig(_spec(props), "authzConfig", "inline")
    policies = [str(p) for p in as_list(dig(inline, "policies"))]
    entities = dig(inline, "entitiesJSON")
    return policies, entities if isinstance(entities, str) else "[]"


def _permit_all(resource_type: str, props: Mapping[str, Any],
                _: Mapping[str, Any]) -> Iterator[str]:
    policies, _entities = _inline_authz(props)
    for index, text in enumerate(policies):
        if auth.is_permit_all(text):  # an unparsable policy is never one
            yield (f"{title(resource_type, props)}: spec.authzConfig.inline.policies[{index}] "
                   f"permits every principal, action and resource unconditionally.")


def _unmatchable(resource_type: str, props: Mapping[str, Any],
                 _: Mapping[str, Any]) -> Iterator[str]:
    policies, entities = _inline_authz(props)
    # inline policies run with the group entity type the components configure (Group)
    for warning in auth.mcp_model_warnings(policies, group_entity_type=auth.GROUP_ENTITY_TYPE,
                                           entities_json=entities):
        yield f"{title(resource_type, props)}: spec.authzConfig.inline: {warning}."


def _servers(t: str) -> bool:
    return t in SERVER_TYPES


POLICIES: list[ResourceValidationPolicy] = [
    resource_policy(
        name="mcp-server-requires-oidc",
        description="An MCPServer reachable over HTTP (every hosted server, and a remote one "
        "behind a gateway) should authenticate its clients with OIDC. Without it, any pod "
        "the gateway's NetworkPolicy admits can call every tool. ADVISORY because that "
        "NetworkPolicy still confines clients to the namespace (ClusterMCPServer: see "
        "cluster-mcp-server-requires-auth).",
        severity=Severity.HIGH, level=ADVISORY,
        remediation="Add spec.oidcConfig (type kubernetes validates service-account tokens "
        "with no extra infrastructure).",
        applies=lambda t: t == MCP_SERVER_TYPE, check=_server_without_oidc,
    ),
    resource_policy(
        name="cluster-mcp-server-requires-auth",
        description="A ClusterMCPServer must authenticate (oidcConfig) and authorize "
        "(authzConfig) its clients. It is reachable from every namespace, so without both "
        "every workload of every team can call every tool.",
        severity=Severity.CRITICAL, level=MANDATORY,
        remediation="Set spec.oidcConfig (e.g. type: kubernetes) and spec.authzConfig with "
        "Cedar policies that name the groups allowed to use each tool.",
        applies=lambda t: t == CLUSTER_MCP_SERVER_TYPE, check=_cluster_server_auth,
    ),
    resource_policy(
        name="no-open-egress",
        description="An inline permission profile must not set "
        "network.outbound.insecureAllowAll. It opens the MCP server's egress to every "
        "address, so a misused tool can exfiltrate data anywhere.",
        severity=Severity.HIGH, level=MANDATORY,
        remediation="List the hosts (IPs/CIDRs, or host names with network_enforcement="
        "'cilium') and ports the server needs in allowHost/allowPort, or use the builtin "
        "'network' profile deliberately.",
        applies=lambda t: t in SERVER_TYPES or t == PERMISSION_PROFILE_TYPE,
        check=_open_egress,
    ),
    resource_policy(
        name="remote-server-https",
        description="A Remote MCP server should be reached over https. Over plain http the "
        "tool calls, their results and any forwarded token cross the network in clear "
        "text.",
        severity=Severity.MEDIUM, level=ADVISORY,
        remediation="Use an https:// URL in spec.url.",
        applies=_servers, check=_plain_http_remote,
    ),
    resource_policy(
        name="oidc-issuer-https",
        description="OIDC endpoints (issuer, JWKS, introspection) must be https. Over plain "
        "http the signing keys can be swapped on the way, so forged tokens would pass; the "
        "gateway refuses such an issuer anyway and then rejects every token, so the server "
        "is unusable as well as unsafe.",
        severity=Severity.HIGH, level=MANDATORY,
        remediation="Serve the identity provider over https and use https:// URLs in "
        "spec.oidcConfig (or the OIDC ConfigMap); never set InsecureAllowHTTP.",
        applies=lambda t: t in SERVER_TYPES or kubernetes_kind(t) == "ConfigMap",
        check=_plain_http_oidc,
    ),
    resource_policy(
        name="oidc-jwks-private-ip",
        description="jwksAllowPrivateIP should stay false. It lets the gateway fetch signing "
        "keys from private addresses, which turns a misconfigured issuer into a "
        "server-side request forgery into the cluster network.",
        severity=Severity.MEDIUM, level=ADVISORY,
        remediation="Serve the JWKS from a public or in-cluster https endpoint and remove "
        "spec.oidcConfig.inline.jwksAllowPrivateIP.",
        applies=_servers, check=_jwks_private_ip,
    ),
    resource_policy(
        name="cedar-no-permit-all",
        description="No Cedar policy should permit every principal, action and resource "
        "unconditionally. Such a policy turns authorization off while looking configured.",
        severity=Severity.HIGH, level=ADVISORY,
        remediation="Constrain the principal (e.g. principal in Group::\"admins\"), the "
        "action or the resource, or add a when clause.",
        applies=_servers, check=_permit_all,
    ),
    resource_policy(
        name="cedar-policies-match-mcp",
        description="Every inline Cedar policy should parse and be able to match a request "
        "of the gateway (principal Client, in its Groups; actions call_tool, get_prompt, "
        "read_resource; resources Tool, Prompt, Resource in MCP::\"<server>\"; list calls "
        "have no action of their own, their items are filtered by those three). A policy "
        "that cannot match never grants (or denies) what its author meant.",
        severity=Severity.LOW, level=ADVISORY,
        remediation="Rewrite the policy with the MCP model's entity types and actions, e.g. "
        "permit(principal in Group::\"devs\", action == Action::\"call_tool\", resource == "
        "Tool::\"query\");",
        applies=_servers, check=_unmatchable,
    ),
]
