"""What the CLI is given, as a ``Program`` for ``run_program``: a Pulumi project
directory or ``.py`` file (``load_program_dir``), or OME YAML manifests (``load_paths``).
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ome_mcp_components.errors import OmeMcpError
from ome_mcp_components.offline.engine.project import DEFAULT_STACK, read_yaml_mapping, stack_config

_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Program:
    """A program to run, with the project name and stack config its project supplies."""

    run: Callable[[], object]
    project: str | None = None
    config: Mapping[str, str] = field(default_factory=dict)
    secret_config_keys: frozenset[str] = frozenset()

    def __call__(self) -> object:
        return self.run()


def load_paths(paths: Sequence[Path | str], *, stack: str = DEFAULT_STACK) -> Program:
    """The program that ``paths`` name: one Pulumi program, or OME YAML manifests.

    A directory holding ``__main__.py`` or ``Pulumi.yaml``, or a ``.py`` file, is a
    Pulumi program (only one may be given); ``.yaml``/``.yml`` files and directories of
    them are manifests, loaded by ``manifests.load_manifests``.
    """
    resolved = [Path(p) for p in paths]
    if not resolved:
        raise OmeMcpError("ome-mcp", "no program or manifest path given")
    for path in resolved:
        if not path.exists():
            raise OmeMcpError(str(path), "no such file or directory")
    programs = [p for p in resolved if _is_program(p)]
    if programs:
        if len(resolved) > 1:
            raise OmeMcpError(
                str(programs[0]),
                "a Pulumi program runs on its own; give one program directory, "
                "or only YAML manifests",
            )
        return load_program_dir(programs[0], stack=stack)
    for path in resolved:
        if path.is_file() and path.suffix not in _YAML_SUFFIXES:
            raise OmeMcpError(str(path), "not a Pulumi program or a .yaml/.yml manifest")
        if path.is_dir() and not any(_yaml_files(path)):
            raise OmeMcpError(
                str(path),
                "holds no __main__.py, Pulumi.yaml or .yaml/.yml manifests",
            )
    try:  # imported on use: only manifests need the components loaded
        from ome_mcp_components.manifests import (  # type: ignore[import-not-found, unused-ignore]
            load_manifests,
        )
    except ModuleNotFoundError as error:
        if error.name != "ome_mcp_components.manifests":
            raise
        raise OmeMcpError(str(resolved[0]), "this build cannot load YAML manifests") from error
    return Program(run=load_manifests(resolved))


def _is_program(path: Path) -> bool:
    if path.is_dir():
        return (path / "__main__.py").is_file() or (path / "Pulumi.yaml").is_file()
    return path.suffix == ".py"


def _yaml_files(directory: Path) -> Iterator[Path]:
    return (p for p in sorted(directory.rglob("*")) if p.suffix in _YAML_SUFFIXES)


def load_program_dir(path: Path | str, *, stack: str = DEFAULT_STACK) -> Program:
    """A Pulumi Python project directory (or a single ``.py`` file) as a ``Program``.

    Running it runs the project's ``__main__.py`` (or the file ``main:`` in
    ``Pulumi.yaml`` names) as ``__main__``, with the directory first on ``sys.path`` and
    as the working directory; both are restored afterwards, and modules imported from
    the directory are forgotten. The project name comes from ``Pulumi.yaml``; the
    config from ``Pulumi.yaml``'s defaults and ``Pulumi.<stack>.yaml`` (encrypted values
    cannot be read offline and become ``"[secret]"`` secrets).
    """
    path = Path(path).resolve()
    if path.is_file():
        return Program(run=_program_runner(path.parent, path))
    project_file = path / "Pulumi.yaml"
    project: dict[str, Any] = read_yaml_mapping(project_file) if project_file.is_file() else {}
    runtime = project.get("runtime", "python")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise OmeMcpError(
            str(project_file), f"runtime {runtime_name!r}: only Python programs run offline"
        )
    main = path / str(project.get("main", "."))
    entry = main / "__main__.py" if main.is_dir() else main
    if not entry.is_file():
        raise OmeMcpError(str(path), f"no program to run: {entry} does not exist")
    name = project.get("name")
    config, secrets = stack_config(path, stack, project)
    return Program(
        run=_program_runner(path, entry),
        project=str(name) if name else None,
        config=config,
        secret_config_keys=frozenset(secrets),
    )


def _program_runner(directory: Path, entry: Path) -> Callable[[], object]:
    def run() -> object:
        with _program_environment(directory):
            return runpy.run_path(str(entry), run_name="__main__")

    return run


@contextlib.contextmanager
def _program_environment(directory: Path) -> Iterator[None]:
    cwd, path, modules = os.getcwd(), list(sys.path), set(sys.modules)
    sys.path.insert(0, str(directory))
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path[:] = path
        for name in set(sys.modules) - modules:
            file = getattr(sys.modules[name], "__file__", None) or ""
            if Path(file).resolve().is_relative_to(directory):
                del sys.modules[name]
