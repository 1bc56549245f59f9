"""The components as a Pulumi package: a component provider for programs in any language.

``schema`` derives the package schema (``ome-mcp:index:MCPServer``, ``ClusterMCPServer``,
``PermissionProfile`` and their typed inputs and outputs) from the pydantic models;
``inputs`` turns what a program sends into the components' arguments; ``host`` serves the
components over Pulumi's provider protocol. Started as ``pulumi-resource-ome-mcp`` (the
console script) or ``python -m ome_mcp_components.provider``, with the engine's address
as the argument, as the Pulumi CLI starts a provider plugin.
"""
