#!/usr/bin/env python3
"""Benchmarks of ome-mcp-components: run them all and print one table.

    python bench/run.py                  N = 1, 10, 100, 1000 (about 15 minutes on 2 cores)
    python bench/run.py --quick          N up to 100 (about 2 minutes)
    python bench/run.py --sizes 1,50     chosen sizes
    python bench/run.py --profile        where the time goes (cProfile), instead of the table

Every figure is a ratio of two contenders measured side by side in one run: their
runs are interleaved (the order alternates), repeated, and the median ratio is reported
with its spread (min-max over the repetitions), next to the absolute numbers. What is
measured and why is in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pickle
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
POLICY_PACK = ROOT / "policy_pack"
EMPTY_PACK = BENCH / "empty_pack"
DEFAULT_SIZES = (1, 10, 100, 1000)
QUICK_SIZES = (1, 10, 100)
#: Servers per repetition of the render-throughput figure.
RENDER_SERVERS = 200

if str(BENCH) not in sys.path:  # run as a script: bench/ is on sys.path; as a module: add it
    sys.path.insert(0, str(BENCH))


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Ratio:
    """Per-repetition ratios of two contenders: median and spread."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def __str__(self) -> str:
        return f"{self.median:.2f}x ({min(self.values):.2f}-{max(self.values):.2f})"


def ratio(numerators: Sequence[float], denominators: Sequence[float]) -> Ratio:
    """Pairwise ratios (repetition ``i`` against repetition ``i``)."""
    return Ratio(tuple(a / b for a, b in zip(numerators, denominators, strict=True)))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def interleaved(repeats: int, contenders: Sequence[str]) -> list[str]:
    """Run order: every contender once per repetition, the order reversed every other time."""
    order: list[str] = []
    for rep in range(repeats):
        order += contenders if rep % 2 == 0 else list(reversed(contenders))
    return order


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))
    body = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- 1. components


def run_worker(contender: str, n: int, dump: Path | None = None) -> dict[str, Any]:
    """One contender in a fresh interpreter; its JSON report."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", contender, str(n)]
    if dump is not None:
        command += ["--dump", str(dump)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench worker {contender} N={n} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def component_overhead(sizes: Sequence[int], repeats: int, dump: Path | None
                       ) -> tuple[list[list[str]], list[list[str]]]:
    """Rows of the overhead table and of the memory/linearity table."""
    rows, more = [], []
    contenders = ("component", "bare-component", "interface", "baseline")
    for n in sizes:
        runs: dict[str, list[dict[str, Any]]] = {c: [] for c in contenders}
        order = interleaved(repeats, contenders)
        last = max(i for i, c in enumerate(order) if c == "component")
        for index, contender in enumerate(order):
            target = dump if (dump is not None and n == max(sizes) and index == last) else None
            say(f"  N={n:<5} {contender:<14} run {len(runs[contender]) + 1}/{repeats}")
            runs[contender].append(run_worker(contender, n, target))
        if len({r["digest"] for rs in runs.values() for r in rs}) != 1:
            raise SystemExit(f"N={n}: the contenders registered different Kubernetes objects")
        comp, bare, face, base = (runs[c] for c in contenders)

        def cpu(rs: list[dict[str, Any]]) -> list[float]:
            return [r["cpu"] for r in rs]

        def wall(rs: list[dict[str, Any]]) -> list[float]:
            return [r["wall"] for r in rs]

        def mib(rs: list[dict[str, Any]]) -> float:
            return median([r["peak_rss_kib"] for r in rs]) / 1024

        rows.append([
            str(n),
            f"{median(cpu(base)):.2f}",
            f"{median(cpu(bare)):.2f}",
            f"{median(cpu(face)):.2f}",
            f"{median(cpu(comp)):.2f}",
            str(ratio(cpu(comp), cpu(base))),
            str(ratio(wall(comp), wall(base))),
            str(ratio(cpu(bare), cpu(base))),
            str(ratio(cpu(comp), cpu(bare))),
            str(ratio(cpu(comp), cpu(face))),
        ])
        more.append([
            str(n),
            f"{comp[0]['objects'] / n:.0f}",
            f"{comp[0]['resources']}/{bare[0]['resources']}/{base[0]['resources']}",
            f"{median(cpu(base)) / n * 1000:.1f}",
            f"{median(cpu(comp)) / n * 1000:.1f}",
            f"{mib(base):.0f}",
            f"{mib(comp):.0f}",
            str(ratio([r["peak_rss_kib"] for r in comp], [r["peak_rss_kib"] for r in base])),
        ])
    return rows, more


COMPONENT_HEADERS = (
    "N", "baseline s", "bare s", "interface s", "component s", "component/baseline", "(wall)",
    "bare/baseline", "component/bare", "component/interface",
)
LINEAR_HEADERS = (
    "N", "objects/server", "resources c/bare/b", "base ms/server", "comp ms/server",
    "base peak MiB", "comp peak MiB", "memory ratio",
)


# --------------------------------------------------------------------------- 2. render


def render_throughput(repeats: int, servers: int = RENDER_SERVERS) -> list[list[str]]:
    """Servers per second: validation + resolution + builders vs pydantic alone.

    Every repetition uses fresh specs (other names, audiences and policy texts), so no
    cache carries over from one repetition to the next.
    """
    from workloads import server_args, server_name

    from ome_mcp_components import builders
    from ome_mcp_components.models import MCPServerSpec
    from ome_mcp_components.plan.resolve import plan_server

    def ours(first: int) -> None:
        for i in range(first, first + servers):
            builders.render(plan_server("MCPServer", server_name(i), server_args(i)).context())

    def pydantic_only(first: int) -> None:
        for i in range(first, first + servers):
            MCPServerSpec.model_validate(server_args(i)["spec"])

    contenders: dict[str, Callable[[int], None]] = {"ours": ours, "pydantic": pydantic_only}
    times: dict[str, list[float]] = {"ours": [], "pydantic": []}
    ours(10**6)  # warm up imports and schema validators once
    pydantic_only(10**6)
    for index, name in enumerate(interleaved(repeats, ("ours", "pydantic"))):
        first = 10**5 + index * servers
        start = time.process_time()
        contenders[name](first)
        times[name].append(time.process_time() - start)
    return [[
        str(servers),
        f"{servers / median(times['ours']):.0f}",
        f"{servers / median(times['pydantic']):.0f}",
        f"{median(times['ours']) / servers * 1000:.2f}",
        f"{median(times['pydantic']) / servers * 1000:.3f}",
        str(ratio(times["ours"], times["pydantic"])),
    ]]


RENDER_HEADERS = ("servers", "render servers/s", "pydantic servers/s", "render ms/server",
                  "pydantic ms/server", "time ratio")


# --------------------------------------------------------------------------- 3. policy pack


def policy_pack(recording_file: Path, repeats: int) -> list[list[str]]:
    """Wall time of ``analyze`` (Analyze per resource, then AnalyzeStack) of one stack
    with ``policy_pack/`` and with the one-policy ``bench/empty_pack``."""
    from workloads import component_program

    from ome_mcp_components.offline.analyzer import PolicyPackSession
    from ome_mcp_components.offline.engine import run_program

    with recording_file.open("rb") as source:
        recording = pickle.load(source)
    analyzed = sum(1 for r in recording.resources if not r.read)
    warm_up = run_program(component_program(2))
    times: dict[str, list[float]] = {"policy_pack": [], "empty_pack": []}
    findings: dict[str, int] = {}
    with PolicyPackSession(POLICY_PACK) as real, PolicyPackSession(EMPTY_PACK) as empty:
        sessions = {"policy_pack": real, "empty_pack": empty}
        for session in sessions.values():
            session.analyze(warm_up)  # lazy imports inside the pack
        for name in interleaved(repeats, ("policy_pack", "empty_pack")):
            say(f"  {name:<11} {len(times[name]) + 1}/{repeats}")
            start = time.perf_counter()
            result = sessions[name].analyze(recording)
            times[name].append(time.perf_counter() - start)
            findings[name] = len(result.diagnostics)
    n = sum(1 for r in recording.resources if r.type == "ome-mcp:index:MCPServer")
    return [[
        str(n),
        str(analyzed),
        f"{analyzed / median(times['policy_pack']):.0f}",
        f"{analyzed / median(times['empty_pack']):.0f}",
        f"{median(times['policy_pack']):.2f}",
        f"{median(times['empty_pack']):.2f}",
        str(ratio(times["policy_pack"], times["empty_pack"])),
        str(findings["policy_pack"]),
    ]]


POLICY_HEADERS = ("servers", "resources", "policy_pack res/s", "empty_pack res/s",
                  "policy_pack s", "empty_pack s", "time ratio", "findings")


# --------------------------------------------------------------------------- profile


def profile(n: int, top: int = 25) -> None:
    """cProfile of the component program (N servers) and of the pure render path."""
    from workloads import component_program, server_args, server_name

    from ome_mcp_components import builders
    from ome_mcp_components.offline.engine import run_program
    from ome_mcp_components.plan.resolve import plan_server

    def pure() -> None:
        for i in range(n):
            builders.render(plan_server("MCPServer", server_name(i), server_args(i)).context())

    run_program(component_program(1))  # imports and validators out of the way
    for title, call in ((f"component program, N={n}", lambda: run_program(component_program(n))),
                        (f"validation + builders alone, {n} servers", pure)):
        profiler = cProfile.Profile()
        profiler.runcall(call)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats("ome_mcp_components", top)
        stats.sort_stats("tottime").print_stats(top)
        print(f"=== {title}\n{out.getvalue()}")


# --------------------------------------------------------------------------- main


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated N (default 1,10,100,1000)")
    parser.add_argument("--quick", action="store_true", help="N up to 100")
    parser.add_argument("--repeats", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--skip-policy", action="store_true", help="no policy-pack figure")
    parser.add_argument("--profile", action="store_true", help="print profiles instead")
    parser.add_argument("--worker", nargs=2, metavar=("CONTENDER", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        from workloads import work

        print(json.dumps(work(args.worker[0], int(args.worker[1]), args.dump)))
        return 0
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else (
        QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if args.profile:
        profile(min(max(sizes), 100))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        dump = None if args.skip_policy else Path(tmp) / "stack.pickle"
        say(f"component overhead: N = {', '.join(map(str, sizes))}, {args.repeats} repetitions")
        components, linear = component_overhead(sizes, args.repeats, dump)
        say("render throughput")
        render = render_throughput(max(args.repeats, 5))
        policies = None
        if dump is not None:
            say(f"policy pack: the N = {max(sizes)} stack")
            policies = policy_pack(dump, args.repeats)

    print(f"ome-mcp-components benchmarks ({sys.platform}, Python "
          f"{sys.version.split()[0]}); medians, ratio spread min-max over "
          f"{args.repeats} interleaved repetitions\n")
    print("1. Component overhead: MCPServer components vs the same objects registered "
          "directly (baseline)\n   and as children of a component that does nothing else "
          "(bare),\n   and as children of a component with MCPServer's inputs and outputs, "
          "precomputed (interface);\n   offline engine, CPU seconds of run_program, each run "
          "in its own process")
    print(table(COMPONENT_HEADERS, components), end="\n\n")
    print("   growth (CPU ms per server) and memory (peak RSS of the whole process)")
    print(table(LINEAR_HEADERS, linear), end="\n\n")
    print("2. Render throughput: validation + resolution + builders vs pydantic validation "
          "alone (CPU)")
    print(table(RENDER_HEADERS, render), end="\n\n")
    if policies is not None:
        print("3. Policy pack over gRPC (Analyze per resource + AnalyzeStack, wall time): "
              "policy_pack/ vs a one-policy empty pack")
        print(table(POLICY_HEADERS, policies))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
