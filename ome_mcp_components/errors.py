"""The package's exceptions: one root, a short hierarchy.

::

    OmeMcpError (ValueError)
    ├── SpecValidationError      a spec breaks a rule of the OEP or of ours; raised
    │                            before any resource is registered
    ├── ConfigReferenceError    a ConfigMap (profile, OIDC, authz) that is referenced
    │                            cannot be found or does not hold what it should
    └── ManifestError            an OME YAML manifest cannot be loaded

Every error names the resource (``MCPServer 'postgres-mcp'``), the field path in the
OEP's camelCase spelling (``spec.replicas``) and the rule that was broken, so it can be
read without a traceback. ``str(error)`` is that whole message; ``error.issues`` holds the
individual ``Issue`` records when several rules were broken at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One broken rule: where (a dotted field path) and what (the rule, in words)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class OmeMcpError(ValueError):
    """Root of every error this package raises on purpose."""

    def __init__(self, resource: str, issues: list[Issue] | Issue | str) -> None:
        if isinstance(issues, str):
            issues = [Issue("", issues)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.resource = resource
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__(self._format())

    def _format(self) -> str:
        if len(self.issues) == 1:
            return f"{self.resource}: {self.issues[0]}"
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        return f"{self.resource}: {len(self.issues)} problems:\n{lines}"

    @property
    def paths(self) -> tuple[str, ...]:
        """The field paths of every issue, in order."""
        return tuple(issue.path for issue in self.issues)


class SpecValidationError(OmeMcpError):
    """A spec (or a component argument) breaks a validation rule."""


class ConfigReferenceError(OmeMcpError):
    """A referenced ConfigMap is missing, or its content is invalid."""


class ManifestError(OmeMcpError):
    """An OME-style YAML manifest cannot be loaded."""


__all__ = [
    "ConfigReferenceError",
    "Issue",
    "ManifestError",
    "OmeMcpError",
    "SpecValidationError",
]
