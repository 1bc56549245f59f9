"""What a policy pack said, as plain data: the diagnostics, the policies in force, the
pack's log; and the error raised when a pack cannot be run. No gRPC here, so the CLI's
report can be written against these types alone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ome_mcp_components.errors import OmeMcpError


class PolicyPackError(OmeMcpError):
    """The pack could not be started, configured or run, or its config is invalid."""


@dataclass(frozen=True)
class Diagnostic:
    """One policy violation, as the CLI would print it."""

    policy_name: str
    policy_pack_name: str
    policy_pack_version: str
    description: str
    message: str
    #: ``advisory``, ``mandatory`` (a still-violated ``remediate`` is reported as such).
    enforcement_level: str
    urn: str
    resource_type: str
    resource_name: str
    #: ``low``, ``medium``, ``high``, ``critical``, or ``""`` when the pack gives none.
    severity: str = ""

    @property
    def is_mandatory(self) -> bool:
        """True when this violation blocks an update."""
        return self.enforcement_level == "mandatory"


@dataclass(frozen=True)
class PolicyInfo:
    """A policy of the pack, with the enforcement level in force after configuration."""

    name: str
    description: str
    enforcement_level: str
    policy_type: str
    severity: str = ""
    remediation_steps: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)
    config_schema: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisResult:
    """What a pack said about one stack."""

    pack_name: str
    pack_version: str
    diagnostics: list[Diagnostic]
    policies: list[PolicyInfo]
    #: The pack's log lines (Engine ``Log`` calls and its standard error), in order.
    log: list[str] = field(default_factory=list)

    @property
    def mandatory_violations(self) -> list[Diagnostic]:
        """The violations that would stop ``pulumi up``."""
        return [d for d in self.diagnostics if d.is_mandatory]

    @property
    def advisory_violations(self) -> list[Diagnostic]:
        """The violations that are only reported."""
        return [d for d in self.diagnostics if d.enforcement_level == "advisory"]
