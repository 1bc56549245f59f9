"""Fixtures of the real-gateway tier (marker ``gateway``): ToolHive's proxy runner built
from the pinned Go module, started from the config the components render, in front of a
real MCP server, with a real issuer and a real MCP client.

- ``runner_binary``: ``thv-proxyrunner`` from the toolchain (``$OME_MCP_TOOLCHAIN``, set
  by ``python3 dev.py test``, else ``devtools.toolchain.ensure()``, which builds it);
- ``issuer`` / ``other_issuer``: two OIDC issuers on loopback (``gateway_issuer``), each
  with its own key, sharing one test CA (``test_ca``);
- ``backends``: the MCP server (``gateway_backend``) over each transport, one process each;
- ``start_gateway(spec, transport=...)``: renders ``spec`` through the components, starts
  the runner with it (``gateway_harness``) and stops it after the test.

Every server listens on 127.0.0.1 on a free port and is stopped by the fixture that
started it.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import gateway_cluster
import pytest
from gateway_apiserver import RecordingAPIServer
from gateway_client import TRANSPORTS, Transport
from gateway_harness import Gateway, render
from gateway_issuer import Issuer, TestCA

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BACKEND = HERE / "gateway_backend.py"
BACKEND_START_TIMEOUT = 30.0
NAME, NAMESPACE = "demo", "tools"
#: What the specs name as their issuer and audience; the issuer is rewritten to loopback.
RENDERED_ISSUER = "https://auth.company.com"
AUDIENCE = "mcp-tools"
IMAGE = "ghcr.io/acme/tools:1.2.3"
TARGET_PORT = 3000


def toolchain() -> ModuleType:
    """``devtools.toolchain`` (the repository root is on ``sys.path`` under ``python -m
    pytest``; made sure of for other ways of starting pytest)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("devtools.toolchain")


def toolchain_bin() -> Path:
    """The toolchain's bin directory: ``$OME_MCP_TOOLCHAIN`` as ``dev.py test`` sets it,
    else ``ensure()`` (which builds what is missing)."""
    module = toolchain()
    directory = os.environ.get(module.ENV_VAR)
    return Path(directory) if directory else Path(module.ensure(quiet=True))


@pytest.fixture(scope="session")
def runner_binary() -> Path:
    binary = toolchain_bin() / "thv-proxyrunner"
    assert binary.is_file(), f"{binary} is missing: run `python3 dev.py toolchain`"
    return binary


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def issuer(test_ca: TestCA) -> Iterator[Issuer]:
    server = Issuer(test_ca, name="issuer").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def other_issuer(test_ca: TestCA) -> Iterator[Issuer]:
    server = Issuer(test_ca, name="other-issuer").start()
    yield server
    server.stop()


class Backend:
    """One ``gateway_backend.py`` process."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.process = subprocess.Popen(
            [sys.executable, str(BACKEND), transport], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, cwd=HERE)
        self.port = self._read_port()
        # keep draining its output so the process never blocks on a full pipe
        threading.Thread(target=self._drain, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _read_port(self) -> int:
        found: list[int] = []
        assert self.process.stdout is not None
        stdout = self.process.stdout

        def read() -> None:
            for raw in stdout:
                line = raw.decode(errors="replace")
                if line.startswith("PORT "):
                    found.append(int(line.split()[1]))
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(BACKEND_START_TIMEOUT)
        if not found:
            self.stop()
            raise AssertionError(f"the {self.transport} MCP server did not start")
        return found[0]

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for _ in self.process.stdout:
            pass

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def backends() -> Iterator[dict[Transport, Backend]]:
    started: dict[Transport, Backend] = {}
    try:
        for transport in TRANSPORTS:
            started[transport] = Backend(transport)
        yield started
    finally:
        for backend in started.values():
            backend.stop()


def hosted_spec(transport: Transport, *, policies: list[str] | None = None,
                tools_filter: list[str] | None = None, oidc: dict[str, Any] | None = None,
                **extra: Any) -> dict[str, Any]:
    """A hosted server's spec (the OEP's camelCase) with inline OIDC of ``RENDERED_ISSUER``
    and, if given, inline Cedar policies and a tools filter."""
    spec: dict[str, Any] = {
        "image": IMAGE, "transport": transport, "targetPort": TARGET_PORT, "port": 8080,
        "oidcConfig": {"type": "inline", "inline": oidc or {
            "issuer": RENDERED_ISSUER, "audience": AUDIENCE,
            # the test issuer is on a loopback (private) address
            "jwksAllowPrivateIP": True}},
        **extra,
    }
    if policies is not None:
        spec["authzConfig"] = {"type": "inline", "inline": {"policies": policies}}
    if tools_filter is not None:
        spec["toolsFilter"] = tools_filter
    return spec


def backend_service_url(transport: Transport) -> str:
    """What the components render as the gateway's upstream for a hosted server."""
    return f"http://{NAME}-backend.{NAMESPACE}.svc.cluster.local:{TARGET_PORT}"


class Launcher:
    """Starts gateways from specs (see ``start_gateway``) and stops them with ``stop_all``."""

    def __init__(self, binary: Path, issuer: Issuer, ca: TestCA,
                 backends: Mapping[Transport, Backend], directory: Path) -> None:
        self.binary, self.issuer, self.ca, self.backends = binary, issuer, ca, backends
        self.directory = directory
        self.started: list[Gateway] = []

    def launch(self, spec: Mapping[str, Any], *, transport: str,
               upstream: str | None = None, name: str = NAME, namespace: str = NAMESPACE,
               kind: str = "MCPServer", issuer_url: str | None = None, wait: bool = True,
               kube: bool = True, objects: list[dict[str, Any]] | None = None,
               ready: bool = True) -> Gateway:
        """Render ``spec`` and start its gateway; ``objects`` (default: the rendered ones)
        and ``ready`` shape what the recording API server holds; ``kube=False`` gives the
        runner no Kubernetes config at all."""
        rendered = render(name, namespace, spec, kind=kind)
        api = RecordingAPIServer(namespace=rendered.namespace, rules=rendered.role_rules,
                                 ca=self.ca,
                                 objects=rendered.objects if objects is None else objects,
                                 ready=ready).start()
        backend = {str(t): b for t, b in self.backends.items()}.get(transport)
        gw = Gateway(binary=self.binary, rendered=rendered,
                     workdir=self.directory / f"gateway-{len(self.started)}",
                     upstream=upstream or (backend.url if backend else None),
                     issuer=issuer_url or self.issuer.url,
                     kube_server=api.url if kube else None, kube_ca=self.ca.ca_file,
                     ca_file=self.ca.ca_file, api=api)
        self.started.append(gw)
        return gw.start(wait=wait)

    def launch_in_cluster(self, spec: Mapping[str, Any], cluster: Any, *, transport: str,
                          name: str = NAME, kind: str = "MCPServer",
                          apply: set[str] | None = None, issuer_url: str | None = None,
                          wait: bool = True) -> Gateway:
        """Like ``launch``, in ``gateway_cluster.SERVER_NAMESPACE`` of the local control
        plane: the rendered objects of the kinds in ``apply`` (default: the gateway's
        ServiceAccount) created there, the runner's Kubernetes client the gateway
        ServiceAccount's (its own token), the projected volume copied locally; the issuer
        is the API server's unless ``issuer_url`` says otherwise."""
        namespace = gateway_cluster.SERVER_NAMESPACE
        rendered = render(name, namespace, spec, kind=kind, shared_namespace=namespace)
        gateway_cluster.apply_rendered(cluster, rendered, apply or {"ServiceAccount"})
        if "StatefulSet" in (apply or set()):
            gateway_cluster.wait_ready(cluster, namespace, name)
        workdir = self.directory / f"gateway-{len(self.started)}"
        volume = workdir / "serviceaccount"
        token = gateway_cluster.projected_volume(cluster, rendered, volume)
        backend = {str(t): b for t, b in self.backends.items()}.get(transport)
        gw = Gateway(binary=self.binary, rendered=rendered, workdir=workdir,
                     upstream=backend.url if backend else None,
                     issuer=issuer_url or cluster.issuer_url, kube_server=cluster.server,
                     kube_token=token, kube_ca=Path(cluster.ca_file),
                     service_account_dir=volume, ca_file=self.ca.ca_file)
        self.started.append(gw)
        return gw.start(wait=wait)

    def stop_all(self) -> None:
        for gw in self.started:
            gw.stop()
            if gw.api is not None:
                gw.api.stop()


@pytest.fixture(scope="session")
def shared_gateway(runner_binary: Path, issuer: Issuer, test_ca: TestCA,
                   backends: Mapping[Transport, Backend],
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Gateway]]:
    """Like ``start_gateway``, but one gateway per distinct spec and arguments for the whole
    session (for tests that do not depend on the runner's state)."""
    launcher = Launcher(runner_binary, issuer, test_ca, backends,
                        tmp_path_factory.mktemp("shared-gateways"))
    cache: dict[str, Gateway] = {}

    def get(spec: Mapping[str, Any], **options: Any) -> Gateway:
        key = json.dumps([spec, options], sort_keys=True)
        if key not in cache:
            cache[key] = launcher.launch(spec, **options)
        return cache[key]

    yield get
    launcher.stop_all()


@pytest.fixture
def start_gateway(runner_binary: Path, issuer: Issuer, test_ca: TestCA,
                  backends: Mapping[Transport, Backend], tmp_path: Path
                  ) -> Iterator[Callable[..., Gateway]]:
    """``start_gateway(spec, transport=..., upstream=None, name=..., kind=...)``: a fresh
    runner for ``spec`` in front of the backend of ``transport`` (or ``upstream``), with
    the issuer rewritten to ``issuer``, trusting the test CA, its Kubernetes client pointed
    at a recording API server holding the gateway's Role (``gateway.api``); stopped after
    the test."""
    launcher = Launcher(runner_binary, issuer, test_ca, backends, tmp_path)
    yield launcher.launch
    launcher.stop_all()


@pytest.fixture(scope="session")
def cluster() -> Iterator[Any]:
    """The local control plane (``devtools.cluster.Cluster``) with this tier's namespaces
    and calling ServiceAccounts; one already running is reused and left running, one
    started here is stopped at the end (as ``tests/e2e`` does)."""
    toolchain()  # puts the repository root on sys.path
    from devtools.cluster import Cluster

    api = Cluster(bin_dir=toolchain_bin())
    started_here = not api.running()
    api.start()
    namespaces = (gateway_cluster.SERVER_NAMESPACE, gateway_cluster.CLIENT_NAMESPACE)
    try:
        for namespace in namespaces:
            gateway_cluster.create_namespace(api, namespace)
        for account in CLIENT_ACCOUNTS:
            gateway_cluster.create_service_account(api, gateway_cluster.CLIENT_NAMESPACE,
                                                   account)
        gateway_cluster.create_service_account(api, gateway_cluster.SERVER_NAMESPACE,
                                               NEIGHBOUR_ACCOUNT)
        yield api
    finally:
        for namespace in namespaces:
            gateway_cluster.delete_namespace(api, namespace)
        if started_here:
            api.stop()


#: Service accounts that call the servers, in ``gateway_cluster.CLIENT_NAMESPACE`` ...
CLIENT_ACCOUNTS = ("analyst-bot", "report-bot")
#: ... and one in the servers' own namespace.
NEIGHBOUR_ACCOUNT = "neighbour-bot"


@pytest.fixture
def start_cluster_gateway(runner_binary: Path, issuer: Issuer, test_ca: TestCA,
                          backends: Mapping[Transport, Backend], tmp_path: Path,
                          cluster: Any) -> Iterator[Callable[..., Gateway]]:
    """``start_cluster_gateway(spec, transport=..., apply=...)``: ``Launcher.
    launch_in_cluster`` against the ``cluster``; stopped after the test."""
    launcher = Launcher(runner_binary, issuer, test_ca, backends, tmp_path)

    def start(spec: Mapping[str, Any], **options: Any) -> Gateway:
        return launcher.launch_in_cluster(spec, cluster, **options)

    yield start
    launcher.stop_all()
