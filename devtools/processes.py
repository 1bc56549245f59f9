"""Detached processes for ``devtools/cluster.py``: started in a session of their own (so
they outlive the Python process that started them and stop as a group), their output
appended to a log file, watched by pid.

- ``spawn(argv, env, log)``: start ``argv`` with stdin from /dev/null and stdout and
  stderr appended to ``log`` (after a header line with the time and the command);
- ``alive(pid)``, ``runs(pid, binary)``: whether it runs (``runs`` also checks that the
  pid was not recycled by another program, from ``/proc``);
- ``exit_note(pid)``: " (exit code 3)" for a child of ours that has exited, for messages;
- ``terminate(pids, timeout)``: SIGTERM to each process group, SIGKILL after ``timeout``;
- ``free_port(preferred)``, ``tail(path)``.

``posix_spawn`` rather than ``subprocess.Popen``: a ``Popen`` whose child outlives it
warns, and these children are meant to.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

LOOPBACK = "127.0.0.1"
#: A log grown past this is moved aside (``<name>.log.1``) at the next start.
LOG_LIMIT = 64 * 2**20

#: Exit statuses of the children this process reaped (pid -> wait status).
_reaped: dict[int, int] = {}


def free_port(preferred: int | None = None) -> int:
    """``preferred`` if it can be bound on loopback (with SO_REUSEADDR, as Go listens),
    else a port the kernel picks."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((LOOPBACK, port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise OSError(f"no free TCP port on {LOOPBACK}")


def spawn(argv: Sequence[str], env: Mapping[str, str], log: Path) -> int:
    """Start ``argv`` (``argv[0]`` an absolute path) detached; returns its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    if log.exists() and log.stat().st_size > LOG_LIMIT:
        log.replace(log.with_suffix(".log.1"))
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    with log.open("a") as out:
        out.write(f"\n=== {stamp} {' '.join(argv)}\n")
    pid = os.posix_spawn(argv[0], list(argv), dict(env), setsid=True, file_actions=[
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ])
    _reaped.pop(pid, None)
    return pid


def _reap(pid: int) -> bool:
    """Collect ``pid``'s exit status if it is a child of ours that has exited."""
    with contextlib.suppress(ChildProcessError):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            _reaped[pid] = status
            return True
    return False


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie child is reaped and counts as dead)."""
    if _reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill(0)
    if stat.rsplit(")", 1)[-1].split()[0] in {"Z", "X"}:
        _reap(pid)  # it exited since the first look
        return False
    return True


def runs(pid: int, binary: str) -> bool:
    """Whether ``pid`` runs ``binary``, directly or as a script's interpreter (guards
    against a recycled pid in a stale pid file)."""
    if not alive(pid):
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True
    return binary.encode() in argv[:2]


def exit_note(pid: int) -> str:
    """How a child of ours ended, as " (exit code N)", or "" if unknown."""
    status = _reaped.get(pid)
    if status is None:
        return ""
    if os.WIFSIGNALED(status):
        return f" (killed by signal {os.WTERMSIG(status)})"
    return f" (exit code {os.waitstatus_to_exitcode(status)})"


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:  # leads a session of its own: signal the group
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _wait_gone(pids: Iterable[int], timeout: float) -> list[int]:
    """Wait up to ``timeout`` seconds for ``pids`` to end; returns those still running."""
    deadline = time.monotonic() + timeout
    left = list(pids)
    while True:
        left = [p for p in left if alive(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def terminate(pids: Iterable[int], timeout: float) -> list[int]:
    """SIGTERM to each pid's process group; SIGKILL to those still there after
    ``timeout`` seconds. Returns the pids that had to be killed."""
    pids = list(pids)
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    stubborn = _wait_gone(pids, timeout)
    for pid in stubborn:
        _signal_group(pid, signal.SIGKILL)
    _wait_gone(stubborn, 10)
    return stubborn
