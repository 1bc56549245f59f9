"""The pinned toolchain of the real-engine and real-gateway test tiers, built from Go modules.

    python3 dev.py toolchain            build what is missing, print the bin directory last
    python3 dev.py toolchain --check    only say what is built and what is missing

Every tool is built with the plain ``go`` client from the Go module proxy, from a small
wrapper module under ``toolchain/<name>/`` (its ``go.mod`` requires the tool's module at
the pinned version, names the command in a ``tool`` directive and carries the ``replace``
directives the tool's own module needs outside its repository; its ``go.sum`` pins every
dependency). The versions live there and in :data:`TOOLS` below, in one place each: the
recipe checks that the two agree.

The bin directory is ``~/.cache/ome-mcp/toolchain/<recipe hash>/bin`` (``$OME_MCP_CACHE``
moves ``~/.cache/ome-mcp``): links to each tool's binaries, kept in
``toolchain/tools/<recipe>-<tool hash>/``. A tool's hash covers its wrapper module's files,
its pins and flags and the Go version, so a changed pin rebuilds that tool alone and an
unchanged recipe costs a few directory listings. Go's own module and build caches make a
rebuild after a small change cheap.

A ``pulumi`` and ``pulumi-resource-kubernetes`` already on ``PATH`` at the pinned
versions are linked instead of built (users who have Pulumi need no Go).

Standard library only: ``dev.py`` runs this before any virtual environment exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "toolchain"
#: Set by ``dev.py test`` to the bin directory, read by the test fixtures.
ENV_VAR = "OME_MCP_TOOLCHAIN"

PULUMI_VERSION = "3.274.1"
#: The provider release whose commit the wrapper module pins (see its go.mod); the
#: pulumi-kubernetes Python SDK of the same release asks the engine for this version.
KUBERNETES_PROVIDER_VERSION = "4.25.0"
KUBERNETES_VERSION = "1.34.4"
ETCD_VERSION = "3.6.16"
KWOK_VERSION = "0.7.0"
#: The gateway image the components pin (``defaults.GATEWAY_IMAGE``) is this release.
TOOLHIVE_VERSION = "0.44.0"
#: Pulumi YAML's language host (the only language host the Go module proxy serves: it
#: refuses pulumi's own python, nodejs and go hosts), for the YAML consumer of the
#: component provider.
PULUMI_YAML_VERSION = "1.25.0"


def _k8s_ldflags(version: str) -> list[str]:
    major, minor, _ = version.split(".")
    flags = []
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"-X {pkg}.gitVersion=v{version}",
            f"-X {pkg}.gitMajor={major}",
            f"-X {pkg}.gitMinor={minor}",
            f"-X {pkg}.gitTreeState=clean",
        ]
    return flags


@dataclass(frozen=True)
class Tool:
    """One recipe: which packages of which wrapper module become which binaries."""

    recipe: str  # the folder under toolchain/
    module: str  # the tool's Go module, required in the wrapper's go.mod
    version: str  # the module version the wrapper's go.mod must name
    binaries: dict[str, str]  # binary name -> Go package
    ldflags: list[str] = field(default_factory=list)
    generate: bool = False  # run the provider's schema generator first


TOOLS: tuple[Tool, ...] = (
    Tool(
        "pulumi",
        "github.com/pulumi/pulumi/pkg/v3",
        f"v{PULUMI_VERSION}",
        {"pulumi": "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"},
        [f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v{PULUMI_VERSION}"],
    ),
    Tool(
        "pulumi-kubernetes",
        "github.com/pulumi/pulumi-kubernetes/provider/v4",
        "v4.0.0-20260115033456-f47bc2d6f199",
        {"pulumi-resource-kubernetes": "."},
        [
            "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version="
            f"{KUBERNETES_PROVIDER_VERSION}"
        ],
        generate=True,
    ),
    Tool(
        "kubernetes",
        "k8s.io/kubernetes",
        f"v{KUBERNETES_VERSION}",
        {
            "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
            "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
            "kube-scheduler": "k8s.io/kubernetes/cmd/kube-scheduler",
        },
        _k8s_ldflags(KUBERNETES_VERSION),
    ),
    Tool("etcd", "go.etcd.io/etcd/server/v3", f"v{ETCD_VERSION}",
         {"etcd": "go.etcd.io/etcd/server/v3"}),
    Tool("kwok", "sigs.k8s.io/kwok", f"v{KWOK_VERSION}", {"kwok": "sigs.k8s.io/kwok/cmd/kwok"}),
    Tool(
        "toolhive",
        "github.com/stacklok/toolhive",
        f"v{TOOLHIVE_VERSION}",
        {"thv-proxyrunner": "github.com/stacklok/toolhive/cmd/thv-proxyrunner"},
        [
            f"-X github.com/stacklok/toolhive/pkg/versions.Version=v{TOOLHIVE_VERSION}",
        ],
    ),
    Tool(
        "pulumi-yaml",
        "github.com/pulumi/pulumi-yaml",
        f"v{PULUMI_YAML_VERSION}",
        {"pulumi-language-yaml": "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"},
        [f"-X github.com/pulumi/pulumi-yaml/pkg/version.Version=v{PULUMI_YAML_VERSION}"],
    ),
)

#: Files copied verbatim into the bin directory (launchers, not builds).
SCRIPTS: tuple[str, ...] = ()


class ToolchainError(RuntimeError):
    """A step of the recipe failed; the message says which and how."""


def cache_root() -> Path:
    base = os.environ.get("OME_MCP_CACHE") or str(Path.home() / ".cache" / "ome-mcp")
    return Path(base) / "toolchain"


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise ToolchainError(
            "the toolchain is built with Go (1.26 or newer) and `go` is not on PATH; "
            "install Go, or put pulumi and pulumi-resource-kubernetes on PATH"
        )
    return go


def _go_version() -> str:
    out = subprocess.run([_go(), "env", "GOVERSION"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def tool_hash(tool: Tool) -> str:
    """A digest of one recipe: its wrapper module's files, its pins and flags, Go's version."""
    digest = hashlib.sha256(repr(tool).encode() + _go_version().encode())
    folder = RECIPES / tool.recipe
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def recipe_hash() -> str:
    """A digest of every recipe (not of this module's code: a change to how the recipe
    runs does not rebuild what it built)."""
    digest = hashlib.sha256()
    for tool in TOOLS:
        digest.update(f"{tool.recipe}={tool_hash(tool)}\n".encode())
    return digest.hexdigest()[:16]


def bin_dir() -> Path:
    return cache_root() / recipe_hash() / "bin"


def tool_dir(tool: Tool) -> Path:
    """Where one recipe's binaries are kept; ``bin_dir()`` links to them, so a changed pin
    rebuilds only its own tool."""
    return cache_root() / "tools" / f"{tool.recipe}-{tool_hash(tool)}"


def check_pins() -> None:
    """Each wrapper go.mod requires its module at the version TOOLS names."""
    for tool in TOOLS:
        gomod = (RECIPES / tool.recipe / "go.mod").read_text()
        pattern = rf"^\s*(require\s+)?{re.escape(tool.module)}\s+(\S+)"
        found = [m.group(2) for m in re.finditer(pattern, gomod, re.M)]
        if found != [tool.version]:
            raise ToolchainError(
                f"toolchain/{tool.recipe}/go.mod requires {tool.module} at {found or 'no version'}"
                f", devtools/toolchain.py pins {tool.version}: make them agree"
            )


def _env() -> dict[str, str]:
    env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=readonly -buildvcs=false")
    env.setdefault("GOTOOLCHAIN", "local")
    return env


def _run(cmd: Sequence[str], cwd: Path, log: Path) -> None:
    with log.open("ab") as out:
        out.write(("$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        code = subprocess.call(list(cmd), cwd=cwd, env=_env(), stdout=out, stderr=out)
    if code != 0:
        tail = log.read_text(errors="replace").splitlines()[-25:]
        raise ToolchainError(
            f"`{' '.join(cmd)}` in {cwd} failed (exit {code}); the last lines of {log}:\n"
            + "\n".join(tail)
        )


def _module_dir(tool: Tool, cwd: Path, log: Path) -> Path:
    """The tool module's source in the module cache, downloaded first if need be (``go
    list -m`` names no directory for a module not downloaded yet, as on a new machine)."""
    out = subprocess.run(
        [_go(), "mod", "download", "-json", f"{tool.module}@{tool.version}"],
        cwd=cwd, env=_env(), capture_output=True, text=True,
    )
    directory = json.loads(out.stdout or "{}").get("Dir") if out.returncode == 0 else None
    if not directory:
        with log.open("a") as f:
            f.write(out.stdout + out.stderr)
        raise ToolchainError(f"cannot download {tool.module}@{tool.version}: "
                             f"{(out.stdout + out.stderr).strip()}")
    return Path(directory)


def _prepare_generated(tool: Tool, work: Path, log: Path) -> None:
    """The provider's main embeds files its generator writes: run the generator here."""
    source = _module_dir(tool, work, log) / "cmd" / "pulumi-resource-kubernetes"
    for name in ("schema.json", "terraform-mapping.json"):
        shutil.copyfile(source / name, work / name)
        (work / name).chmod(0o644)
    generator = work / "generate_schema.go"
    shutil.copyfile(source / "generate.go", generator)
    generator.chmod(0o644)
    env_version = {"VERSION": KUBERNETES_PROVIDER_VERSION}
    os.environ.update(env_version)
    try:
        _run([_go(), "run", "-tags", "generator", generator.name], work, log)
    finally:
        os.environ.pop("VERSION", None)
    generator.unlink()


def build(tool: Tool, target: Path, logs: Path) -> float:
    """Build one recipe's binaries into ``target``; returns the seconds it took."""
    started = time.monotonic()
    log = logs / f"{tool.recipe}.log"
    log.write_text("")
    with tempfile.TemporaryDirectory(prefix=f"ome-mcp-{tool.recipe}-") as tmp:
        work = Path(tmp) / tool.recipe
        shutil.copytree(RECIPES / tool.recipe, work)
        if tool.generate:
            _prepare_generated(tool, work, log)
        # not beside ``work``: a binary named like its recipe (``pulumi``) would be
        # written into the wrapper module's folder instead
        built = Path(tmp) / "out"
        built.mkdir()
        for binary, package in tool.binaries.items():
            out = built / binary
            cmd = [_go(), "build", "-trimpath", "-o", str(out)]
            if tool.ldflags:
                cmd += ["-ldflags", " ".join(tool.ldflags)]
            _run([*cmd, package], work, log)
            if (target / binary).is_dir():  # left by an earlier build that hit that clash
                shutil.rmtree(target / binary)
            out.replace(target / binary)
    return time.monotonic() - started


def _on_path(name: str, version_args: list[str], want: str) -> Path | None:
    found = shutil.which(name)
    if found is None:
        return None
    try:
        out = subprocess.run([found, *version_args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(found) if want in (out.stdout + out.stderr) else None


def _ambient(tool: Tool) -> dict[str, Path] | None:
    """Binaries of this recipe already installed at the pinned version, if any."""
    if tool.recipe == "pulumi":
        found = _on_path("pulumi", ["version"], f"v{PULUMI_VERSION}")
        return {"pulumi": found} if found else None
    if tool.recipe == "pulumi-kubernetes":
        # the provider answers no version flag; a plugin installed by `pulumi plugin
        # install` has the version in its directory name
        plugin = (
            Path.home() / ".pulumi" / "plugins"
            / f"resource-kubernetes-v{KUBERNETES_PROVIDER_VERSION}" / "pulumi-resource-kubernetes"
        )
        return {"pulumi-resource-kubernetes": plugin} if plugin.exists() else None
    return None


def missing(target: Path) -> list[Tool]:
    return [t for t in TOOLS if not all((target / b).is_file() for b in t.binaries)]


def _link(tool: Tool, target: Path) -> None:
    for binary in tool.binaries:
        link = target / binary
        link.unlink(missing_ok=True)
        link.symlink_to(tool_dir(tool) / binary)


def ensure(*, quiet: bool = False) -> Path:
    """Build (first time) or find every tool; returns the bin directory."""
    check_pins()
    target = bin_dir()
    target.mkdir(parents=True, exist_ok=True)
    logs = target.parent / "logs"
    logs.mkdir(exist_ok=True)
    for script in SCRIPTS:
        dest = target / script
        shutil.copyfile(RECIPES / script, dest)
        dest.chmod(0o755)
    todo = missing(target)
    if todo and not quiet:
        print(f"toolchain: building {len(todo)} of {len(TOOLS)} recipes into {target} "
              f"(logs in {logs})", flush=True)
    for tool in todo:
        ambient = _ambient(tool)
        if ambient:
            for binary, path in ambient.items():
                (target / binary).unlink(missing_ok=True)
                (target / binary).symlink_to(path)
            found = ", ".join(map(str, ambient.values()))
            print(f"toolchain: {tool.recipe} {tool.version}: using {found}", flush=True)
            continue
        kept = tool_dir(tool)
        if all((kept / b).is_file() for b in tool.binaries):
            _link(tool, target)
            print(f"toolchain: {tool.recipe} {tool.version}: built before ({kept})", flush=True)
            continue
        kept.mkdir(parents=True, exist_ok=True)
        seconds = build(tool, kept, logs)
        _link(tool, target)
        print(f"toolchain: {tool.recipe} {tool.version}: built {', '.join(tool.binaries)} "
              f"in {seconds:.0f} s", flush=True)
    if not todo and not quiet:
        print(f"toolchain: all {len(TOOLS)} recipes built ({target})", flush=True)
    return target


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["--check"]:
            check_pins()
            target = bin_dir()
            for tool in TOOLS:
                state = "missing" if tool in missing(target) else "built"
                print(f"{tool.recipe} {tool.version}: {state}")
            print(target)
            return 0
        if argv:
            print(__doc__)
            return 2
        print(ensure())
    except ToolchainError as e:
        print(f"toolchain: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
