"""What the pure builders are given: one server, validated, with what is known of it.

A server is known in two steps. Its ``ServerShape`` (kind, name, namespace, validated
spec, component options) is known once its arguments are checked, and alone decides
*which* objects it has (``builders.layout``). Its references (permission profile, OIDC
and authz configuration) are resolved into ``Known`` settings, each possibly ``PENDING``
while the ConfigMap it names is read at deploy time; a ``ServerContext`` is the shape
with every setting resolved, from which the builders fill each object, without any I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ome_mcp_components.models import ConfigMapAuthzRef, MCPServerSpec, PermissionProfileSpec
from ome_mcp_components.models.dns import KUBE_DNS, DNSOptions
from ome_mcp_components.models.observability import AuditOptions, TelemetryOptions
from ome_mcp_components.vocabulary import names
from ome_mcp_components.vocabulary.servers import has_gateway

Kind = Literal["MCPServer", "ClusterMCPServer"]
NetworkEnforcement = Literal["kubernetes", "cilium"]
#: The references of a server to configuration, by the setting each resolves to.
Role = Literal["profile", "oidc", "authz"]


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


class Pending(enum.Enum):
    """A setting whose ConfigMap is read at deploy time: not known while planning."""

    READ = "read"


#: The one ``Pending`` value.
PENDING = Pending.READ


@dataclass(frozen=True)
class Known:
    """A server's settings as far as they are known: each resolved, or ``PENDING``."""

    profile: PermissionProfileSpec | Pending
    oidc: OIDCSettings | Pending | None
    authz: AuthzSettings | Pending | None

    @property
    def pending(self) -> frozenset[Role]:
        """The roles still to be read."""
        settings: tuple[tuple[Role, object], ...] = (
            ("profile", self.profile), ("oidc", self.oidc), ("authz", self.authz))
        return frozenset(role for role, value in settings if value is PENDING)


@dataclass(frozen=True, kw_only=True)
class ServerShape:
    """One MCP server as its validated arguments describe it, before any reference is
    resolved: enough to know which objects it has and what they are called."""

    kind: Kind
    name: str
    namespace: str
    spec: MCPServerSpec
    gateway_image: str
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
    def resource(self) -> str:
        """The server as error and warning messages name it."""
        return f"{self.kind} '{self.name}'"

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
        """Hosted servers always have a gateway; Remote ones only with OIDC or authz (as
        the spec says: known before any ConfigMap is read; the policy pack applies the
        same rule, ``vocabulary.servers``)."""
        return has_gateway(hosted=self.hosted, oidc=self.spec.oidc_config is not None,
                           authz=self.spec.authz_config is not None)

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


@dataclass(frozen=True, kw_only=True)
class ServerContext(ServerShape):
    """One MCP server, validated and resolved, as the builders fill its objects."""

    #: The permission profile after resolution (builtin, ConfigMap or inline).
    profile: PermissionProfileSpec
    oidc: OIDCSettings | None = None
    authz: AuthzSettings | None = None

    @property
    def known(self) -> Known:
        """The settings, all of them known."""
        return Known(self.profile, self.oidc, self.authz)
