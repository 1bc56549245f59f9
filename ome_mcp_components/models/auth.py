"""Authentication (OIDC) and authorization (Cedar) references of the OEP."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from ome_mcp_components.models.base import (
    AbsolutePath,
    ConfigKey,
    HttpUrl,
    K8sLabel,
    K8sName,
    OptionalHttpUrl,
    SpecModel,
)
from ome_mcp_components.vocabulary.keys import AUTHZ_KEY, OIDC_KEY

#: Issuer of Kubernetes service-account tokens, as seen from inside the cluster.
KUBERNETES_ISSUER = "https://kubernetes.default.svc"
#: Audience the gateway expects in Kubernetes tokens unless one is set (ToolHive's default).
DEFAULT_KUBERNETES_AUDIENCE = "toolhive"


class KubernetesOIDCConfig(SpecModel):
    """Validate Kubernetes service-account tokens."""

    namespace: K8sLabel | None = Field(
        None, description="Namespace of the service accounts; defaults to the server's."
    )
    audience: str = Field(
        DEFAULT_KUBERNETES_AUDIENCE, min_length=1, description="Audience tokens must carry."
    )
    issuer: HttpUrl = Field(KUBERNETES_ISSUER, description="Token issuer.")
    use_cluster_auth: bool = Field(
        True,
        alias="useClusterAuth",
        description="Fetch the JWKS with the cluster CA and the gateway's own token.",
    )
    jwks_url: OptionalHttpUrl = Field(
        None, alias="jwksURL", description="JWKS URL; discovered from the issuer if empty."
    )
    introspection_url: OptionalHttpUrl = Field(
        None, alias="introspectionURL", description="Token introspection URL, if any."
    )


class ConfigMapOIDCRef(SpecModel):
    """A ConfigMap in the server's namespace holding OIDC configuration as JSON."""

    name: K8sName = Field(description="Name of the ConfigMap.")
    key: ConfigKey = Field(OIDC_KEY, description="Key holding the OIDC JSON.")


class InlineOIDCConfig(SpecModel):
    """OIDC configuration given directly."""

    issuer: HttpUrl = Field(description="Token issuer (required).")
    audience: str | None = Field(None, min_length=1, description="Audience tokens must carry.")
    jwks_url: OptionalHttpUrl = Field(None, alias="jwksURL", description="JWKS URL.")
    introspection_url: OptionalHttpUrl = Field(
        None, alias="introspectionURL", description="Token introspection URL."
    )
    thv_ca_bundle_path: AbsolutePath | None = Field(
        None, alias="thvCABundlePath", description="CA bundle for the issuer, in the gateway."
    )
    jwks_auth_token_path: AbsolutePath | None = Field(
        None, alias="jwksAuthTokenPath", description="Bearer token file for the JWKS fetch."
    )
    jwks_allow_private_ip: bool = Field(
        False,
        alias="jwksAllowPrivateIP",
        description="Allow a JWKS URL on a private address (off by default: SSRF guard).",
    )


class OIDCConfigRef(SpecModel):
    """Where the gateway's OIDC configuration comes from."""

    type: Literal["kubernetes", "configMap", "inline"] = Field(
        "kubernetes", description="Kind of OIDC configuration."
    )
    resource_url: OptionalHttpUrl = Field(
        None,
        alias="resourceURL",
        description="RFC 9728 protected-resource URL; defaults to the server's in-cluster URL.",
    )
    kubernetes: KubernetesOIDCConfig | None = Field(
        None, description="Kubernetes token validation (type kubernetes)."
    )
    config_map: ConfigMapOIDCRef | None = Field(
        None, description="ConfigMap with the configuration (type configMap)."
    )
    inline: InlineOIDCConfig | None = Field(
        None, description="The configuration itself (type inline)."
    )

    @model_validator(mode="after")
    def _required_for_type(self) -> Self:
        if self.type == "configMap" and self.config_map is None:
            raise ValueError("configMap is required for configMap OIDC configuration")
        if self.type == "inline" and self.inline is None:
            raise ValueError("inline is required for inline OIDC configuration")
        return self


class ConfigMapAuthzRef(SpecModel):
    """A ConfigMap in the server's namespace holding authorization configuration."""

    name: K8sName = Field(description="Name of the ConfigMap.")
    key: ConfigKey = Field(AUTHZ_KEY, description="Key holding the authz JSON.")


class InlineAuthzConfig(SpecModel):
    """Cedar policies and entities given directly."""

    policies: list[str] = Field(min_length=1, description="Cedar policies; at least one.")
    entities_json: str = Field(
        "[]", alias="entitiesJSON", description="Cedar entities as a JSON array."
    )


class AuthzConfigRef(SpecModel):
    """Where the gateway's authorization policies come from."""

    type: Literal["configMap", "inline"] = Field(
        "configMap", description="Kind of authorization configuration."
    )
    config_map: ConfigMapAuthzRef | None = Field(
        None, description="ConfigMap with the configuration (type configMap)."
    )
    inline: InlineAuthzConfig | None = Field(
        None, description="The policies themselves (type inline)."
    )

    @model_validator(mode="after")
    def _required_for_type(self) -> Self:
        if self.type == "configMap" and self.config_map is None:
            raise ValueError("configMap is required for configMap authorization configuration")
        if self.type == "inline" and self.inline is None:
            raise ValueError("inline is required for inline authorization configuration")
        return self
