"""``ome-mcp``: render or preview a Pulumi program or OME YAML manifests, offline.

::

    ome-mcp render  PATH... [-o DIR] [--cluster-state FILE] [--stack NAME]
    ome-mcp preview PATH... [--policy-pack DIR [--config FILE]] [--cluster-state FILE]
                            [--stack NAME]

``PATH`` is one Pulumi project directory (or ``.py`` file), or any number of OME YAML
manifests and directories of them. The program runs in-process under the recording
engine (``engine/``); nothing is deployed and no cluster or Pulumi CLI is needed.

``render`` prints every Kubernetes object the program manages as YAML documents, in
apply order, or writes them to ``DIR`` one file each. ``preview`` prints the resource
tree, the program's log lines and outputs, and, given a policy pack, its violations.

Exit status: 0 success; 1 ``preview`` found a mandatory policy violation; 2 bad input,
a failing program, or a program that logged an error. Errors are one ``error:`` line
(the message names the resource, the field and the rule), not a traceback; only an
unexpected exception inside a user's own program code shows its traceback.

Modules: ``commands`` (arguments, the commands, exit statuses; ``main`` is the
console script), ``yaml_output`` (``render``'s YAML), ``report`` (``preview``'s report).
"""

from ome_mcp_components.offline.cli.commands import (
    EXIT_ERROR,
    EXIT_MANDATORY_VIOLATION,
    EXIT_OK,
    main,
)
from ome_mcp_components.offline.cli.report import resource_tree
from ome_mcp_components.offline.cli.yaml_output import to_yaml, write_files

__all__ = [
    "EXIT_ERROR",
    "EXIT_MANDATORY_VIOLATION",
    "EXIT_OK",
    "main",
    "resource_tree",
    "to_yaml",
    "write_files",
]
