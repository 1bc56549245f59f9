"""What the benchmarks run: the server spec, the two programs compared, and the worker.

``server_spec(i)`` is a fully configured hosted server (streamable-http, two replicas,
inline OIDC, inline Cedar, an inline permission profile with CIDRs and a port, a
secret and an environment variable). Server ``i`` has its own audience and one Cedar
policy of its own next to one every server shares, as in a real stack.

The contenders of the component-overhead figure:

* ``component``: ``MCPServer`` components, one per server;
* ``baseline``: the very same Kubernetes objects registered directly with the
  pulumi-kubernetes classes, no component. The objects come from ``builders.render``
  and are computed *before* the clock starts, so the baseline pays for registering
  them only;
* ``bare-component``: the same pre-rendered objects as children of a component that
  does nothing else (no inputs, no outputs): what Pulumi itself charges for wrapping
  objects in a component, which no component can go below;
* ``interface``: the bare component given ``MCPServer``'s interface, with every value
  computed before the clock starts: the very inputs ``MCPServer`` records, and its five
  outputs (four plain values, and a status that waits for the two workloads' live status
  and returns the precomputed value). What Pulumi charges any component with that
  interface; ``component/interface`` is the cost of our own code.

``python bench/run.py --worker CONTENDER N`` runs one contender in a fresh process under
the offline engine and prints one JSON line (times, memory, counts); ``run.py`` starts
one such process per measurement, so that each has honest peak-memory figures.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import pickle
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi

from ome_mcp_components import MCPServer, builders
from ome_mcp_components.components import resources
from ome_mcp_components.components.status import Workload, server_status
from ome_mcp_components.offline.engine import run_program
from ome_mcp_components.offline.recording import Recording
from ome_mcp_components.plan.resolve import plan_server

NAMESPACE = "tools"
CONTENDERS = ("component", "bare-component", "interface", "baseline")


def server_name(i: int) -> str:
    """Name of server ``i``."""
    return f"mcp-{i:04d}"


def server_spec(i: int) -> dict[str, Any]:
    """A fully configured hosted server spec (the OEP's camelCase)."""
    return {
        "image": "registry.example.com/tools/postgres-mcp:1.4.2",
        "transport": "streamable-http",
        "replicas": 2,
        "port": 8080,
        "targetPort": 9000,
        "args": ["--read-only"],
        "env": [{"name": "LOG_LEVEL", "value": "info"}],
        "secrets": [{"name": "db-credentials", "key": "password", "targetEnvName": "PGPASSWORD"}],
        "permissionProfile": {"type": "inline", "inline": {
            "read": ["/etc/ssl/certs"],
            "write": ["/var/cache/mcp"],
            "network": {"outbound": {
                "allowHost": ["10.20.0.0/16", "192.168.7.10"], "allowPort": [5432]}},
        }},
        "oidcConfig": {"type": "inline", "inline": {
            "issuer": "https://idp.example.com/realms/platform",
            "audience": f"mcp-{i:04d}",
        }},
        "authzConfig": {"type": "inline", "inline": {"policies": [
            'permit(principal in Group::"analysts", action == Action::"call_tool", '
            'resource);',
            f'permit(principal, action == Action::"call_tool", resource == Tool::"query_{i}");',
        ]}},
        "toolsFilter": ["query", f"query_{i}"],
    }


def server_args(i: int) -> dict[str, Any]:
    """The ``MCPServer`` arguments of server ``i``."""
    return {"metadata": {"namespace": NAMESPACE}, "spec": server_spec(i)}


def rendered(n: int) -> list[list[dict[str, Any]]]:
    """The manifests of servers ``0 .. n-1``, each server's in apply order."""
    return [builders.render(plan_server("MCPServer", server_name(i), server_args(i)).context())
            for i in range(n)]


def component_program(n: int) -> Callable[[], None]:
    """A program of ``n`` MCPServer components."""

    def program() -> None:
        for i in range(n):
            MCPServer(server_name(i), server_args(i))

    return program


def baseline_program(objects: list[list[dict[str, Any]]]) -> Callable[[], None]:
    """A program registering ``objects`` directly with pulumi-kubernetes classes."""

    def program() -> None:
        for server in objects:
            for obj in server:
                resources.create(*_how(obj), None)

    return program


def _how(obj: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    """What ``resources.create`` (the components' own class lookup) takes for ``obj``.
    Contenders call ``create`` themselves, as the component does, so that their
    children sit as deep in the stack as the component's: Pulumi records every frame of
    it for each resource."""
    name = f"{obj['metadata']['name']}-{obj['kind'].lower()}"
    return name, obj["apiVersion"], obj["kind"], resources.fields(obj)


class BareComponent(pulumi.ComponentResource):
    """A component holding pre-rendered objects, and nothing else."""

    def __init__(self, name: str, objects: list[dict[str, Any]]) -> None:
        super().__init__("bench:index:BareComponent", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        for obj in objects:
            resources.create(*_how(obj), child)
        self.register_outputs({})


def bare_component_program(objects: list[list[dict[str, Any]]]) -> Callable[[], None]:
    """A program of one ``BareComponent`` per server, holding its objects."""

    def program() -> None:
        for i, server in enumerate(objects):
            BareComponent(server_name(i), server)

    return program


class InterfaceComponent(pulumi.ComponentResource):
    """A bare component with MCPServer's inputs and outputs, all precomputed: the same
    inputs, the same registered outputs (the four plain values and the status), and the
    same attributes (outputs made when read, the status an output of the workloads')."""

    def __init__(self, name: str, server: dict[str, Any]) -> None:
        super().__init__("bench:index:InterfaceComponent", name, server["props"], None)
        self._server = server
        child = pulumi.ResourceOptions(parent=self)
        created = [(obj["kind"], resources.create(*_how(obj), child))
                   for obj in server["objects"]]
        workloads = [r for kind, r in created if kind in ("Deployment", "StatefulSet")]
        value = server["status"]
        self.status = pulumi.Output.all(*(w.status for w in workloads)).apply(  # type: ignore[attr-defined]
            lambda _: value)
        self.register_outputs({
            "url": server["url"], "namespace": NAMESPACE,
            "service_name": server["service_name"],
            "service_account_name": server["service_account_name"], "status": self.status,
        })

    @functools.cached_property
    def url(self) -> pulumi.Output[str]:
        return pulumi.Output.from_input(self._server["url"])

    @functools.cached_property
    def namespace(self) -> pulumi.Output[str]:
        return pulumi.Output.from_input(NAMESPACE)

    @functools.cached_property
    def service_name(self) -> pulumi.Output[str]:
        return pulumi.Output.from_input(self._server["service_name"])

    @functools.cached_property
    def service_account_name(self) -> pulumi.Output[str]:
        return pulumi.Output.from_input(self._server["service_account_name"])


def interfaces(n: int) -> list[dict[str, Any]]:
    """What ``InterfaceComponent`` needs of servers ``0 .. n-1``, computed now."""
    servers = []
    for i in range(n):
        plan = plan_server("MCPServer", server_name(i), server_args(i))
        context = plan.context()
        objects = builders.render(context)
        workloads = [Workload("server" if o["metadata"]["name"] == plan.name else "gateway",
                              o["kind"], NAMESPACE, o["metadata"]["name"],
                              int(o["spec"].get("replicas", 1)))
                     for o in objects if o["kind"] in ("Deployment", "StatefulSet")]
        servers.append({
            "props": plan.props(), "objects": objects, "url": context.url,
            "service_name": context.service_name,
            "service_account_name": context.service_account_name,
            "status": server_status(context.url, workloads),
        })
    return servers


def interface_program(servers: list[dict[str, Any]]) -> Callable[[], None]:
    """A program of one ``InterfaceComponent`` per server."""

    def program() -> None:
        for i, server in enumerate(servers):
            InterfaceComponent(server_name(i), server)

    return program


def _nothing() -> None:
    """A program that registers nothing."""


def _rss_kib() -> int:
    """Resident memory now, in KiB (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() // 1024


def digest(recording: Recording) -> str:
    """sha256 of the Kubernetes objects a run registered (order and content)."""
    text = json.dumps(recording.kubernetes_objects(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def prepare(contender: str, n: int, *, noop: bool = False) -> Callable[[], None]:
    """The program of one contender over ``n`` servers, with everything it computes before
    the clock done now. ``noop``: that same work, then a program that registers nothing
    (what ``instructions.py`` subtracts)."""
    if contender == "component":
        program = component_program(n)
    elif contender == "baseline":
        program = baseline_program(rendered(n))  # computed before the clock starts
    elif contender == "bare-component":
        program = bare_component_program(rendered(n))
    elif contender == "interface":
        program = interface_program(interfaces(n))
    else:
        raise ValueError(f"unknown contender {contender!r} (one of {', '.join(CONTENDERS)})")
    if not noop:
        return program
    if contender == "component":  # the others warmed the same caches rendering
        rendered(1)
    return _nothing


def work(contender: str, n: int, dump: Path | None = None) -> dict[str, Any]:
    """Run one contender over ``n`` servers; what the run cost and registered."""
    program = prepare(contender, n)
    gc.collect()
    rss_before = _rss_kib()
    wall, cpu = time.perf_counter(), time.process_time()
    recording = run_program(program)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    if dump is not None:
        with dump.open("wb") as out:
            pickle.dump(recording, out)
    return {
        "contender": contender,
        "n": n,
        "wall": wall,
        "cpu": cpu,
        "rss_before_kib": rss_before,
        "peak_rss_kib": peak,
        "resources": len(recording.resources),
        "objects": len(recording.kubernetes_objects()),
        "warnings": len(recording.warnings),
        "digest": digest(recording),
    }
