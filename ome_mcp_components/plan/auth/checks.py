"""Warnings about a server's authentication and authorization: settings that are valid
but will not do what their author most likely meant with the pinned gateway.

They are warnings, not errors: the deployment is allowed, and the component reports them
(``pulumi.log.warn``) so they are never silent.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ome_mcp_components.models import DEFAULT_KUBERNETES_AUDIENCE, MCPServerSpec
from ome_mcp_components.plan.auth import mcp_model
from ome_mcp_components.plan.auth.oidc import CLUSTER_CA_PATH, TOKEN_PATH
from ome_mcp_components.plan.context import AuthzSettings, OIDCSettings

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
#: The path of the gateway's URL for sse (``names.cluster_url``).
SSE_PATH = "/sse"
_API_SERVER_HOSTS = ("kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
                     "kubernetes.default", "kubernetes")


def auth_warnings(
    spec: MCPServerSpec, *, oidc: OIDCSettings | None, authz: AuthzSettings | None
) -> list[str]:
    """Every authentication/authorization warning for a resolved server."""
    gateway = oidc is not None or authz is not None  # a Remote server gets one only then
    warnings: list[str] = _remote_warnings(spec) if gateway else []
    if oidc is not None:
        warnings += _oidc_warnings(spec, oidc)
    if authz is not None and authz.policies:
        warnings += _authz_warnings(spec, oidc, authz)
    return warnings


def _remote_warnings(spec: MCPServerSpec) -> list[str]:
    """A Remote sse server behind the gateway (which it has only for auth) at another path
    than the ``/sse`` of the gateway's URL."""
    if spec.type != "Remote" or spec.resolved_transport != "sse" or spec.url is None:
        return []
    path = urlsplit(spec.url).path
    if path in ("", "/", SSE_PATH):
        return []
    return [f"spec.url path {path!r}: the gateway passes request paths through to a Remote "
            f"sse server unchanged (the stream and the message endpoint are two paths), so "
            f"clients must connect to the gateway at {path}, not at the {SSE_PATH} of the "
            f"server's url"]


def _oidc_warnings(spec: MCPServerSpec, oidc: OIDCSettings) -> list[str]:
    ref = spec.oidc_config
    assert ref is not None  # settings exist only for a configured oidcConfig
    warnings = []
    if ref.type == "kubernetes" and ref.kubernetes is not None \
            and ref.kubernetes.namespace is not None:
        warnings.append(
            f"spec.oidcConfig.kubernetes.namespace {ref.kubernetes.namespace!r} is not "
            f"enforced by the gateway (ToolHive ignores it): any service account whose token "
            f"carries the audience is accepted. Restrict callers with a Cedar policy, e.g. "
            f'when {{ principal.claim_sub like "system:serviceaccount:'
            f'{ref.kubernetes.namespace}:*" }}')
    if ref.type == "kubernetes" and not oidc.use_cluster_auth \
            and urlsplit(oidc.issuer).hostname in _API_SERVER_HOSTS:
        warnings.append(
            "spec.oidcConfig.kubernetes.useClusterAuth is false with the in-cluster issuer: "
            "the gateway then neither trusts the cluster CA nor presents a token, and refuses "
            "the API server's private address, so it cannot fetch the signing keys")
    if oidc.audience == DEFAULT_KUBERNETES_AUDIENCE:
        warnings.append(
            f"spec.oidcConfig audience {oidc.audience!r} (the default) is shared by every "
            f"server that keeps it, and the gateway passes the caller's token on to the MCP "
            f"server, which could replay it against any of them; set an audience per server")
    if ref.type != "kubernetes" and oidc.audience is None:
        warnings.append(
            "spec.oidcConfig has no audience: the gateway accepts a token of this issuer "
            "issued for any audience (any application of the identity provider); set the "
            "audience your clients request tokens for")
    for field, url in (("issuer", oidc.issuer), ("jwksURL", oidc.jwks_url),
                       ("introspectionURL", oidc.introspection_url)):
        if is_plain_http(url):
            warnings.append(
                f"spec.oidcConfig {field} {url!r} is plain http: the gateway refuses OIDC "
                f"endpoints that are not https; it starts, but fetches no discovery document "
                f"or keys and so refuses every token (401)")
    for field, path in (("thvCABundlePath", oidc.ca_bundle_path),
                        ("jwksAuthTokenPath", oidc.jwks_auth_token_path)):
        if path is not None and path not in (CLUSTER_CA_PATH, TOKEN_PATH):
            warnings.append(
                f"spec.oidcConfig {field} {path!r} is a file in the gateway container that "
                f"the components do not mount; the gateway fails to start unless its image "
                f"provides it (the cluster CA and the gateway's token are at "
                f"{CLUSTER_CA_PATH} and {TOKEN_PATH})")
    return warnings


def is_plain_http(url: str | None) -> bool:
    """True for an ``http://`` URL the gateway refuses as an OIDC endpoint (ToolHive allows
    plain http to a loopback address only)."""
    parts = urlsplit(url or "")
    return parts.scheme.lower() == "http" and parts.hostname not in _LOCAL_HOSTS


def _annotation_warnings(spec: MCPServerSpec, authz: AuthzSettings) -> list[str]:
    """Policies on tool annotations, which the gateway knows only from tools/list answers."""
    found = mcp_model.annotation_policies(authz.policies)
    if not found:
        return []
    names = sorted({name for names in found.values() for name in names})
    where = (f"policies {sorted(found)} read the tools' annotations ({', '.join(names)}), "
             f"which the gateway learns only from the tools/list answers it forwards")
    if spec.resolved_transport == "sse":
        when = ("over sse it never sees those answers (they come on the event stream), so a "
                "tool never has annotations")
    else:
        when = ("until a caller has listed the tools through a gateway replica (after every "
                "restart, on every replica) a tool has none")
    return [f"{where}: {when}, so a permit on them denies the call and a forbid on them does "
            f"not protect; name the tools instead (resource == Tool::\"<name>\", or "
            f"[\"a\", \"b\"].contains(resource.name))"]


def _authz_warnings(
    spec: MCPServerSpec, oidc: OIDCSettings | None, authz: AuthzSettings
) -> list[str]:
    group_type = str(authz.cedar_options.get("group_entity_type",
                                             mcp_model.GROUP_ENTITY_TYPE))
    warnings = mcp_model.mcp_model_warnings(
        authz.policies, group_entity_type=group_type, entities_json=authz.entities_json)
    warnings += mcp_model.entities_warnings(authz.entities_json)
    warnings += _annotation_warnings(spec, authz)
    if spec.resolved_transport == "sse":
        warnings.append(
            "spec.authzConfig with transport sse: the gateway filters tools/list, "
            "prompts/list and resources/list only in answers to the POST that asked, and over "
            "sse they come on the event stream, so every authenticated caller sees every "
            "tool, prompt and resource (calls are still authorized). A refused call is "
            "answered on its POST (HTTP 403) instead of the stream, where sse clients such as "
            "the MCP SDKs wait for it in vain; prefer streamable-http")
    grouped = mcp_model.group_policies(authz.policies, group_type)
    if oidc is None:
        warnings.append(
            "spec.authzConfig without spec.oidcConfig: the gateway authenticates no one and "
            "evaluates every request as the same synthetic local principal, with no group "
            "and no claims of a caller; set oidcConfig so that policies see who is calling")
    elif grouped and spec.oidc_config is not None and spec.oidc_config.type == "kubernetes":
        warnings.append(
            f"policies {grouped} need group membership ({group_type}::\"...\"), but "
            f"Kubernetes service-account tokens carry no group claim "
            f"({', '.join(mcp_model.DEFAULT_GROUP_CLAIMS)}): these policies never match a "
            f"service account. Name service accounts instead, e.g. principal == "
            f'{mcp_model.CLIENT}::"system:serviceaccount:<namespace>:<name>", or use an '
            f"identity provider that puts groups in its tokens")
    return warnings
