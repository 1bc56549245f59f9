#!/usr/bin/env python3
"""Figure 1 in instructions: what each contender's program executes, per server.

    python bench/instructions.py                 N = 10
    python bench/instructions.py --sizes 10,100  (N = 100 takes about 10 minutes on 2 cores)

CPU time on a shared machine moves by 10% from run to run; the number of instructions a
program executes does not. Each contender of figure 1 (``workloads.CONTENDERS``) runs in
its own interpreter under valgrind's cachegrind (``--cache-sim=no``: instruction counts
only) twice: once with its program, once with the same work before the clock and a
program that registers nothing. The difference, divided by N, is what the program costs
per server; the ratios are the ones figure 1 reports in CPU seconds (``component/bare``:
what MCPServer adds to a component holding the same objects; ``interface/bare``: what any
component with MCPServer's inputs and outputs adds; ``component/interface``: our own
code). Needs ``valgrind`` (Debian package ``valgrind``); about 50 times slower than
``run.py``, so N stays small.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import gc
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from run import ROOT, say, table  # noqa: E402 (bench/ on sys.path first)
from workloads import CONTENDERS, prepare  # noqa: E402

_I_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(contender: str, n: int, *, noop: bool) -> int:
    """Instructions one worker process executes, start to exit."""
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
               "--cachegrind-out-file=/dev/null", sys.executable, str(Path(__file__).resolve()),
               "--child", contender, str(n)]
    if noop:
        command.append("--noop")
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts in both runs
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env,
                          check=False)
    found = _I_REFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{contender} N={n}{' (no-op)' if noop else ''} failed under "
                         f"valgrind:\n{done.stderr[-3000:]}")
    return int(found.group(1).replace(",", ""))


def per_server(sizes: Sequence[int], jobs: int) -> dict[tuple[str, int], float]:
    """Instructions per server of every contender at every N (millions)."""
    runs = [(c, n, noop) for n in sizes for c in CONTENDERS for noop in (False, True)]
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        counts = dict(zip(runs, pool.map(lambda r: instructions(r[0], r[1], noop=r[2]),
                                         runs), strict=True))
    return {(c, n): (counts[(c, n, False)] - counts[(c, n, True)]) / n / 1e6
            for c in CONTENDERS for n in sizes}


HEADERS = ("N", "baseline M", "bare M", "interface M", "component M", "bare/baseline",
           "interface/bare", "component/bare", "component/interface")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10", help="comma-separated N (default 10)")
    parser.add_argument("--jobs", type=int, default=2, help="valgrind runs at once (default 2)")
    parser.add_argument("--child", nargs=2, metavar=("CONTENDER", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--noop", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # one measured process: the program, nothing after it
        from ome_mcp_components.offline.engine import run_program

        program = prepare(args.child[0], int(args.child[1]), noop=args.noop)
        gc.collect()
        run_program(program)
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("bench/instructions.py needs valgrind (apt-get install valgrind)")
    sizes = tuple(int(s) for s in args.sizes.split(","))
    say(f"instructions: N = {', '.join(map(str, sizes))}, {len(CONTENDERS)} contenders, "
        f"{2 * len(CONTENDERS) * len(sizes)} valgrind runs")
    cost = per_server(sizes, args.jobs)
    rows = []
    for n in sizes:
        base, bare, face, comp = (cost[(c, n)] for c in
                                  ("baseline", "bare-component", "interface", "component"))
        rows.append([str(n), f"{base:.1f}", f"{bare:.1f}", f"{face:.1f}", f"{comp:.1f}",
                     f"{bare / base:.3f}x", f"{face / bare:.3f}x", f"{comp / bare:.3f}x",
                     f"{comp / face:.3f}x"])
    print(f"1i. Component overhead in instructions (valgrind cachegrind, Python "
          f"{sys.version.split()[0]}): millions of instructions per server executed by "
          f"the program\n    (each contender's run minus a run with the same work before "
          f"the clock and an empty program)")
    print(table(HEADERS, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
