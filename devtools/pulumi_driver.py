"""Runs one Pulumi operation on a project directory with the real Pulumi CLI and engine.

    python -m devtools.pulumi_driver up|preview|destroy|refresh DIR --stack NAME
        [--policy-pack PATH ...] [--expect-no-changes] [--config KEY=VALUE ...]
        [--result FILE]

The CLI is the toolchain's ``pulumi`` (``$OME_MCP_TOOLCHAIN``), the provider the plugin
installed in ``$PULUMI_HOME``, the backend ``$PULUMI_BACKEND_URL``: the caller sets the
environment (``devtools.pulumi_env`` builds it). The project's ``__main__.py`` runs through
Pulumi's own Python language server, the one its Automation API serves to the CLI
(``pulumi up --client=<address> --exec-kind auto.inline``): the Go module proxy does not
serve Pulumi's ``pulumi-language-python`` plugin, so the toolchain cannot build it, and
the Automation API's server is the Python SDK's other implementation of the same
LanguageRuntime protocol. Everything else is the ordinary CLI: the engine, the plan, the
provider, the policy packs (``--policy-pack``), the state.

One operation per process: the program runs in this process, and Pulumi's runtime
settings are process-wide. ``--result FILE`` receives a JSON summary (``ok``, ``stdout``,
``stderr``, ``outputs``, ``changes``); the exit code is 0 when the operation succeeded.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
from pathlib import Path
from typing import Any

from pulumi import automation as auto


def _program(project: Path) -> auto.PulumiFn:
    main = project / "__main__.py"

    def run() -> None:
        sys.path.insert(0, str(project))
        try:
            runpy.run_path(str(main), run_name="__main__")
        finally:
            sys.path.remove(str(project))

    return run


def _stack(project: Path, stack: str) -> auto.Stack:
    bin_dir = Path(os.environ["OME_MCP_TOOLCHAIN"])
    command = auto.PulumiCommand(root=str(bin_dir.parent), skip_version_check=True)
    options = auto.LocalWorkspaceOptions(work_dir=str(project), pulumi_command=command)
    name = _project_name(project)
    return auto.create_or_select_stack(stack, name, _program(project), opts=options)


def _project_name(project: Path) -> str:
    for line in (project / "Pulumi.yaml").read_text(encoding="utf-8").splitlines():
        if line.startswith("name:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit(f"{project / 'Pulumi.yaml'} has no name")


def _policy_verdicts(events: list[auto.EngineEvent]) -> list[dict[str, str]]:
    """The policy packs' verdicts: one per violation, with the resource's type and name."""
    verdicts = []
    for event in events:
        policy = event.policy_event
        if policy is None:
            continue
        urn = policy.resource_urn or ""
        kind, name = (urn.split("::")[-2].split("$")[-1], urn.split("::")[-1]) if urn else ("", "")
        verdicts.append({"pack": policy.policy_pack_name, "policy": policy.policy_name,
                         "level": policy.enforcement_level, "type": kind, "name": name,
                         "message": policy.message})
    return verdicts


def _steps(events: list[auto.EngineEvent]) -> list[dict[str, str]]:
    """The engine's steps: operation, type and name of each resource it planned."""
    steps = []
    for event in events:
        pre = event.resource_pre_event
        if pre is None:
            continue
        meta = pre.metadata
        steps.append({"op": str(getattr(meta.op, "value", meta.op)), "type": meta.type,
                      "name": meta.urn.split("::")[-1], "diffs": ",".join(meta.diffs or [])})
    return steps


def run(args: argparse.Namespace, events: list[auto.EngineEvent]) -> dict[str, Any]:
    project = Path(args.project).resolve()
    stack = _stack(project, args.stack)
    for item in args.config:
        key, _, value = item.partition("=")
        stack.set_config(key, auto.ConfigValue(value))
    out: list[str] = []
    on_output = out.append
    on_event = events.append
    packs = [str(Path(p).resolve()) for p in args.policy_pack] or None
    changes: dict[str, int] = {}
    outputs: dict[str, Any] = {}
    if args.operation == "up":
        up = stack.up(on_output=on_output, on_event=on_event, policy_packs=packs,
                      color="never")
        changes = dict(up.summary.resource_changes or {})
        outputs = {k: v.value for k, v in up.outputs.items()}
    elif args.operation == "preview":
        preview = stack.preview(
            on_output=on_output, on_event=on_event, policy_packs=packs, color="never",
            expect_no_changes=args.expect_no_changes or None, diff=True,
        )
        changes = {str(k): int(v) for k, v in preview.change_summary.items()}
    elif args.operation == "destroy":
        destroyed = stack.destroy(on_output=on_output, color="never")
        changes = dict(destroyed.summary.resource_changes or {})
    elif args.operation == "refresh":
        refreshed = stack.refresh(on_output=on_output, color="never")
        changes = dict(refreshed.summary.resource_changes or {})
    return {"ok": True, "stdout": "\n".join(out), "stderr": "", "changes": changes,
            "outputs": outputs}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="devtools.pulumi_driver")
    parser.add_argument("operation", choices=["up", "preview", "destroy", "refresh"])
    parser.add_argument("project")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--policy-pack", action="append", default=[])
    parser.add_argument("--config", action="append", default=[])
    parser.add_argument("--expect-no-changes", action="store_true")
    parser.add_argument("--result")
    args = parser.parse_args(argv)
    events: list[auto.EngineEvent] = []
    try:
        result = run(args, events)
    except auto.CommandError as e:
        result = {"ok": False, "stdout": "", "stderr": str(e), "changes": {}, "outputs": {}}
    result["policies"] = _policy_verdicts(events)
    result["steps"] = _steps(events)
    text = json.dumps(result, indent=2, default=str)
    if args.result:
        Path(args.result).write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
