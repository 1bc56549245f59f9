"""What ``preview`` prints: the resource tree, log lines, outputs, a summary and, given
a policy pack, its violations by enforcement level."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ome_mcp_components.offline.recording import RecordedResource, Recording, urn_type_and_name

if TYPE_CHECKING:  # the analyzer (grpc) is imported only when a pack is run
    from ome_mcp_components.offline.analyzer import AnalysisResult, PolicyPackSession

_LEVEL_ORDER = ("mandatory", "remediate", "advisory", "disabled")


def resource_tree(recording: Recording, *, ascii_only: bool = False) -> list[str]:
    """The resources as ``pulumi preview`` lists them: a Type/Name table indented by parent.

    Each line starts with ``+`` (to create) or ``>`` (read from the cluster); children
    follow their parent in registration order.
    """
    known = {r.urn for r in recording.resources}
    children: dict[str | None, list[RecordedResource]] = {}
    for resource in recording.resources:
        parent = resource.parent if resource.parent in known else None
        children.setdefault(parent, []).append(resource)
    branch, last, pipe = ("|- ", "`- ", "|  ") if ascii_only else ("├─ ", "└─ ", "│  ")
    rows: list[tuple[str, str, str]] = []

    def walk(parent: str | None, indent: str) -> None:
        siblings = children.get(parent, [])
        for index, resource in enumerate(siblings):
            is_last = index == len(siblings) - 1
            glyph = "" if parent is None else (last if is_last else branch)
            rows.append(
                (">" if resource.read else "+", indent + glyph + resource.type, resource.name)
            )
            below = "" if parent is None else ("   " if is_last else pipe)
            walk(resource.urn, indent + below)

    walk(None, "")
    width = max([len("Type"), *(len(type_) for _, type_, _ in rows)]) + 2
    lines = [f"     {'Type':<{width}}Name"]
    lines += [f" {op}   {type_:<{width}}{name}" for op, type_, name in rows]
    return lines


def can_draw(stream: TextIO) -> bool:
    """True if ``stream`` can print the tree's box-drawing characters."""
    try:
        "├─│└".encode(stream.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def print_diagnostics(recording: Recording, out: TextIO) -> None:
    """The program's log lines, if any."""
    if recording.warnings:
        print("\nDiagnostics:", file=out)
        for line in recording.warnings:
            print(f"    {line}", file=out)


def print_outputs(recording: Recording, out: TextIO) -> None:
    """The stack's outputs as JSON, if any."""
    if recording.outputs:
        print("\nOutputs:", file=out)
        width = max(len(name) for name in recording.outputs) + 1
        for name, value in sorted(recording.outputs.items()):
            print(f"    {name + ':':<{width}} {json.dumps(value, sort_keys=True)}", file=out)


def print_summary(recording: Recording, out: TextIO) -> None:
    """How many resources would be created and read."""
    created = sum(not r.read for r in recording.resources)
    read = sum(r.read for r in recording.resources)
    print("\nResources:", file=out)
    print(f"    + {created} to create", file=out)
    if read:
        print(f"    > {read} to read", file=out)


def start_policy_pack(pack_dir: Path, config_file: Path | None, *, stack: str, project: str
                      ) -> PolicyPackSession:
    """The pack, to be entered: entering starts it and configures it, so a config file
    that is not JSON, or names a policy or setting the pack does not have, fails here."""
    from ome_mcp_components.offline.analyzer import PolicyPackSession, load_policy_config

    config = load_policy_config(config_file) if config_file is not None else None
    return PolicyPackSession(pack_dir, config, stack=stack, project=project)


def print_policies(result: AnalysisResult, out: TextIO) -> bool:
    """Print the pack's violations by enforcement level; True if any is mandatory."""
    levels = {d.enforcement_level for d in result.diagnostics}
    order = [lvl for lvl in _LEVEL_ORDER if lvl in levels] + sorted(levels - set(_LEVEL_ORDER))
    print("\nPolicies:", file=out)
    for level in order:
        print(f"    {level}:", file=out)
        for d in (d for d in result.diagnostics if d.enforcement_level == level):
            print(
                f"      - [{d.policy_pack_name}] {d.policy_name}  {_resource_label(d.urn)}",
                file=out,
            )
            for text in _explanation(d.description, d.message):
                print(f"          {text}", file=out)
    mandatory = sum(d.enforcement_level == "mandatory" for d in result.diagnostics)
    counts = ", ".join(
        f"{sum(d.enforcement_level == lvl for d in result.diagnostics)} {lvl}" for lvl in order
    )
    if result.diagnostics:
        print(f"\nPolicy summary: {len(result.diagnostics)} violations ({counts})", file=out)
    else:
        print("    no violations\n\nPolicy summary: 0 violations", file=out)
    return mandatory > 0


def _resource_label(urn: str) -> str:
    """``<type> (<name>)`` of a URN, or ``(stack)`` for a stack-wide diagnostic."""
    parts = urn_type_and_name(urn)
    if parts is None:
        return "(stack)"
    return f"{parts[0]} ({parts[1]})"


def _explanation(description: str, message: str) -> list[str]:
    texts = [t.strip() for t in (description, message) if t and t.strip()]
    if len(texts) == 2 and texts[0] in texts[1]:
        texts = texts[1:]
    return [line for text in texts for line in text.splitlines()]
