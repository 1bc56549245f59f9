"""``ome-mcp``: render or preview a Pulumi program or OME YAML manifests, offline.

::

    ome-mcp render  PATH... [-o DIR] [--cluster-state FILE] [--stack NAME]
    ome-mcp preview PATH... [--policy-pack DIR [--config FILE]] [--cluster-state FILE]
                            [--stack NAME]

``PATH`` is one Pulumi project directory (or ``.py`` file), or any number of OME YAML
manifests and directories of them. The program runs in-process under the recording
engine (``engine.py``); nothing is deployed and no cluster or Pulumi CLI is needed.

``render`` prints every Kubernetes object the program manages as YAML documents, in
apply order, or writes them to ``DIR`` one file each. ``preview`` prints the resource
tree, the program's log lines and outputs, and, given a policy pack, its violations.

Exit status: 0 success; 1 ``preview`` found a mandatory policy violation; 2 bad input,
a failing program, or a program that logged an error. Errors are one ``error:`` line
(the message names the resource, the field and the rule), not a traceback; only an
unexpected exception inside a user's own program code shows its traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml
from pulumi import RunError

from ome_mcp_components.engine import (
    DEFAULT_STACK,
    load_cluster_state,
    load_paths,
    run_program,
)
from ome_mcp_components.errors import OmeMcpError
from ome_mcp_components.recording import RecordedResource, Recording

EXIT_OK = 0
EXIT_MANDATORY_VIOLATION = 1
EXIT_ERROR = 2

_FIRST_KEYS = ("apiVersion", "kind", "metadata")
_FIRST_METADATA_KEYS = ("name", "namespace")
_LEVEL_ORDER = ("mandatory", "remediate", "advisory", "disabled")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ome-mcp`` with ``argv`` (default: the process's arguments); return the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse: --help, usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    try:
        status: int = args.run(args)
        return status
    except (OmeMcpError, RunError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except _ProgramError as failed:
        cause = failed.error
        print(f"error: the program raised {type(cause).__name__}: {cause}", file=sys.stderr)
        traceback.print_exception(cause, file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ome-mcp",
        description="Render or preview Pulumi programs and OME MCP manifests offline.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    render = commands.add_parser("render", help="print the Kubernetes objects as YAML")
    _add_common(render)
    render.add_argument(
        "-o",
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="write one file per object, NN-<kind>-<namespace>-<name>.yaml, into DIR",
    )
    render.set_defaults(run=_render)

    preview = commands.add_parser("preview", help="print the resource tree, check policies")
    _add_common(preview)
    preview.add_argument(
        "--policy-pack", type=Path, metavar="DIR", help="run this CrossGuard policy pack"
    )
    preview.add_argument(
        "--config", type=Path, metavar="FILE", help="the policy pack's config (JSON)"
    )
    preview.set_defaults(run=_preview)
    return parser


def _add_common(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="a Pulumi program directory, or OME YAML manifests (files or directories)",
    )
    command.add_argument(
        "--cluster-state",
        type=Path,
        metavar="FILE",
        help="YAML of ConfigMaps that exist in the cluster (read by ConfigMap.get)",
    )
    command.add_argument(
        "--stack",
        default=DEFAULT_STACK,
        metavar="NAME",
        help=f"stack name; selects Pulumi.<stack>.yaml config (default {DEFAULT_STACK})",
    )


class _ProgramError(Exception):
    """A user program raised an exception that is not one of ours."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _record(args: argparse.Namespace) -> Recording:
    cluster = load_cluster_state(args.cluster_state) if args.cluster_state else {}
    program = load_paths(args.paths, stack=args.stack)
    try:
        return run_program(program, cluster_config_maps=cluster, stack=args.stack)
    except (OmeMcpError, RunError):
        raise
    except Exception as error:
        raise _ProgramError(error) from error
    except SystemExit as exit_:
        raise OmeMcpError("the program", f"called sys.exit({exit_.code!r})") from None


def _logged_error(recording: Recording) -> bool:
    return any(line.startswith("error:") for line in recording.warnings)


# --------------------------------------------------------------------------- render


def _render(args: argparse.Namespace) -> int:
    recording = _record(args)
    for line in recording.warnings:
        print(line, file=sys.stderr)
    objects = [r for r in recording.resources if r.is_kubernetes_object]
    if not objects:
        print("ome-mcp: the program manages no Kubernetes objects", file=sys.stderr)
    if args.output_dir is None:
        sys.stdout.write(to_yaml([r.manifest() for r in objects]))
    else:
        written = write_files(objects, args.output_dir)
        print(f"wrote {len(written)} files to {args.output_dir}", file=sys.stderr)
    return EXIT_ERROR if _logged_error(recording) else EXIT_OK


def to_yaml(manifests: Sequence[Mapping[str, Any]]) -> str:
    """Kubernetes objects as YAML documents, each starting with ``---``.

    Keys come in a fixed order: ``apiVersion``, ``kind``, ``metadata`` (``name``,
    ``namespace``, then the rest alphabetically), then the other fields alphabetically,
    and every nested mapping alphabetically, as ``kubectl get -o yaml`` prints them.
    Strings with line breaks are literal blocks (``|``).
    """
    documents = [_ordered(m, _FIRST_KEYS) for m in manifests]
    return yaml.dump_all(
        documents,
        Dumper=_Dumper,
        explicit_start=True,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 16,
    )


def write_files(objects: Sequence[RecordedResource], directory: Path) -> list[Path]:
    """Write each object to ``directory/NN-<kind>-<namespace>-<name>.yaml``, in order.

    ``NN`` is the object's place in apply order (zero-padded); the namespace part is left
    out for an object without one. Returns the files written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    width = max(2, len(str(len(objects))))
    written = []
    for number, resource in enumerate(objects, start=1):
        manifest = resource.manifest()
        metadata = manifest.get("metadata") or {}
        parts = [
            f"{number:0{width}d}",
            str(manifest.get("kind", "object")).lower(),
            str(metadata.get("namespace") or ""),
            str(metadata.get("name") or resource.name),
        ]
        path = directory / (_file_safe("-".join(p for p in parts if p)) + ".yaml")
        path.write_text(to_yaml([manifest]), encoding="utf-8")
        written.append(path)
    return written


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


def _ordered(value: Any, first: Sequence[str] = ()) -> Any:
    if isinstance(value, Mapping):
        keys = [k for k in first if k in value] + sorted(k for k in value if k not in first)
        return {
            k: _ordered(value[k], _FIRST_METADATA_KEYS if k == "metadata" and first else ())
            for k in keys
        }
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Safe YAML with literal blocks for multi-line strings and no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None
    )


_Dumper.add_representer(str, _represent_str)


# --------------------------------------------------------------------------- preview


def _preview(args: argparse.Namespace) -> int:
    if args.config is not None and args.policy_pack is None:
        raise OmeMcpError("--config", "is the policy pack's config; give --policy-pack too")
    if args.policy_pack is not None and not args.policy_pack.is_dir():
        raise OmeMcpError(str(args.policy_pack), "is not a policy pack directory")
    recording = _record(args)
    out = sys.stdout
    print(f"Previewing stack {args.stack} (offline, nothing is deployed)\n", file=out)
    print("\n".join(resource_tree(recording, ascii_only=not _can_draw(out))), file=out)
    _print_diagnostics(recording, out)
    _print_outputs(recording, out)
    _print_summary(recording, out)
    status = EXIT_ERROR if _logged_error(recording) else EXIT_OK
    if args.policy_pack is not None and _check_policies(
        args.policy_pack, args.config, recording, out
    ):
        status = max(status, EXIT_MANDATORY_VIOLATION)
    return status


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


def _can_draw(stream: TextIO) -> bool:
    try:
        "├─│└".encode(stream.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _print_diagnostics(recording: Recording, out: TextIO) -> None:
    if recording.warnings:
        print("\nDiagnostics:", file=out)
        for line in recording.warnings:
            print(f"    {line}", file=out)


def _print_outputs(recording: Recording, out: TextIO) -> None:
    if recording.outputs:
        print("\nOutputs:", file=out)
        width = max(len(name) for name in recording.outputs) + 1
        for name, value in sorted(recording.outputs.items()):
            print(f"    {name + ':':<{width}} {json.dumps(value, sort_keys=True)}", file=out)


def _print_summary(recording: Recording, out: TextIO) -> None:
    created = sum(not r.read for r in recording.resources)
    read = sum(r.read for r in recording.resources)
    print("\nResources:", file=out)
    print(f"    + {created} to create", file=out)
    if read:
        print(f"    > {read} to read", file=out)


def _check_policies(
    pack_dir: Path, config_file: Path | None, recording: Recording, out: TextIO
) -> bool:
    """Run the pack, print its violations by enforcement level; True if any is mandatory."""
    from ome_mcp_components.analyzer import analyze, load_policy_config

    config = load_policy_config(config_file) if config_file is not None else None
    result = analyze(pack_dir, recording, config)
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
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return "(stack)"
    return f"{parts[2].rsplit('$', 1)[-1]} ({parts[3]})"


def _explanation(description: str, message: str) -> list[str]:
    texts = [t.strip() for t in (description, message) if t and t.strip()]
    if len(texts) == 2 and texts[0] in texts[1]:
        texts = texts[1:]
    return [line for text in texts for line in text.splitlines()]


if __name__ == "__main__":  # python -m ome_mcp_components.cli
    sys.exit(main())
