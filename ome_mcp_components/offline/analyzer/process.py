"""The pack's process, started as the CLI starts a Python pack: ``python -u -m
pulumi.policy <engine-address> <pack-dir>`` with the pack directory as working
directory. It prints the port of its ``pulumirpc.Analyzer`` server on its first line;
its standard error goes to the log."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ome_mcp_components.offline.analyzer.results import PolicyPackError

#: Seconds to wait for the pack to print its port.
START_TIMEOUT = 30.0
#: Seconds to wait for the pack to exit after SIGTERM before killing it.
STOP_TIMEOUT = 5.0


class PackProcess:
    """One running pack; ``start`` returns its port, ``stop`` ends it (idempotent).

    ``fail(message)`` makes the error raised when it does not start, so that the message
    carries the session's log tail.
    """

    def __init__(self, pack_dir: Path, *, stack: str, project: str,
                 log_line: Callable[[bytes], None],
                 fail: Callable[[str], PolicyPackError]) -> None:
        self._pack_dir = pack_dir
        self._env = {**os.environ, "PULUMI_PROJECT": project, "PULUMI_STACK": stack,
                     "PULUMI_DRY_RUN": "true", "PULUMI_CONFIG": "{}"}
        self._log_line = log_line
        self._fail = fail
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, engine_address: str) -> int:
        """Start the pack against ``engine_address``; the port it serves on."""
        process = self._process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", engine_address, str(self._pack_dir)],
            cwd=self._pack_dir, env=self._env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        lines: queue.Queue[bytes] = queue.Queue()
        assert process.stdout is not None
        assert process.stderr is not None
        threading.Thread(target=_pump, args=(process.stdout, lines.put), daemon=True).start()
        stderr = threading.Thread(target=_pump, args=(process.stderr, self._log_line),
                                  daemon=True)
        stderr.start()
        try:
            first = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            raise self._fail(f"printed no port within {START_TIMEOUT:.0f} s") from None
        try:
            return int(first.strip())
        except ValueError:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_TIMEOUT)
            stderr.join(timeout=STOP_TIMEOUT)
            raise self._fail(f"did not start (exit code {process.poll()}; it printed "
                             f"{first!r} instead of a port)") from None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after ``STOP_TIMEOUT`` seconds."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _pump(stream: Any, sink: Callable[[bytes], None]) -> None:
    """Hand each line of ``stream`` to ``sink``, then ``b""`` at end of file."""
    for line in iter(stream.readline, b""):
        sink(line)
    sink(b"")
    stream.close()
