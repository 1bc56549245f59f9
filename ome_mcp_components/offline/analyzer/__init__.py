"""Run a CrossGuard policy pack over a recorded stack, the way the Pulumi CLI does.

- ``process``: the pack's process (``python -u -m pulumi.policy <engine> <pack-dir>``),
  started, its port read, stopped;
- ``log_engine``: the ``pulumirpc.Engine`` server the pack logs to;
- ``config``: the CLI's policy config format, checked and reconciled with the pack's;
- ``protocol``: our recordings and results as the Analyzer protocol's messages;
- ``session``: ``PolicyPackSession``, one pack for many recordings;
- ``results``: ``AnalysisResult``, ``Diagnostic``, ``PolicyInfo``, ``PolicyPackError``.

``analyze`` is the one-shot form.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ome_mcp_components.offline.analyzer.config import (
    ENFORCEMENT_LEVELS,
    load_policy_config,
    parse_policy_config,
)
from ome_mcp_components.offline.analyzer.protocol import stack_and_project
from ome_mcp_components.offline.analyzer.results import (
    AnalysisResult,
    Diagnostic,
    PolicyInfo,
    PolicyPackError,
)
from ome_mcp_components.offline.analyzer.session import PolicyPackSession
from ome_mcp_components.offline.recording import Recording


def analyze(pack_dir: Path, recording: Recording,
            config: Mapping[str, Any] | None = None) -> AnalysisResult:
    """Run the policy pack in ``pack_dir`` over ``recording`` as ``pulumi preview
    --policy-pack pack_dir [--policy-pack-config ...]`` would, with ``config`` in the
    CLI's config-file format. One pack process, stopped before returning."""
    stack, project = stack_and_project(recording)
    with PolicyPackSession(pack_dir, config, stack=stack, project=project) as session:
        return session.analyze(recording)


__all__ = [
    "ENFORCEMENT_LEVELS",
    "AnalysisResult",
    "Diagnostic",
    "PolicyInfo",
    "PolicyPackError",
    "PolicyPackSession",
    "analyze",
    "load_policy_config",
    "parse_policy_config",
]
