"""Permission profiles (OEP: "Permission Profiles")."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from ome_mcp_components.models import hosts
from ome_mcp_components.models.base import (
    ConfigKey,
    K8sName,
    PathSet,
    PortSet,
    RuleError,
    SpecModel,
    StringSet,
)
from ome_mcp_components.vocabulary.keys import PROFILE_KEY


class OutboundNetworkPermissions(SpecModel):
    """Which outbound connections the MCP server may open."""

    insecure_allow_all: bool = Field(
        False,
        description="Allow every outbound connection (not recommended); the cloud metadata "
        "address stays blocked.",
    )
    allow_host: StringSet = Field(
        default_factory=list,
        description="Hosts the server may reach: IP addresses, CIDRs or host names "
        "(host names need Cilium to be enforced).",
    )
    allow_port: PortSet = Field(
        default_factory=list,
        description="TCP ports the server may reach; empty means any port of an allowed host.",
    )

    @field_validator("allow_host")
    @classmethod
    def _hosts(cls, values: list[str]) -> list[str]:
        for index, host in enumerate(values):
            try:
                hosts.check_allow_host(host)
            except ValueError as exc:
                raise RuleError((index,), str(exc)) from None
        return values


class NetworkPermissions(SpecModel):
    """Network permissions of an MCP server."""

    outbound: OutboundNetworkPermissions | None = Field(
        None, description="Outbound network permissions; absent means no outbound access."
    )


class PermissionProfileSpec(SpecModel):
    """File system and network permissions of an MCP server (the OEP's ConfigMap format)."""

    read: PathSet = Field(
        default_factory=list, description="Absolute paths the server may read (recorded)."
    )
    write: PathSet = Field(
        default_factory=list,
        description="Absolute paths the server may write; each gets an emptyDir volume.",
    )
    network: NetworkPermissions | None = Field(
        None, description="Network permissions; absent means no network access."
    )

    @field_validator("write")
    @classmethod
    def _not_root(cls, values: list[str]) -> list[str]:
        for index, path in enumerate(values):
            if path.strip("/") == "":
                raise RuleError((index,), "'/' cannot be writable: the root file system "
                                "stays read-only; list the directories to write instead")
        return values

    @property
    def outbound(self) -> OutboundNetworkPermissions | None:
        """The outbound permissions, or None when the profile grants no network access."""
        return self.network.outbound if self.network else None


class ConfigMapPermissionRef(SpecModel):
    """A ConfigMap in the server's namespace holding a permission profile as JSON."""

    name: K8sName = Field(description="Name of the ConfigMap.")
    key: ConfigKey = Field(PROFILE_KEY, description="Key holding the profile JSON.")


class PermissionProfileRef(SpecModel):
    """Which permission profile a server runs with."""

    type: Literal["builtin", "configMap", "inline"] = Field(
        "builtin", description="Where the profile comes from."
    )
    name: Literal["none", "network"] | None = Field(
        None, description="The builtin profile: 'none' (no access) or 'network' (egress only)."
    )
    config_map: ConfigMapPermissionRef | None = Field(
        None, description="The ConfigMap holding the profile (type configMap)."
    )
    inline: PermissionProfileSpec | None = Field(
        None, description="The profile itself (type inline)."
    )

    @model_validator(mode="after")
    def _required_for_type(self) -> Self:
        if self.type == "builtin" and not self.name:
            raise ValueError("name is required for builtin permission profiles")
        if self.type == "configMap" and self.config_map is None:
            raise ValueError("configMap is required for configMap permission profiles")
        if self.type == "inline" and self.inline is None:
            raise ValueError("inline is required for inline permission profiles")
        return self


#: The builtin profiles: ``none`` grants nothing, ``network`` grants egress (not the
#: cloud metadata address) and no writable path.
BUILTIN_PROFILES: dict[str, PermissionProfileSpec] = {
    "none": PermissionProfileSpec(),
    "network": PermissionProfileSpec(
        network=NetworkPermissions(outbound=OutboundNetworkPermissions(insecure_allow_all=True))
    ),
}
