"""The gateway as the components deploy it, run on this machine.

``render(name, namespace, spec)`` runs ``MCPServer`` (or ``ClusterMCPServer``) through
the public API (``ome_mcp_components.offline.engine.run_program``, the offline engine behind
``ome-mcp render``) and returns what the gateway pod is made of: the RunConfig of
ConfigMap ``<n>-gateway``, the ``gateway`` container of Deployment ``<n>-gateway``, the
rules of Role ``<n>-gateway`` and every rendered object.

``Gateway`` starts ToolHive's ``thv-proxyrunner`` (built from the pinned Go module) the
way that container starts it: the container's ``args`` after the binary, and exactly
the container's ``env`` (nothing inherited from the test process), with the RunConfig
of the ConfigMap. Only what cannot be the same outside a cluster is rewritten, each
rewrite named (``Rewrite``) and checked to apply to exactly the value rendered:

- ``listen``: ``host`` ``0.0.0.0`` and the pod's ``port`` -> ``127.0.0.1`` and a free
  port (every server a test starts listens on loopback only);
- ``upstream``: ``remote_url`` (the backend Service's cluster DNS name, or a Remote
  server's URL) -> the test MCP server on loopback;
- ``issuer``: ``oidc_config.Issuer`` (and ``JWKSURL``) -> the test issuer on loopback;
- ``config file``: ``/etc/runconfig/runconfig.json`` (the ConfigMap mount) ->
  ``./runconfig.json`` in the runner's working directory, the third path the runner
  searches (the first two must not exist on this machine, or they would win);
- ``tmp``: ``HOME``/``XDG_CONFIG_HOME`` ``/tmp`` (an emptyDir) -> a private directory;
- ``service account``: the projected volume at
  ``/var/run/secrets/kubernetes.io/serviceaccount`` plus ``KUBERNETES_SERVICE_HOST``
  (the in-cluster config) -> ``KUBECONFIG``: the same token and namespace, the API server
  on loopback (the runner falls back to a kubeconfig when it is not in a cluster); and
  with a local copy of that volume (``service_account_dir``: ``ca.crt``, ``token``,
  ``namespace``), the RunConfig's paths into it (``CACertPath``, ``AuthTokenFile``,
  ``thv_ca_bundle``, ``jwks_auth_token_file``) -> the same files there;
- ``trust store``: the image's CA bundle -> ``SSL_CERT_FILE`` naming the test CA, so an
  issuer with a certificate the image would trust is trusted.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway_apiserver import RecordingAPIServer

from ome_mcp_components import ClusterMCPServer, MCPServer
from ome_mcp_components.builders import gateway
from ome_mcp_components.offline.engine import run_program
from ome_mcp_components.plan.auth import SERVICE_ACCOUNT_DIR
from ome_mcp_components.vocabulary import keys

#: The paths the runner reads its RunConfig from before ``./runconfig.json``.
SHADOWING_CONFIG_PATHS = ("/etc/runconfig/runconfig.json", "/etc/toolhive/runconfig.json")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Rendered:
    """The gateway of one server, as the components render it."""

    name: str
    namespace: str
    spec: dict[str, Any]
    run_config: dict[str, Any]
    container: dict[str, Any]
    role_rules: list[dict[str, Any]]
    objects: list[dict[str, Any]]
    warnings: list[str]

    def object(self, kind: str, name: str) -> dict[str, Any]:
        found = [o for o in self.objects
                 if o["kind"] == kind and o["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind} {name} rendered {len(found)} times"
        return found[0]

    @property
    def env(self) -> dict[str, str]:
        return {e["name"]: e["value"] for e in self.container.get("env", [])}


def render(name: str, namespace: str, spec: Mapping[str, Any], *,
           kind: str = "MCPServer", shared_namespace: str | None = None) -> Rendered:
    """Render ``spec`` through the components and pick out the gateway's parts (a
    ``ClusterMCPServer`` lands in ``shared_namespace``, by default the components')."""
    if kind == "MCPServer":
        recording = run_program(lambda: MCPServer(
            name, {"metadata": {"namespace": namespace}, "spec": dict(spec)}))
    else:
        args: dict[str, Any] = {"spec": dict(spec)}
        if shared_namespace is not None:
            args["shared_namespace"] = shared_namespace
        recording = run_program(lambda: ClusterMCPServer(name, args))
    objects = recording.kubernetes_objects()
    gateway_name = f"{name}-gateway"
    config_maps = [o for o in objects if o["kind"] == "ConfigMap"
                   and o["metadata"]["name"] == gateway_name]
    deployments = [o for o in objects if o["kind"] == "Deployment"
                   and o["metadata"]["name"] == gateway_name]
    assert len(config_maps) == 1, "no gateway ConfigMap was rendered"
    assert len(deployments) == 1, "no gateway Deployment was rendered"
    namespace = config_maps[0]["metadata"]["namespace"]
    pod = deployments[0]["spec"]["template"]["spec"]
    containers = [c for c in pod["containers"] if c["name"] == "gateway"]
    roles = [o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == gateway_name]
    return Rendered(
        name=name, namespace=namespace, spec=dict(spec),
        run_config=json.loads(config_maps[0]["data"][keys.RUN_CONFIG_KEY]),
        container=containers[0],
        role_rules=roles[0]["rules"] if roles else [],
        objects=objects, warnings=list(recording.warnings))


@dataclass(frozen=True)
class Rewrite:
    """One named difference between the pod and this machine."""

    name: str
    field: str
    rendered: Any
    local: Any


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kubeconfig(path: Path, *, server: str, token: str, namespace: str,
               ca_file: Path | None = None) -> Path:
    """A kubeconfig standing for the in-cluster config (JSON is valid YAML)."""
    cluster: dict[str, Any] = {"server": server}
    if ca_file is not None:
        cluster["certificate-authority"] = str(ca_file)
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "gateway",
        "clusters": [{"name": "local", "cluster": cluster}],
        "users": [{"name": "gateway", "user": {"token": token}}],
        "contexts": [{"name": "gateway", "context": {"cluster": "local", "user": "gateway",
                                                     "namespace": namespace}}]}))
    return path


@dataclass
class Gateway:
    """One ``thv-proxyrunner`` process, started from a ``Rendered`` gateway."""

    binary: Path
    rendered: Rendered
    workdir: Path
    upstream: str | None = None
    issuer: str | None = None
    #: The API server its Kubernetes client is given; None: no Kubernetes config at all.
    kube_server: str | None = ""
    kube_token: str = "gateway-service-account-token"
    kube_ca: Path | None = None
    #: A local copy of the projected service-account volume (see the module docstring).
    service_account_dir: Path | None = None
    ca_file: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    rewrites: list[Rewrite] = field(default_factory=list)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    #: The API server its Kubernetes client talks to, when it is a recording one.
    api: RecordingAPIServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.workdir / "runner.log"

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def log_records(self) -> list[dict[str, Any]]:
        """The runner's JSON log lines (``UNSTRUCTURED_LOGS=false``)."""
        records = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return records

    def config(self) -> dict[str, Any]:
        """The rendered RunConfig with the named rewrites applied (recorded in ``rewrites``)."""
        config = copy.deepcopy(self.rendered.run_config)
        self.rewrites = []
        self.port = free_port()
        self._rewrite(config, "listen", "host", "127.0.0.1", expect="0.0.0.0")
        self._rewrite(config, "listen", "port", self.port)
        if self.upstream is not None:
            self._rewrite(config, "upstream", "remote_url", self.upstream)
        if self.issuer is not None and "oidc_config" in config:
            oidc = config["oidc_config"]
            self._rewrite(oidc, "issuer", "Issuer", self.issuer)
            if oidc.get("JWKSURL"):
                self._rewrite(oidc, "issuer", "JWKSURL", self.issuer + "/jwks")
        if self.service_account_dir is not None:
            for target in (config, config.get("oidc_config", {})):
                for key, value in list(target.items()):
                    if isinstance(value, str) and value.startswith(SERVICE_ACCOUNT_DIR + "/"):
                        local = self.service_account_dir / value.removeprefix(
                            SERVICE_ACCOUNT_DIR + "/")
                        assert local.is_file(), f"{key}: {value} has no local copy"
                        self._rewrite(target, "service account", key, str(local))
        return config

    def environment(self) -> dict[str, str]:
        """The container's env, with the ``tmp``, ``service account`` and ``trust store``
        rewrites; nothing else of the test process leaks in."""
        env = dict(self.rendered.env)
        home = self.workdir / "tmp"
        home.mkdir(exist_ok=True)
        for name in ("HOME", "XDG_CONFIG_HOME"):
            assert env.get(name) == "/tmp", f"{name} is {env.get(name)!r}, not the emptyDir"
            env[name] = str(home)
            self.rewrites.append(Rewrite("tmp", name, "/tmp", str(home)))
        assert "KUBERNETES_SERVICE_HOST" not in env
        if self.kube_server is not None:
            config = kubeconfig(self.workdir / "kubeconfig", server=self.kube_server,
                                token=self.kube_token, namespace=self.rendered.namespace,
                                ca_file=self.kube_ca)
            env["KUBECONFIG"] = str(config)
            self.rewrites.append(Rewrite("service account", "KUBECONFIG",
                                         "/var/run/secrets/kubernetes.io/serviceaccount",
                                         str(config)))
        if self.ca_file is not None:
            env["SSL_CERT_FILE"] = str(self.ca_file)
            self.rewrites.append(Rewrite("trust store", "SSL_CERT_FILE", None, str(self.ca_file)))
        env.update(self.extra_env)
        return env

    def start(self, *, wait: bool = True) -> Gateway:
        for path in SHADOWING_CONFIG_PATHS:
            assert not os.path.exists(path), f"{path} exists and would shadow the test's config"
        self.workdir.mkdir(parents=True, exist_ok=True)
        config_file = self.workdir / keys.RUN_CONFIG_KEY
        config_file.write_text(gateway.to_json(self.config()))
        self.rewrites.append(Rewrite("config file", "path", f"{gateway.CONFIG_DIR}/"
                                     f"{keys.RUN_CONFIG_KEY}", str(config_file)))
        env = self.environment()
        assert self.rendered.container["args"][0] == "run"
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                [str(self.binary), *self.rendered.container["args"]], cwd=self.workdir,
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if wait:
            self.wait_listening()
        return self

    def wait_listening(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the runner exited ({self.process.returncode}):\n"
                                     + self.log()[-4000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"the runner did not listen within {timeout} s:\n"
                             + self.log()[-4000:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)

    def _rewrite(self, target: dict[str, Any], name: str, key: str, value: Any, *,
                 expect: Any = None) -> None:
        rendered = target.get(key)
        assert rendered is not None, f"{key} is not in the rendered config"
        if expect is not None:
            assert rendered == expect, f"{key} is rendered {rendered!r}, expected {expect!r}"
        target[key] = value
        self.rewrites.append(Rewrite(name, key, rendered, value))


GatewayFactory = Callable[..., Gateway]
