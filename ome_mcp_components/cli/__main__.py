"""``python -m ome_mcp_components.cli``: the ``ome-mcp`` command."""

import sys

from ome_mcp_components.cli.commands import main

sys.exit(main())
