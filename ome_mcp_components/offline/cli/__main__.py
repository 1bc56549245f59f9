"""``python -m ome_mcp_components.offline.cli``: the ``ome-mcp`` command."""

import sys

from ome_mcp_components.offline.cli.commands import main

sys.exit(main())
