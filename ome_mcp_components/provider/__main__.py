"""``python -m ome_mcp_components.provider <engine address>``: serve the component provider."""

from ome_mcp_components.provider.host import main

if __name__ == "__main__":
    main()
