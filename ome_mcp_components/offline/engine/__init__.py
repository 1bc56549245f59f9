"""The offline engine: runs a Pulumi program in-process against a recording mock
monitor, with no Pulumi CLI and no cluster, and returns a ``Recording``.

- ``run``: ``run_program(program)``, isolated from other runs in the process;
- ``monitor``: the ``MockMonitor`` that records registrations, reads and log lines;
- ``cluster``: what the offline "cluster" answers (echoed inputs, given ConfigMaps);
- ``programs``, ``project``: a Pulumi project directory or OME YAML manifests as a
  ``Program``, with the project's name and stack config;
- ``cluster_state``: ``load_cluster_state``, the ConfigMaps of a cluster-state file.

It records the property wire format as plain data (``offline.values``: ``SECRET``,
``UNKNOWN``).
"""

from ome_mcp_components.offline.engine.cluster import ConfigMapData
from ome_mcp_components.offline.engine.cluster_state import load_cluster_state
from ome_mcp_components.offline.engine.programs import Program, load_paths, load_program_dir
from ome_mcp_components.offline.engine.project import DEFAULT_PROJECT, DEFAULT_STACK
from ome_mcp_components.offline.engine.run import run_program
from ome_mcp_components.offline.values import SECRET, UNKNOWN

__all__ = [
    "DEFAULT_PROJECT",
    "DEFAULT_STACK",
    "SECRET",
    "UNKNOWN",
    "ConfigMapData",
    "Program",
    "load_cluster_state",
    "load_paths",
    "load_program_dir",
    "run_program",
]
