"""``ome-mcp``'s command line: arguments, the commands (render, preview, convert), errors
to exit statuses."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import sysconfig
import traceback
from collections.abc import Sequence
from pathlib import Path

from pulumi import RunError

from ome_mcp_components.errors import OmeMcpError
from ome_mcp_components.manifests import read_documents, toolhive
from ome_mcp_components.offline.cli.report import (
    can_draw,
    print_diagnostics,
    print_outputs,
    print_policies,
    print_summary,
    resource_tree,
    start_policy_pack,
)
from ome_mcp_components.offline.cli.yaml_output import to_yaml, write_files
from ome_mcp_components.offline.engine import (
    DEFAULT_PROJECT,
    DEFAULT_STACK,
    Program,
    load_cluster_state,
    load_paths,
    run_program,
)
from ome_mcp_components.offline.recording import Recording

EXIT_OK = 0
EXIT_MANDATORY_VIOLATION = 1
EXIT_ERROR = 2


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
        frames = _user_frames(cause)
        if frames:
            print("Traceback (the program's own frames, most recent call last):",
                  file=sys.stderr)
            sys.stderr.write("".join(traceback.format_list(frames)))
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

    convert = commands.add_parser(
        "convert", help="print ToolHive MCPServer manifests as OME manifests")
    convert.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                         help="YAML manifests (files or directories)")
    convert.add_argument("--from", dest="source", choices=["toolhive"], default="toolhive",
                         help="the manifests' format (default toolhive)")
    convert.set_defaults(run=_convert)
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


#: Where library code lives: frames from here are not the user's (ours, Pulumi's, the
#: standard library's, any installed package's).
_LIBRARY_DIRS = tuple(sorted(
    {str(Path(__file__).resolve().parents[1]) + os.sep}
    | {str(Path(sysconfig.get_paths()[key]).resolve()) + os.sep
       for key in ("stdlib", "platstdlib", "purelib", "platlib")}
))


def _user_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """The frames of ``error``'s traceback that are the user's program, not a library."""
    return [frame for frame in traceback.extract_tb(error.__traceback__)
            if not (str(Path(frame.filename).resolve()) + os.sep).startswith(_LIBRARY_DIRS)
            and not frame.filename.startswith("<")]


def _record(args: argparse.Namespace, program: Program) -> Recording:
    cluster = load_cluster_state(args.cluster_state) if args.cluster_state else {}
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


def _render(args: argparse.Namespace) -> int:
    recording = _record(args, load_paths(args.paths, stack=args.stack))
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


def _convert(args: argparse.Namespace) -> int:
    documents, notes = toolhive.convert(read_documents(args.paths))
    for note in notes:
        print(f"info: {note}", file=sys.stderr)
    sys.stdout.write(to_yaml(documents))
    return EXIT_OK


def _preview(args: argparse.Namespace) -> int:
    if args.config is not None and args.policy_pack is None:
        raise OmeMcpError("--config", "is the policy pack's config; give --policy-pack too")
    if args.policy_pack is not None and not args.policy_pack.is_dir():
        raise OmeMcpError(str(args.policy_pack), "is not a policy pack directory")
    program = load_paths(args.paths, stack=args.stack)
    with contextlib.ExitStack() as running:
        # the pack starts (and judges its config) before the program runs, so a bad
        # --config is the first and only thing printed
        pack = running.enter_context(start_policy_pack(
            args.policy_pack, args.config, stack=args.stack,
            project=program.project or DEFAULT_PROJECT)) if args.policy_pack else None
        recording = _record(args, program)
        out = sys.stdout
        print(f"Previewing stack {args.stack} (offline, nothing is deployed)\n", file=out)
        print("\n".join(resource_tree(recording, ascii_only=not can_draw(out))), file=out)
        print_diagnostics(recording, out)
        print_outputs(recording, out)
        print_summary(recording, out)
        status = EXIT_ERROR if _logged_error(recording) else EXIT_OK
        if pack is not None and print_policies(pack.analyze(recording), out):
            status = max(status, EXIT_MANDATORY_VIOLATION)
    return status
