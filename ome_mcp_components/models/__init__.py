"""The spec (layer 1): the OEP's resources as pydantic models, the single source of truth
for their shape, and the components' options beyond the spec (``observability``,
``dns``, ``selectors``), what an ``allowHost`` entry is (``hosts``) and how a
``podTemplateSpec`` fragment merges (``pod_merge``, ``pod_template``).

A spec is accepted as these models, or as a mapping in the OEP's camelCase spelling (as
in its YAML) or in snake_case. Unknown fields are an error. ``parse_model`` turns
validation failures into one ``SpecValidationError`` naming resource, path and rule.
"""

from ome_mcp_components.models.auth import (
    DEFAULT_KUBERNETES_AUDIENCE,
    KUBERNETES_ISSUER,
    AuthzConfigRef,
    ConfigMapAuthzRef,
    ConfigMapOIDCRef,
    InlineAuthzConfig,
    InlineOIDCConfig,
    KubernetesOIDCConfig,
    OIDCConfigRef,
)
from ome_mcp_components.models.base import SpecModel
from ome_mcp_components.models.metadata import ObjectMetadata
from ome_mcp_components.models.profile import (
    BUILTIN_PROFILES,
    ConfigMapPermissionRef,
    NetworkPermissions,
    OutboundNetworkPermissions,
    PermissionProfileRef,
    PermissionProfileSpec,
)
from ome_mcp_components.models.spec import (
    DEFAULT_PORT,
    HTTP_TRANSPORTS,
    MCPCapabilities,
    MCPProtocolSpec,
    MCPServerSpec,
    SecretRef,
    ServerType,
    Transport,
)
from ome_mcp_components.models.validate import parse_model

__all__ = [
    "BUILTIN_PROFILES",
    "DEFAULT_KUBERNETES_AUDIENCE",
    "DEFAULT_PORT",
    "HTTP_TRANSPORTS",
    "KUBERNETES_ISSUER",
    "AuthzConfigRef",
    "ConfigMapAuthzRef",
    "ConfigMapOIDCRef",
    "ConfigMapPermissionRef",
    "InlineAuthzConfig",
    "InlineOIDCConfig",
    "KubernetesOIDCConfig",
    "MCPCapabilities",
    "MCPProtocolSpec",
    "MCPServerSpec",
    "NetworkPermissions",
    "OIDCConfigRef",
    "ObjectMetadata",
    "OutboundNetworkPermissions",
    "PermissionProfileRef",
    "PermissionProfileSpec",
    "SecretRef",
    "ServerType",
    "SpecModel",
    "Transport",
    "parse_model",
]
