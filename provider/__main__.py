"""The component provider, as Pulumi's Python language host runs a plugin directory:
``python <this directory> <engine address>`` (see PulumiPlugin.yaml beside it)."""

from ome_mcp_components.provider.host import main

main()
