"""``MCPServerSpec``, the OEP's spec of a hosted or remote MCP server, and its parts."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from ome_mcp_components.models.auth import AuthzConfigRef, OIDCConfigRef
from ome_mcp_components.models.base import (
    ConfigKey,
    EnvName,
    K8sName,
    OptionalHttpUrl,
    Port,
    RuleError,
    SpecModel,
    StringSet,
)
from ome_mcp_components.models.k8s_schema import schema_errors
from ome_mcp_components.models.pod_template import check_pod_template
from ome_mcp_components.models.profile import PermissionProfileRef

Transport = Literal["stdio", "streamable-http", "sse"]
ServerType = Literal["Hosted", "Remote"]
HTTP_TRANSPORTS: frozenset[str] = frozenset({"streamable-http", "sse"})
#: The OEP's default port and target port.
DEFAULT_PORT = 8080


def _k8s(definition: str, *, list_key: str | None = None) -> AfterValidator:
    """Check a field against a Kubernetes schema definition (a list: each item)."""

    def check(value: Any) -> Any:
        items = value if isinstance(value, list) else None
        for index, item in enumerate(items if items is not None else [value]):
            prefix: tuple[str | int, ...] = (index,) if items is not None else ()
            problems = [
                (prefix + path, message) for path, message in schema_errors(item, definition)
            ]
            if problems:
                raise RuleError(*problems[0], *problems[1:])
        if list_key is not None and items is not None:
            keys = [item.get(list_key) for item in items]
            duplicates = sorted({k for k in keys if keys.count(k) > 1})
            if duplicates:
                raise ValueError(
                    f"{list_key} must be unique (a map keyed by {list_key}): "
                    f"duplicated {duplicates!r}"
                )
        return value

    return AfterValidator(check)


_CORE = "io.k8s.api.core.v1."
EnvList = Annotated[list[dict[str, Any]], _k8s(_CORE + "EnvVar", list_key="name")]
VolumeMountList = Annotated[list[dict[str, Any]], _k8s(_CORE + "VolumeMount", list_key="name")]
VolumeList = Annotated[list[dict[str, Any]], _k8s(_CORE + "Volume", list_key="name")]
TolerationList = Annotated[list[dict[str, Any]], _k8s(_CORE + "Toleration")]
Resources = Annotated[dict[str, Any], _k8s(_CORE + "ResourceRequirements")]
AffinitySpec = Annotated[dict[str, Any], _k8s(_CORE + "Affinity")]
#: A fragment of a pod template, checked as merged onto the server pod (models.pod_template).
PodTemplate = Annotated[dict[str, Any], AfterValidator(check_pod_template)]


class MCPProtocolSpec(SpecModel):
    """The wire protocol; MCP is always JSON-RPC 2.0."""

    name: Literal["JSON-RPC"] = Field("JSON-RPC", description="Always JSON-RPC for MCP.")
    version: Literal["2.0"] = Field("2.0", description="Always 2.0 for MCP.")


class MCPCapabilities(SpecModel):
    """The MCP capabilities the server offers."""

    tools: bool = Field(True, description="The server offers tools.")
    resources: bool = Field(False, description="The server offers resources.")
    prompts: bool = Field(False, description="The server offers prompts.")


class SecretRef(SpecModel):
    """A key of a Secret, passed to the MCP server as an environment variable."""

    name: K8sName = Field(description="Name of the Secret, in the server's namespace.")
    key: ConfigKey = Field(description="Key in the Secret.")
    target_env_name: EnvName | None = Field(
        None, description="Environment variable to set; defaults to the key."
    )

    @property
    def env_name(self) -> str:
        """The environment variable this secret reaches the server as."""
        return self.target_env_name or self.key


class MCPServerSpec(SpecModel):
    """The OEP's ``MCPServerSpec``: every field, default and validation rule."""

    type: ServerType = Field("Hosted", description="Hosted in the cluster, or Remote by URL.")
    image: str | None = Field(None, description="Container image (Hosted servers).")
    url: OptionalHttpUrl = Field(None, description="URL of the server (Remote servers).")
    transport: Transport | None = Field(
        None,
        description="MCP transport. Defaults to stdio for Hosted servers (the OEP's default) "
        "and to streamable-http for Remote ones, which cannot speak stdio.",
    )
    protocol: MCPProtocolSpec | None = Field(None, description="The MCP wire protocol.")
    capabilities: MCPCapabilities | None = Field(None, description="Offered MCP capabilities.")
    version: str | None = Field(None, description="Version of the MCP server software.")
    replicas: int = Field(
        1, ge=0, le=100, strict=True, description="Replicas (Hosted servers, HTTP transports)."
    )
    port: Port = Field(DEFAULT_PORT, description="Port clients connect to.")
    target_port: Port | None = Field(
        None, description="Port the MCP server listens on; defaults to port."
    )
    args: list[str] = Field(default_factory=list, description="Extra server arguments.")
    env: EnvList = Field(default_factory=list, description="Environment of the mcp container.")
    volume_mounts: VolumeMountList = Field(
        default_factory=list, description="Volume mounts of the mcp container."
    )
    secrets: list[SecretRef] = Field(
        default_factory=list, description="Secret keys passed as environment variables."
    )
    service_account: K8sName | None = Field(
        None, description="Existing ServiceAccount for the server; one is created if unset."
    )
    permission_profile: PermissionProfileRef | None = Field(
        None, description="File system and network permissions; defaults to builtin none."
    )
    pod_template_spec: PodTemplate | None = Field(
        None,
        description="A pod template (or a fragment of one) merged onto the server pod; "
        "container 'mcp' is the server.",
    )
    oidc_config: OIDCConfigRef | None = Field(
        None, alias="oidcConfig", description="OIDC authentication at the gateway."
    )
    authz_config: AuthzConfigRef | None = Field(
        None, description="Cedar authorization at the gateway."
    )
    tools_filter: StringSet = Field(
        default_factory=list, description="Tools exposed; empty means all."
    )
    resources: Resources | None = Field(None, description="Requests and limits of the server.")
    tolerations: TolerationList = Field(default_factory=list, description="Pod tolerations.")
    node_selector: dict[str, str] = Field(default_factory=dict, description="Node selector.")
    affinity: AffinitySpec | None = Field(None, description="Pod scheduling constraints.")
    volumes: VolumeList = Field(default_factory=list, description="Pod volumes.")

    @model_validator(mode="after")
    def _oep_rules(self) -> Self:
        if self.type == "Hosted" and not self.image:
            raise ValueError("image is required for Hosted MCP servers")
        if self.type == "Remote" and not self.url:
            raise ValueError("url is required for Remote MCP servers")
        if self.type == "Remote" and self.transport == "stdio":
            raise RuleError(
                ("transport",),
                "stdio is not possible for Remote MCP servers (use streamable-http or sse)",
            )
        if self.transport == "stdio" and self.replicas > 1:
            raise RuleError(
                ("replicas",),
                f"stdio servers cannot have more than one replica "
                f"(got {self.replicas}); use streamable-http or sse to scale",
            )
        self._check_env_names()
        return self

    def _check_env_names(self) -> None:
        owner: dict[str, str] = {}
        for index, var in enumerate(self.env):
            owner[var["name"]] = f"spec.env[{index}]"
        for index, secret in enumerate(self.secrets):
            if secret.env_name in owner:
                field = "targetEnvName" if secret.target_env_name else "key"
                raise RuleError(
                    ("secrets", index, field),
                    f"environment variable {secret.env_name!r} is already set by "
                    f"{owner[secret.env_name]}",
                )
            owner[secret.env_name] = f"spec.secrets[{index}]"

    @model_validator(mode="after")
    def _defaults(self) -> Self:
        if self.transport is None:
            object.__setattr__(
                self, "transport", "stdio" if self.type == "Hosted" else "streamable-http"
            )
        if self.target_port is None:
            object.__setattr__(self, "target_port", self.port)
        if self.authz_config is not None and self.oidc_config is None:
            # Cedar decides on an authenticated principal: authorization without
            # authentication would judge anonymous callers. The OEP's OIDC type defaults
            # to kubernetes, so an authz-only spec (OEP pattern 2) gets that.
            object.__setattr__(self, "oidc_config", OIDCConfigRef())
        return self

    @property
    def resolved_transport(self) -> Transport:
        """The transport, defaults applied (never None after validation)."""
        return self.transport or "stdio"

    @property
    def resolved_target_port(self) -> int:
        """The target port, defaults applied (never None after validation)."""
        return self.target_port or self.port

    @property
    def effective_replicas(self) -> int:
        """Replicas of the server workload: stdio runs exactly one (the OEP: replicas
        applies to HTTP transports only), except when scaled to zero."""
        return self.replicas if self.is_http else min(self.replicas, 1)

    @property
    def is_http(self) -> bool:
        """True for the HTTP transports (streamable-http, sse)."""
        return self.resolved_transport in HTTP_TRANSPORTS
