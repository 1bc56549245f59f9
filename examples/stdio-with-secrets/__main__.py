"""A stdio MCP server with credentials from Secrets and a tight egress profile.

The GitHub MCP server speaks stdio, so it runs as a one-replica StatefulSet; its
gateway (a Deployment of its own) attaches to the server container's stdin through the
Kubernetes API, with a Role that allows exactly that on pod ``github-mcp-0``.

- ``args`` start the server in stdio mode, read-only, with three toolsets.
- Two Secrets, created outside the stack, reach the server as environment variables
  through ``secretKeyRef`` (only their names are here): ``github-mcp-token``'s key
  ``token`` as ``GITHUB_PERSONAL_ACCESS_TOKEN``, and ``github-mcp-enterprise``'s key
  ``GITHUB_HOST``, whose variable name defaults to the key.
- The inline permission profile allows HTTPS to GitHub's API address ranges (CIDRs,
  enforced by the NetworkPolicy) and to its host names (enforced by the
  CiliumNetworkPolicy that ``network_enforcement="cilium"`` adds), and one writable
  directory, ``/tmp`` (an ``emptyDir``; the root file system stays read-only).
- Clients authenticate with Kubernetes service-account tokens for the audience
  ``github-mcp``.

``manifest.yaml`` is the same stack as OME YAML.
"""

import pulumi

from ome_mcp_components import MCPServer

github = MCPServer(
    "github-mcp",
    {
        "metadata": {"namespace": "dev-tools", "labels": {"team": "developer-experience"}},
        "spec": {
            "image": "ghcr.io/github/github-mcp-server:v0.9.1",
            "transport": "stdio",
            "args": ["stdio", "--read-only", "--toolsets", "repos,issues,pull_requests"],
            "env": [{"name": "GITHUB_LOG_LEVEL", "value": "info"}],
            "secrets": [
                {"name": "github-mcp-token", "key": "token",
                 "targetEnvName": "GITHUB_PERSONAL_ACCESS_TOKEN"},
                {"name": "github-mcp-enterprise", "key": "GITHUB_HOST"},
            ],
            "permissionProfile": {
                "type": "inline",
                "inline": {
                    "read": ["/etc/ssl/certs"],
                    "write": ["/tmp"],
                    "network": {
                        "outbound": {
                            "allowHost": [
                                "api.github.com",
                                "uploads.github.com",
                                "140.82.112.0/20",
                                "192.30.252.0/22",
                            ],
                            "allowPort": [443],
                        },
                    },
                },
            },
            "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": "github-mcp"}},
            "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"cpu": "250m", "memory": "256Mi"},
            },
        },
        "network_enforcement": "cilium",
    },
)

pulumi.export("url", github.url)
pulumi.export("status", github.status)
