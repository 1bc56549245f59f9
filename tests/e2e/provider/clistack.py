"""A Pulumi project of another language run by the real ``pulumi`` CLI, as its user runs it.

``CliProject(source, workdir, env)`` copies the project's top-level files, creates stack
``e2e`` on the file backend, and runs ``pulumi preview|up|destroy --non-interactive`` in
it; each run's engine events (``--event-log``, which the CLI offers with
``PULUMI_DEBUG_COMMANDS``) give its steps and the policy packs' verdicts, as the
Automation API reads them for ``devtools.pulumi_driver``. ``outputs()`` and
``resources()`` read the stack (``pulumi stack output``, ``pulumi stack export``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class CliResult:
    ok: bool
    text: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def steps(self) -> list[tuple[str, str, str]]:
        """(op, type, name) of every resource step the engine planned."""
        return [(e["metadata"]["op"], e["metadata"]["type"], e["metadata"]["urn"].split("::")[-1])
                for e in (ev.get("resourcePreEvent") for ev in self.events) if e]

    def verdicts(self, pack: str) -> set[tuple[str, str, str, str]]:
        """(level, policy, resource type, resource name) of each violation ``pack`` found."""
        found = set()
        for event in (ev.get("policyEvent") for ev in self.events):
            if not event or event.get("policyPackName") != pack:
                continue
            urn = event.get("resourceUrn") or ""
            kind, name = (urn.split("::")[-2].split("$")[-1], urn.split("::")[-1]) if urn \
                else ("", "")
            found.add((event["enforcementLevel"], event["policyName"], kind, name))
        return found


@dataclass
class CliProject:
    source: Path
    workdir: Path
    env: dict[str, str]
    stack: str = "e2e"

    def __post_init__(self) -> None:
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.workdir.mkdir(parents=True)
        for path in self.source.iterdir():
            if path.is_file():
                shutil.copy2(path, self.workdir / path.name)
        self._pulumi("stack", "init", self.stack, check=True)

    @property
    def program(self) -> Path:
        return self.workdir / "Pulumi.yaml"

    def _pulumi(self, *args: str, check: bool = False, timeout: float = 600
                ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(Path(self.env["OME_MCP_TOOLCHAIN"]) / "pulumi"), *args,
                               "--non-interactive"], cwd=self.workdir, env=self.env,
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check:
            assert done.returncode == 0, f"pulumi {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done

    def run(self, operation: str, *extra: str) -> CliResult:
        log = self.workdir / f".events-{operation}.jsonl"
        log.unlink(missing_ok=True)
        args = [operation, "-s", self.stack, "--color", "never", "--event-log", str(log), *extra]
        if operation in ("up", "destroy"):
            args.append("--yes")
        done = self._pulumi(*args)
        events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()] \
            if log.exists() else []
        return CliResult(done.returncode == 0, done.stdout + done.stderr, events)

    def preview(self, *, policy_packs: Sequence[Path] = (), expect_no_changes: bool = False
                ) -> CliResult:
        extra = [a for pack in policy_packs for a in ("--policy-pack", str(pack))]
        return self.run("preview", *extra, *(["--expect-no-changes"] if expect_no_changes
                                              else []))

    def up(self) -> CliResult:
        return self.run("up")

    def destroy(self) -> CliResult:
        return self.run("destroy")

    def outputs(self) -> dict[str, Any]:
        done = self._pulumi("stack", "output", "-s", self.stack, "--json", check=True)
        return dict(json.loads(done.stdout))

    def resources(self) -> list[dict[str, Any]]:
        """The stack's resources as ``pulumi stack export`` writes them."""
        done = self._pulumi("stack", "export", "-s", self.stack, check=True)
        return list(json.loads(done.stdout)["deployment"].get("resources") or [])
