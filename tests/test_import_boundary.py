"""A Pulumi program that imports the components imports none of the offline tools: not
the engine, the CLI or the policy-pack client (``ome_mcp_components.offline``), not the
manifest loader or the component provider, not pulumi-policy nor the provider server of
the SDK. Checked in a fresh interpreter, where nothing else has imported them first."""

from __future__ import annotations

import json
import subprocess
import sys

#: Module prefixes ``import ome_mcp_components`` must not load, with the reason.
FORBIDDEN = {
    "ome_mcp_components.offline": "the offline engine, CLI and policy-pack client",
    "ome_mcp_components.manifests": "OME YAML manifests, loaded by the CLI and the provider",
    "ome_mcp_components.provider": "the component provider, a plugin process of its own",
    "pulumi_policy": "the policy SDK, only the pack and its tests need it",
    "pulumi.provider": "the SDK's provider server, only the component provider needs it",
}

_PROBE = """
import json, sys
import ome_mcp_components
from ome_mcp_components import ClusterMCPServer, MCPServer, PermissionProfile
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_by_import() -> list[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          check=True, timeout=120)
    modules: list[str] = json.loads(done.stdout)
    return modules


def test_importing_the_components_loads_none_of_the_offline_tools() -> None:
    loaded = _loaded_by_import()
    found = {
        module: reason
        for module in loaded
        for prefix, reason in FORBIDDEN.items()
        if module == prefix or module.startswith(prefix + ".")
    }
    assert found == {}, f"import ome_mcp_components loaded {found}"
    assert "ome_mcp_components.sdk_internals" in loaded  # the guard itself is light
