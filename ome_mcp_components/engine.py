"""Runs a Pulumi program in-process against a recording mock monitor: no CLI, no cluster.

``run_program(program)`` installs Pulumi's mocks with a ``MockMonitor`` subclass that
writes down every resource registration (type, name, parent, inputs, dependencies,
provider) and every read, runs the program the way Pulumi's language host does (inside
a ``pulumi:pulumi:Stack``, ``preview=False``), and returns a ``Recording``.

The offline "cluster" behind the monitor:

- a managed resource gets its inputs back as outputs (``metadata.name`` is not
  auto-named, so programs should name their objects);
- ``ConfigMap.get(name, "ns/name")`` is answered from ``cluster_config_maps``; a
  ConfigMap not held there is a ``ConfigReferenceError``; other reads get an object
  holding only their metadata;
- provider functions (invokes) cannot be answered and raise ``OmeMcpError``;
- ``transforms`` (resource and stack) are not run, and a warning says so; the older
  ``transformations`` run in the SDK and do apply.

Recorded values are plain data: secrets are ``"[secret]"``, unknowns ``"[unknown]"``,
resource references their URN, and the floats Pulumi's wire format makes of whole
numbers are ``int`` again. Every run happens in a copy of the caller's ``contextvars``
context, with its own event loop and freshly reset Pulumi settings, so runs in one
process do not see each other. Exceptions raised by the program (or by the offline
cluster) leave ``run_program`` unchanged.

``load_program_dir``, ``load_paths`` and ``load_cluster_state`` turn what the CLI is
given (a Pulumi project directory, OME YAML manifests, a cluster-state file) into a
``Program`` and ConfigMap data for ``run_program``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import json
import os
import runpy
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import struct_pb2  # type: ignore[import-untyped, unused-ignore]
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import engine_pb2, resource_pb2
from pulumi.runtime.stack import run_in_stack

from ome_mcp_components.errors import ConfigReferenceError, ManifestError, OmeMcpError
from ome_mcp_components.recording import RecordedResource, Recording

SECRET = "[secret]"
"""What a secret value is recorded as: its clear text never reaches a recording."""

UNKNOWN = "[unknown]"
"""What a value that is not known at deployment time is recorded as."""

DEFAULT_PROJECT = "ome-mcp"
DEFAULT_STACK = "dev"
_ORGANIZATION = "organization"
_STACK_TYPE = "pulumi:pulumi:Stack"
_CONFIG_MAP_TYPE = "kubernetes:core/v1:ConfigMap"

# Constants of Pulumi's property wire format (the same in every language SDK).
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

_SETTLE_SECONDS = 0.5
"""How long tasks left after a run (log lines about resources) get to finish."""

_NO_TRANSFORMS = (
    "transforms are not applied offline; the recorded inputs are the untransformed ones"
)

_LOG_LEVELS = {
    engine_pb2.INFO: "info",
    engine_pb2.WARNING: "warning",
    engine_pb2.ERROR: "error",
}

ConfigMapData = Mapping[tuple[str, str], Mapping[str, str]]
"""ConfigMaps that exist in the cluster: ``(namespace, name) -> data``."""


# --------------------------------------------------------------------------- running


def run_program(
    program: Callable[[], object],
    *,
    cluster_config_maps: ConfigMapData | None = None,
    project: str | None = None,
    stack: str = DEFAULT_STACK,
    config: Mapping[str, str] | None = None,
    secret_config_keys: Iterable[str] = (),
) -> Recording:
    """Run ``program`` under the recording monitor and return what it registered.

    ``project`` defaults to the program's own project name when ``program`` is a
    ``Program`` that has one, else ``"ome-mcp"``. ``config`` holds Pulumi config values
    (``"key"`` means ``"<project>:key"``), laid over a ``Program``'s own stack config;
    keys in ``secret_config_keys`` read as secrets. Whatever the program raises is
    raised here, as the same exception object.
    """
    if isinstance(program, Program):
        project = project or program.project
        config = {**program.config, **(config or {})}
        secret_config_keys = {*program.secret_config_keys, *secret_config_keys}
    project = project or DEFAULT_PROJECT
    run = _Run(
        project=project,
        stack=stack,
        config={_qualify(project, k): v for k, v in (config or {}).items()},
        secret_keys=sorted(_qualify(project, k) for k in secret_config_keys),
        cluster={key: dict(data) for key, data in (cluster_config_maps or {}).items()},
    )
    try:
        contextvars.copy_context().run(run.execute, program)
    except Exception as error:
        original = _unwrap(error)
        if original is error:
            raise
        raise original.with_traceback(original.__traceback__) from None
    return run.recording


def _unwrap(error: BaseException) -> BaseException:
    """The exception the program raised, out of the wrappers Pulumi puts around it.

    Pulumi re-raises an error met while serializing a resource's inputs as a new
    ``ValueError``/``AssertionError`` ("While processing input: ...", "While processing
    resource: ..."), chained to the original with ``from``; that may happen twice.
    """
    seen: set[int] = set()
    while (
        type(error) in (ValueError, AssertionError)
        and str(error).startswith("While processing ")
        and error.__cause__ is not None
        and id(error) not in seen
    ):
        seen.add(id(error))
        error = error.__cause__
    return error


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


@dataclass
class _Run:
    """One program run: its settings, its offline cluster and what it recorded."""

    project: str
    stack: str
    config: dict[str, str]
    secret_keys: list[str]
    cluster: dict[tuple[str, str], dict[str, str]]
    recording: Recording = field(default_factory=Recording)

    def execute(self, program: Callable[[], object]) -> None:
        """Configure Pulumi's runtime in the current context and run ``program`` to the end."""
        monitor = _RecordingMonitor(_OfflineCluster(self.cluster), self.recording)
        pulumi_settings.reset_options(
            project=self.project,
            stack=self.stack,
            root_directory=os.getcwd(),
            preview=False,
            organization=_ORGANIZATION,
        )
        # What set_mocks does, minus its eager Stack: run_in_stack below makes the
        # Stack, so that stack outputs are registered after the program has run.
        pulumi_settings.configure(
            pulumi_mocks.MockSettings(  # type: ignore[no-untyped-call]
                monitor=monitor,
                engine=_RecordingEngine(self.recording),
                project=self.project,
                stack=self.stack,
                dry_run=False,
                organization=_ORGANIZATION,
                callbacks=None,
            )
        )
        set_all_config(self.config, self.secret_keys)

        async def entrypoint() -> None:
            result = program()
            if isinstance(result, Awaitable):
                await result

        loop = asyncio.new_event_loop()
        loop.set_default_executor(_InlineExecutor())
        loop.set_exception_handler(_ignore_unretrieved_exceptions)
        try:
            with _fewer_collections():
                loop.run_until_complete(run_in_stack(entrypoint))
        finally:
            _close(loop)


#: Garbage-collector thresholds while a program runs (Python's defaults: 700, 10, 10).
#: Pulumi allocates many short-lived futures and tasks per resource; at the defaults the
#: collector took about 40% of a run's CPU time, at these about 10%, for 1% more peak
#: memory (bench/README.md).
_GC_THRESHOLDS = (20_000, 20, 20)
_gc_lock = threading.Lock()
_gc_runs = 0
_gc_saved: tuple[int, int, int] = (700, 10, 10)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Raise the collector's thresholds while any run is in progress; restore them after."""
    global _gc_runs, _gc_saved
    with _gc_lock:
        if _gc_runs == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(*_GC_THRESHOLDS)
        _gc_runs += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_runs -= 1
            if _gc_runs == 0:
                gc.set_threshold(*_gc_saved)


class _InlineExecutor(ThreadPoolExecutor):
    """Runs each call at once on the calling thread.

    Pulumi sends every RPC through the loop's default executor. Run on worker threads,
    two registrations can reach the monitor in either order; run inline, they arrive
    in the order the program's tasks get there, which is the same on every run.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # handed to the awaiting task, which re-raises it
            future.set_exception(error)
        return future


def _ignore_unretrieved_exceptions(
    loop: asyncio.AbstractEventLoop, context: dict[str, Any]
) -> None:
    # When a program fails, every output that depended on the failure fails with it;
    # the first failure is raised by run_program, the copies need not be logged.
    if "never retrieved" not in str(context.get("message", "")):
        loop.default_exception_handler(context)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    # Left over after a run: log lines about a resource (they wait for its URN) and,
    # when the program failed, work that depended on the failure. Let the first kind
    # finish, then cancel what remains.
    pending = asyncio.all_tasks(loop)
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=_SETTLE_SECONDS))
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


# --------------------------------------------------------------------------- monitor


class _OfflineCluster(pulumi_mocks.Mocks):
    """What the monitor answers: inputs echoed back, reads served from known ConfigMaps."""

    def __init__(self, config_maps: Mapping[tuple[str, str], Mapping[str, str]]) -> None:
        self._config_maps = config_maps

    def new_resource(
        self, args: pulumi_mocks.MockResourceArgs
    ) -> tuple[str | None, dict[Any, Any]]:
        if args.resource_id and args.custom is None:  # a read: MockMonitor.ReadResource
            return args.resource_id, self._read(args.typ, args.resource_id)
        return _resource_id(args.name, args.typ, args.inputs), dict(args.inputs)

    def call(
        self, args: pulumi_mocks.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        raise OmeMcpError(
            f"function {args.token}",
            "provider functions cannot be answered offline; ome-mcp renders programs "
            "that only declare resources",
        )

    def _read(self, type_: str, resource_id: str) -> dict[str, Any]:
        namespace, _, name = resource_id.rpartition("/")
        if type_ != _CONFIG_MAP_TYPE:
            return {"metadata": {"name": name, **({"namespace": namespace} if namespace else {})}}
        namespace = namespace or "default"  # no namespace: the provider's default one
        metadata = {"name": name, "namespace": namespace}
        data = self._config_maps.get((namespace, name))
        if data is None:
            raise ConfigReferenceError(
                f"ConfigMap {namespace}/{name}",
                "the program reads this ConfigMap from the cluster, and no offline copy "
                "was given; pass a YAML file holding it with --cluster-state FILE "
                "(run_program: cluster_config_maps)",
            )
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": dict(data)}


def _resource_id(name: str, type_: str, inputs: Mapping[str, Any]) -> str:
    """The ID a provider would give: ``namespace/name`` for namespaced Kubernetes objects."""
    metadata = inputs.get("metadata")
    if type_.startswith("kubernetes:") and isinstance(metadata, dict) and "name" in metadata:
        namespace = metadata.get("namespace")
        return f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])
    return f"{name}-id"


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """A ``MockMonitor`` that records every registration and read, in arrival order.

    Responses echo the serialized inputs, so the program's outputs keep their secrets
    marked as secrets; the recording holds the plain (secret-free) form.
    """

    def __init__(self, cluster: _OfflineCluster, recording: Recording) -> None:
        super().__init__(cluster)
        self._recording = recording
        self._stack_urn = ""
        self._urns: set[str] = set()
        self._lock = threading.Lock()

    def RegisterResource(  # noqa: N802 (the gRPC method's name)
        self, request: resource_pb2.RegisterResourceRequest
    ) -> resource_pb2.RegisterResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = _plain_struct(request.object)
        if request.type == _STACK_TYPE:
            self._stack_urn = urn
        resource_id, _ = self.mocks.new_resource(
            pulumi_mocks.MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=inputs,
                provider=request.provider,
                resource_id=request.importId,
                custom=request.custom,
            )
        )
        self._record(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                inputs=inputs,
                custom=request.custom,
                provider=request.provider or None,
                dependencies=tuple(dict.fromkeys(request.dependencies)),
                property_dependencies={
                    key: tuple(request.propertyDependencies[key].urns)
                    for key in sorted(request.propertyDependencies)
                },
            )
        )
        if request.transforms:
            self._recording.warnings.append(
                f"warning: {request.type} ({request.name}): {_NO_TRANSFORMS}"
            )
        if request.type == _STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=(resource_id or "") if request.custom else "", object=request.object
        )

    def ReadResource(  # noqa: N802 (the gRPC method's name)
        self, request: resource_pb2.ReadResourceRequest
    ) -> resource_pb2.ReadResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        _, state = self.mocks.new_resource(
            pulumi_mocks.MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=_plain_struct(request.properties),
                provider=request.provider,
                resource_id=request.id,
            )
        )
        self._record(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                inputs=state,
                custom=True,
                read=True,
                provider=request.provider or None,
            )
        )
        properties = struct_pb2.Struct()
        properties.update(state)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=properties)

    def RegisterStackTransform(  # noqa: N802 (the gRPC method's name)
        self, request: Any
    ) -> Any:
        self._recording.warnings.append(f"warning: stack transform: {_NO_TRANSFORMS}")
        return super().RegisterStackTransform(request)  # type: ignore[no-untyped-call]

    def RegisterResourceOutputs(  # noqa: N802 (the gRPC method's name)
        self, request: resource_pb2.RegisterResourceOutputsRequest
    ) -> Any:
        if request.urn == self._stack_urn:
            self._recording.outputs = _plain_struct(request.outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """Pulumi's URN: the parents' types (not the stack's) ``$``-joined before the type."""
        if parent and parent != self._stack_urn:
            type_ = f"{parent.split('::')[2]}${type_}"
        stack, project = pulumi_settings.get_stack(), pulumi_settings.get_project()
        return f"urn:pulumi:{stack}::{project}::{type_}::{name}"

    def _record(self, resource: RecordedResource) -> None:
        with self._lock:
            if resource.urn in self._urns:
                raise OmeMcpError(
                    f"{resource.type} '{resource.name}'",
                    f"duplicate resource URN {resource.urn}; give each resource a unique "
                    "name within its parent",
                )
            self._urns.add(resource.urn)
            self._recording.resources.append(resource)


class _RecordingEngine(pulumi_mocks.MockEngine):
    """Writes ``pulumi.log`` info, warning and error lines into the recording.

    A line about a resource names it: ``warning: <type> (<name>): <message>``.
    """

    def __init__(self, recording: Recording) -> None:
        super().__init__(None)
        self._recording = recording

    def Log(self, request: engine_pb2.LogRequest) -> None:  # noqa: N802 (the gRPC method)
        level = _LOG_LEVELS.get(request.severity)
        if level is None:  # debug lines: Pulumi's own tracing
            return
        if request.urn:
            type_, name = _type_and_name(request.urn)
            self._recording.warnings.append(f"{level}: {type_} ({name}): {request.message}")
        else:
            self._recording.warnings.append(f"{level}: {request.message}")


def _type_and_name(urn: str) -> tuple[str, str]:
    """The resource type and name a URN ``urn:pulumi:<stack>::<project>::<types>::<name>`` holds."""
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return "", urn
    return parts[2].rsplit("$", 1)[-1], parts[3]


# --------------------------------------------------------------------------- values


def _plain_struct(struct: struct_pb2.Struct) -> Any:
    """A wire-format ``Struct`` as plain data (see the module docstring for special values)."""
    fields = struct.fields
    if _SIG_KEY in fields:
        signature = fields[_SIG_KEY].string_value
        if signature == _SECRET_SIG:
            return SECRET
        if signature == _RESOURCE_SIG:
            return fields["urn"].string_value
        if signature == _OUTPUT_VALUE_SIG:
            if "secret" in fields and fields["secret"].bool_value:
                return SECRET
            return _plain_value(fields["value"]) if "value" in fields else UNKNOWN
    return {
        key: _plain_value(fields[key])
        for key in sorted(fields)
        if key != _SIG_KEY and fields[key].WhichOneof("kind") != "null_value"
    }


def _plain_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return _plain_struct(value.struct_value)
    if kind == "list_value":
        return [_plain_value(item) for item in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() else number
    if kind == "string_value":
        return UNKNOWN if value.string_value == _UNKNOWN_WIRE else value.string_value
    if kind == "bool_value":
        return value.bool_value
    return None


# --------------------------------------------------------------------------- loading


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
        if path.is_file() and path.suffix not in (".yaml", ".yml"):
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
    return (p for p in sorted(directory.rglob("*")) if p.suffix in (".yaml", ".yml"))


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
    project: dict[str, Any] = _read_yaml_mapping(project_file) if project_file.is_file() else {}
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
    config, secrets = _stack_config(path, stack, project)
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


def _stack_config(
    directory: Path, stack: str, project: Mapping[str, Any]
) -> tuple[dict[str, str], set[str]]:
    """Config values of the project's defaults and ``Pulumi.<stack>.yaml``, as strings."""
    name = str(project.get("name", DEFAULT_PROJECT))
    values: dict[str, Any] = {}
    for key, spec in (project.get("config") or {}).items():
        if isinstance(spec, dict):
            if "value" in spec or "default" in spec:
                values[_qualify(name, key)] = spec.get("value", spec.get("default"))
        else:
            values[_qualify(name, key)] = spec
    stack_file = directory / f"Pulumi.{stack}.yaml"
    if stack_file.is_file():
        stack_config = _read_yaml_mapping(stack_file).get("config") or {}
        values.update({_qualify(name, k): v for k, v in stack_config.items()})
    config: dict[str, str] = {}
    secrets: set[str] = set()
    for key, value in values.items():
        if isinstance(value, dict) and "secure" in value:
            config[key] = SECRET
            secrets.add(key)
        elif isinstance(value, str):
            config[key] = value
        else:
            config[key] = json.dumps(value)
    return config, secrets


def load_cluster_state(path: Path | str) -> dict[tuple[str, str], dict[str, str]]:
    """The ConfigMaps of a cluster-state YAML file: ``(namespace, name) -> data``.

    The file holds YAML documents: ConfigMaps, or ``List`` objects of them (what
    ``kubectl get configmap -o yaml`` prints). Objects of other kinds are skipped;
    a ConfigMap without a namespace is in ``default``.
    """
    path = Path(path)
    where = f"cluster state {path}"
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise ManifestError(where, f"cannot be read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise ManifestError(where, f"is not valid YAML: {error}") from error
    config_maps: dict[tuple[str, str], dict[str, str]] = {}
    for index, document in enumerate(_objects(documents, where)):
        if document.get("kind") != "ConfigMap":
            continue
        metadata = document.get("metadata")
        if not isinstance(metadata, dict) or not metadata.get("name"):
            raise ManifestError(where, f"object {index + 1}: a ConfigMap needs metadata.name")
        data = document.get("data") or {}
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ManifestError(
                f"{where}: ConfigMap {metadata['name']}", "data must map keys to strings"
            )
        key = (str(metadata.get("namespace") or "default"), str(metadata["name"]))
        config_maps[key] = {str(k): v for k, v in data.items()}
    return config_maps


def _objects(documents: Iterable[object], where: str) -> Iterator[dict[str, Any]]:
    for number, document in enumerate(documents, start=1):
        if document is None:
            continue
        if not isinstance(document, dict):
            raise ManifestError(where, f"document {number} is not a mapping")
        if document.get("kind", "").endswith("List") and isinstance(document.get("items"), list):
            yield from _objects(document["items"], where)
        else:
            yield document


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise OmeMcpError(str(path), f"cannot be read: {error}") from error
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise OmeMcpError(str(path), "is not a YAML mapping")
    return loaded
