"""``run_program``: run a Pulumi program in-process under the recording monitor.

The program runs the way Pulumi's language host runs it (inside a
``pulumi:pulumi:Stack``, ``preview=False``), in a copy of the caller's ``contextvars``
context, with its own event loop and freshly reset Pulumi settings, so runs in one
process do not see each other. Exceptions raised by the program (or by the offline
cluster) leave ``run_program`` unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import os
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ome_mcp_components import sdk_internals
from ome_mcp_components.components import registry
from ome_mcp_components.offline.engine.cluster import ConfigMapData, OfflineCluster
from ome_mcp_components.offline.engine.monitor import RecordingEngine, RecordingMonitor
from ome_mcp_components.offline.engine.programs import Program
from ome_mcp_components.offline.engine.project import DEFAULT_PROJECT, DEFAULT_STACK, qualify
from ome_mcp_components.offline.recording import Recording

_ORGANIZATION = "organization"

_SETTLE_SECONDS = 0.5
"""How long tasks left after a run (log lines about resources) get to finish."""


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
        config={qualify(project, k): v for k, v in (config or {}).items()},
        secret_keys=sorted(qualify(project, k) for k in secret_config_keys),
        cluster={key: dict(data) for key, data in (cluster_config_maps or {}).items()},
    )
    try:
        contextvars.copy_context().run(run.execute, program)
    except Exception as error:
        original = sdk_internals.unwrap_processing_error(error)
        if original is error:
            raise
        raise original.with_traceback(original.__traceback__) from None
    return run.recording


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
        monitor = RecordingMonitor(OfflineCluster(self.cluster), self.recording)
        sdk_internals.reset_runtime(
            project=self.project,
            stack=self.stack,
            root_directory=os.getcwd(),
            preview=False,
            organization=_ORGANIZATION,
        )
        sdk_internals.install_mock_runtime(
            monitor=monitor,
            engine=RecordingEngine(self.recording),
            project=self.project,
            stack=self.stack,
            organization=_ORGANIZATION,
            config=self.config,
            secret_keys=self.secret_keys,
        )

        async def entrypoint() -> None:
            registry.track()  # the package may have been imported by an earlier run
            result = program()
            if isinstance(result, Awaitable):
                await result

        loop = asyncio.new_event_loop()
        loop.set_default_executor(_InlineExecutor())
        loop.set_exception_handler(_ignore_unretrieved_exceptions)
        try:
            with _fewer_collections():
                loop.run_until_complete(sdk_internals.run_in_stack(entrypoint))
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
