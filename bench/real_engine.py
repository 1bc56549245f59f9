"""Real-engine benchmark: ``pulumi preview`` and ``pulumi up`` through the real CLI, engine
and provider against the local control plane, side by side in one run.

    python bench/real_engine.py [--sizes 1,10,50] [--repeat 2] [--pack-sizes 10,50]

Figure 3, components against the same objects registered directly: for each N, a stack of
N ``MCPServer`` components (``workloads.component_program``) and a stack of the very same
Kubernetes objects registered with the pulumi-kubernetes classes
(``workloads.baseline_program``), each previewed on an empty stack, deployed (``pulumi up``
waits for every Deployment to become available, as on a real cluster) and destroyed,
interleaved (component, direct, direct, component, ...) so drift of the machine hits both
alike. Figure 4, the policy pack: ``pulumi preview`` of the N-component stack with
``--policy-pack policy_pack`` against without it.

Times are whole operations as a user sees them (the driver process, the CLI, the program,
the provider, the API server's answers), medians over the repetitions; the ratio is
component/direct (figure 3) or with/without (figure 4), with the range of the per-repetition
ratios. Targets: components at most 1.10x the direct objects, the pack at most 1.25x.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from realstack import Kube, PulumiProject, Result, prepare_pack  # noqa: E402

from devtools import pulumi_env, toolchain  # noqa: E402
from devtools.cluster import Cluster  # noqa: E402

PROGRAM = """\
import sys
sys.path.insert(0, {bench!r})
import workloads
{call}
"""
CALLS = {
    "component": "workloads.component_program({n})()",
    "direct": "workloads.baseline_program(workloads.rendered({n}))()",
}


def project(root: Path, contender: str, n: int) -> Path:
    folder = root / f"src-{contender}-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text(f"name: bench-{contender}\nruntime: python\n")
    (folder / "__main__.py").write_text(
        PROGRAM.format(bench=str(BENCH), call=CALLS[contender].format(n=n)))
    return folder


def timed(run: Any, what: str) -> float:
    started = time.perf_counter()
    result: Result = run()
    seconds = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"{what} failed:\n{result.text[-4000:]}")
    return seconds


def ratio_line(label: str, a: list[float], b: list[float]) -> str:
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return (f"{label:<28} {statistics.median(a):8.1f} {statistics.median(b):8.1f}   "
            f"{statistics.median(a) / statistics.median(b):.2f}x "
            f"({min(ratios):.2f}-{max(ratios):.2f})")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10,50")
    parser.add_argument("--pack-sizes", default="10,50")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    pack_sizes = [int(s) for s in args.pack_sizes.split(",") if s]

    given = os.environ.get(toolchain.ENV_VAR)
    bin_dir = Path(given) if given else toolchain.ensure(quiet=True)
    cluster = Cluster(bin_dir=bin_dir)
    kube = Kube(cluster)
    started_here = not cluster.running()
    try:
        return _measure(args, sizes, pack_sizes, bin_dir, cluster, kube)
    finally:
        if started_here:
            cluster.stop()


def _measure(args: argparse.Namespace, sizes: list[int], pack_sizes: list[int],
             bin_dir: Path, cluster: Cluster, kube: Kube) -> int:
    with tempfile.TemporaryDirectory(prefix="ome-mcp-bench-") as tmp:
        root = Path(tmp)
        env = pulumi_env.environment(root / "pulumi", bin_dir, cluster.start())
        pulumi_env.install_provider(env)
        kube.ensure_namespace("tools")
        print(f"toolchain {bin_dir}; {args.repeat} repetitions; times in seconds", flush=True)

        lines = [f"{'figure 3: N, operation':<28} {'comp.':>8} {'direct':>8}   ratio (range)"]
        for n in sizes:
            times: dict[tuple[str, str], list[float]] = {}
            for rep in range(args.repeat):
                order = ("component", "direct") if rep % 2 == 0 else ("direct", "component")
                for contender in order:
                    stack = PulumiProject(project(root, contender, n),
                                          root / f"run-{contender}-{n}-{rep}", env)
                    for op in ("preview", "up"):
                        seconds = timed(getattr(stack, op), f"{op} {contender} N={n}")
                        times.setdefault((contender, op), []).append(seconds)
                        print(f"  N={n} rep {rep} {contender} {op}: {seconds:.1f} s", flush=True)
                    timed(stack.destroy, f"destroy {contender} N={n}")
            for op in ("preview", "up"):
                lines.append(ratio_line(f"N={n:<3} pulumi {op}", times[("component", op)],
                                        times[("direct", op)]))

        pack = prepare_pack(root / "pack")
        lines.append(f"{'figure 4: N, preview':<28} {'pack':>8} {'no pack':>8}   ratio (range)")
        for n in pack_sizes:
            with_pack: list[float] = []
            without: list[float] = []
            stack = PulumiProject(project(root, "component", n), root / f"pack-{n}", env)
            for rep in range(args.repeat):
                order = (True, False) if rep % 2 == 0 else (False, True)
                for use_pack in order:
                    packs = [pack / "analyzer"] if use_pack else []
                    seconds = timed(functools.partial(stack.preview, policy_packs=packs),
                                    f"preview N={n} pack={use_pack}")
                    (with_pack if use_pack else without).append(seconds)
                    print(f"  N={n} rep {rep} pack={use_pack}: {seconds:.1f} s", flush=True)
            lines.append(ratio_line(f"N={n:<3} pulumi preview", with_pack, without))
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
