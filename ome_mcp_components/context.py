"""What the pure builders are given: one server, fully validated and resolved.

The component validates the spec, resolves every reference (permission profile, OIDC
and authz ConfigMaps) and hands the builders a ``ServerContext``; the builders turn it
into plain manifest dicts without any I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ome_mcp_components import names
from ome_mcp_components.dns import KUBE_DNS, DNSOptions
from ome_mcp_components.models import ConfigMapAuthzRef, MCPServerSpec, PermissionProfileSpec
from ome_mcp_components.observability import AuditOptions, TelemetryOptions

Kind = Literal["MCPServer", "ClusterMCPServer"]
NetworkEnforcement = Literal["kubernetes", "cilium"]


@dataclass(frozen=True)
class OIDCSettings:
    """How the gateway authenticates clients, whatever the OIDC config type was."""

    issuer: str
    audience: str | None
    jwks_url: str | None
    introspection_url: str | None
    #: RFC 9728 protected-resource URL (the server's in-cluster URL unless set).
    resource_url: str
    #: CA bundle file inside the gateway container, if any.
    ca_bundle_path: str | None = None
    #: Bearer-token file inside the gateway container used for the JWKS fetch, if any.
    jwks_auth_token_path: str | None = None
    allow_private_ip: bool = False
    #: Kubernetes tokens validated with the cluster CA and the gateway's own token: the
    #: gateway mounts its service-account token (the server never does).
    use_cluster_auth: bool = False


@dataclass(frozen=True)
class AuthzSettings:
    """How the gateway authorizes requests: Cedar policies given inline, or read from a
    ConfigMap at deploy time; either way embedded in the gateway's RunConfig."""

    policies: tuple[str, ...] = ()
    entities_json: str = "[]"
    config_map: ConfigMapAuthzRef | None = None
    #: Cedar options a ConfigMap's ``cedarv1`` config sets besides policies and entities
    #: (``group_claim_name``, ``role_claim_name``, ``group_entity_type``,
    #: ``multi_valued_claims``); empty for inline config, which uses the gateway defaults.
    cedar_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def inline(self) -> bool:
        """True when the policies were given inline (rendered into ``<n>-authz``)."""
        return self.config_map is None


@dataclass(frozen=True)
class ServerContext:
    """One MCP server, validated and resolved, as the builders see it."""

    kind: Kind
    name: str
    namespace: str
    spec: MCPServerSpec
    #: The permission profile after resolution (builtin, ConfigMap or inline).
    profile: PermissionProfileSpec
    gateway_image: str
    oidc: OIDCSettings | None = None
    authz: AuthzSettings | None = None
    network_enforcement: NetworkEnforcement = "kubernetes"
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    #: The gateway's audit log (on unless turned off).
    audit: AuditOptions = field(default_factory=AuditOptions)
    #: The gateway's metrics and OTLP export (Prometheus metrics on by default).
    telemetry: TelemetryOptions = field(default_factory=TelemetryOptions)
    #: Where cluster DNS runs (kube-dns unless the ``dns`` option says otherwise).
    dns: DNSOptions = KUBE_DNS

    @property
    def cluster_scoped(self) -> bool:
        """A ClusterMCPServer: its gateway accepts clients from every namespace."""
        return self.kind == "ClusterMCPServer"

    @property
    def hosted(self) -> bool:
        """A server that runs in the cluster (has a server workload)."""
        return self.spec.type == "Hosted"

    @property
    def has_gateway(self) -> bool:
        """Hosted servers always have a gateway; Remote ones only with OIDC or authz."""
        return self.hosted or self.oidc is not None or self.authz is not None

    @property
    def service_account_name(self) -> str | None:
        """The server pods' ServiceAccount (None for a Remote server)."""
        if not self.hosted:
            return None
        return self.spec.service_account or names.server_service_account(self.name)

    @property
    def service_name(self) -> str | None:
        """The Service clients connect to (None for a Remote server without gateway)."""
        return names.public_service(self.name) if self.has_gateway else None

    @property
    def url(self) -> str:
        """The URL clients use: the public Service's, or the Remote server's own."""
        if self.service_name is None:
            assert self.spec.url is not None  # validated: Remote servers have a url
            return self.spec.url
        return names.cluster_url(
            self.service_name, self.namespace, self.spec.port, self.spec.resolved_transport
        )
