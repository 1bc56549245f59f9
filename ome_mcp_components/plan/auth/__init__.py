"""Authentication (OIDC) and authorization (Cedar) of the servers behind the gateway.

- ``resolve_oidc`` / ``resolve_authz``: the OEP's ``oidcConfig`` / ``authzConfig`` in any of
  their kinds, checked (every Cedar policy and entity with cedarpy) and resolved into the
  ``OIDCSettings`` / ``AuthzSettings`` the gateway config is built from.
- ``mcp_model_warnings`` / ``is_permit_all``: static checks of policies against the MCP
  authorization model the gateway evaluates (``mcp_model``).
- ``auth_warnings``: every warning about a resolved server's auth settings.
- ``is_allowed`` / ``visible_tools``: the gateway's decision for a given token, emulated.

The user-facing description is ``docs/auth.md``.
"""

from ome_mcp_components.plan.auth.cedar import (
    CONFIG_TYPE,
    CONFIG_VERSION,
    PolicyError,
    parse_policy,
    resolve_authz,
)
from ome_mcp_components.plan.auth.checks import auth_warnings, is_plain_http
from ome_mcp_components.plan.auth.decisions import gateway_request, is_allowed, visible_tools
from ome_mcp_components.plan.auth.mcp_model import (
    ACTION,
    CALL_TOOL,
    CLIENT,
    DEFAULT_GROUP_CLAIMS,
    GET_PROMPT,
    GROUP_ENTITY_TYPE,
    MCP_ACTIONS,
    READ_RESOURCE,
    RESOURCE_TYPES,
    SERVER_ENTITY_TYPE,
    is_permit_all,
    mcp_model_warnings,
)
from ome_mcp_components.plan.auth.oidc import (
    CLUSTER_CA_PATH,
    SERVICE_ACCOUNT_DIR,
    TOKEN_PATH,
    resolve_oidc,
)

__all__ = [
    "ACTION",
    "CALL_TOOL",
    "CLIENT",
    "CLUSTER_CA_PATH",
    "CONFIG_TYPE",
    "CONFIG_VERSION",
    "DEFAULT_GROUP_CLAIMS",
    "GET_PROMPT",
    "GROUP_ENTITY_TYPE",
    "MCP_ACTIONS",
    "READ_RESOURCE",
    "RESOURCE_TYPES",
    "SERVER_ENTITY_TYPE",
    "SERVICE_ACCOUNT_DIR",
    "TOKEN_PATH",
    "PolicyError",
    "auth_warnings",
    "gateway_request",
    "is_allowed",
    "is_permit_all",
    "is_plain_http",
    "mcp_model_warnings",
    "parse_policy",
    "resolve_authz",
    "resolve_oidc",
    "visible_tools",
]
