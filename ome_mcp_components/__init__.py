"""Pulumi components that deploy Model Context Protocol servers on Kubernetes, secure by default."""

from ome_mcp_components.errors import (
    ConfigReferenceError,
    ManifestError,
    OmeMcpError,
    SpecValidationError,
)

__all__ = ["ConfigReferenceError", "ManifestError", "OmeMcpError", "SpecValidationError"]
