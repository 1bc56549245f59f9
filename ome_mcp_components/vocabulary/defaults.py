"""Defaults the OEP leaves to the implementation, each with the reason for its value."""

from __future__ import annotations

from typing import Any

#: The pinned gateway image: ToolHive's proxy runner of release v0.44.0, the image that
#: release's operator chart runs (``builders.gateway`` states the rest of its contract).
GATEWAY_IMAGE = "ghcr.io/stacklok/toolhive/proxyrunner:v0.44.0"

#: Namespace of a server whose metadata names none (Kubernetes' own default).
DEFAULT_NAMESPACE = "default"
#: Shared namespace of ClusterMCPServers (design.md §3).
SHARED_NAMESPACE = "ome-mcp-system"

#: Requests and limits of the MCP server when the spec gives none: enough for a small
#: Python/Node MCP server, bounded so a runaway tool cannot starve its node (OEP risk 2).
SERVER_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": "500m", "memory": "512Mi"},
}
#: Requests and limits of the gateway (a Go proxy: small and steady).
GATEWAY_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "50m", "memory": "64Mi"},
    "limits": {"cpu": "500m", "memory": "256Mi"},
}
#: The cloud metadata address, never reachable from any pod (credential theft).
METADATA_CIDR = "169.254.169.254/32"
#: Its IPv6 twin (AWS's IPv6 instance metadata endpoint), blocked likewise.
METADATA_CIDR_V6 = "fd00:ec2::254/128"
#: Port of cluster DNS (kube-dns / CoreDNS), over UDP and TCP.
DNS_PORT = 53
#: Port of the Kubernetes API server behind ``kubernetes.default.svc``, for the gateway
#: of a stdio server (pods/attach) and for Kubernetes token validation (JWKS).
API_SERVER_PORTS = (443, 6443)
