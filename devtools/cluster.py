"""The local Kubernetes control plane of the real-engine tests: etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and KWOK, on loopback, from the pinned toolchain.

    python3 dev.py cluster start     start it, or find it running; the kubeconfig's path is
                                     the last line printed
    python3 dev.py cluster stop      stop every component; the state stays for the next start
    python3 dev.py cluster status    which components run, and the kubeconfig (exit 0 only
                                     when all of them run)
    python3 dev.py cluster reset     stop, then delete the state (a fresh cluster next start)

    export KUBECONFIG=$(python3 dev.py cluster start | tail -n 1)

From Python (the ``cluster`` fixture of ``tests/e2e/conftest.py`` does this once a
session)::

    from devtools.cluster import Cluster

    cluster = Cluster()
    kubeconfig = cluster.start()                    # idempotent
    status, ns = cluster.request("GET", "/api/v1/namespaces/default")
    token = cluster.token_request("default", "default", audience="toolhive")
    cluster.issuer_url, cluster.ca_file             # the service-account token issuer
    cluster.stop()

**What runs.** etcd (no TLS, loopback); kube-apiserver on ``https://127.0.0.1:<port>``
with its default admission plugins (PodSecurity among them), Node and RBAC
authorization, and service-account tokens issued as ``https://127.0.0.1:<port>``: the
OIDC discovery document (``/.well-known/openid-configuration``) and its JWKS
(``/openid/v1/jwks``) are served, readable without credentials (the
``system:service-account-issuer-discovery`` role is bound to ``system:unauthenticated``);
kube-controller-manager with the controllers of :data:`CONTROLLERS`; kube-scheduler;
KWOK with its default stages, managing the fake Nodes of :data:`NODES` (annotated
``kwok.x-k8s.io/node: fake``, untainted, large): a scheduled Pod on them becomes Running
and Ready at once, so Deployments become Available and StatefulSets ready. No kubelet,
container runtime, kube-proxy or DNS: nothing inside a Pod runs.

**Where things are.** Binaries: ``$OME_MCP_TOOLCHAIN`` if set, else
``devtools.toolchain.ensure()`` (which builds them the first time). State, outside the
checkout, in ``$OME_MCP_CACHE/cluster`` (default ``~/.cache/ome-mcp/cluster``)::

    kubeconfig                  the admin's (O=system:masters), certificates embedded
    pki/                        CA, serving and client certificates, service-account keys
    etcd/                       etcd's data: objects survive stop and start
    logs/<component>.log        each component's output, appended run after run
    run/<component>.pid         the running processes (one process group each)
    kubeconfigs/<component>     the controllers' own credentials
    state.json                  the ports in use

Ports are chosen free at the first start and reused while they stay free, so the
kubeconfig and the issuer URL normally survive a restart; nothing listens beyond
127.0.0.1. Certificates are made once and remade when they near expiry
(``devtools/pki.py``); the processes are detached, one session each
(``devtools/processes.py``). ``start`` returns once a Pod in a new namespace has been
admitted, scheduled and marked Ready: every component is seen at work, after a restart
too. A component that dies or a step that times out fails ``start`` with a message that
names the component's log and quotes its end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import http.client
import ipaddress
import json
import logging
import os
import shutil
import ssl
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from devtools import processes, toolchain
from devtools.pki import Pki

T = TypeVar("T")
log = logging.getLogger("devtools.cluster")

LOOPBACK = processes.LOOPBACK
#: In start order; stopped in the reverse order.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
#: The Service IP range; the API server takes its first address (``kubernetes`` Service).
SERVICE_CIDR = "10.96.0.0/16"
#: What the API server writes into the ``kubernetes`` Endpoints: a documentation address
#: (RFC 5737), since Endpoints may not hold loopback and no Pod dials it here anyway.
ADVERTISE_ADDRESS = "192.0.2.1"
#: KWOK's pool of fake Pod IPs.
POD_CIDR = "10.244.0.1/16"
#: The annotation by which KWOK selects the Nodes it manages.
KWOK_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
#: Two fake Nodes, so spreading and disruption budgets have somewhere to go.
NODES = ("kwok-node-0", "kwok-node-1")
#: The controllers a workload needs to settle as on a real cluster. Left out on purpose:
#: node-lifecycle (would taint the fake Nodes whenever a heartbeat is late), node-ipam,
#: the cloud and storage controllers, HPA (no metrics).
CONTROLLERS = (
    "serviceaccount-token-controller",  # token Secrets; runs first, feeds the others
    "serviceaccount-controller",  # the `default` ServiceAccount of every namespace
    "root-ca-certificate-publisher-controller",  # kube-root-ca.crt in every namespace
    "namespace-controller",  # deleting a namespace empties it
    "garbage-collector-controller",  # deleting a Deployment deletes its ReplicaSets, Pods
    "deployment-controller",
    "replicaset-controller",
    "statefulset-controller",
    "daemonset-controller",
    "job-controller",
    "cronjob-controller",
    "ttl-after-finished-controller",
    "replicationcontroller-controller",
    "disruption-controller",  # PodDisruptionBudget status
    "endpoints-controller",  # Service endpoints (what Pulumi waits for on a Service)
    "endpointslice-controller",
    "endpointslice-mirroring-controller",
    "resourcequota-controller",
    "pod-garbage-collector-controller",
    "clusterrole-aggregation-controller",  # admin/edit/view aggregate their parts
    "service-cidr-controller",
)
#: The Pod ``start`` schedules in a throwaway namespace to see the cluster at work
#: (admitted by the restricted profile too; its image is never pulled).
PROBE_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "probe"},
    "spec": {
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": 0,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65532,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "probe", "image": "registry.k8s.io/pause:3.10",
            "securityContext": {"allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]}},
        }],
    },
}
#: Seconds ``start`` waits for each step before it gives up.
ETCD_TIMEOUT = 60.0
APISERVER_TIMEOUT = 180.0
SETTLE_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0


class ClusterError(RuntimeError):
    """The control plane cannot start, or a request to it failed; the message says why."""


class ClusterTimeoutError(ClusterError):
    """What :func:`wait_until` waited for did not happen in time."""


def state_root() -> Path:
    """``$OME_MCP_CACHE/cluster``, default ``~/.cache/ome-mcp/cluster``."""
    base = os.environ.get("OME_MCP_CACHE") or str(Path.home() / ".cache" / "ome-mcp")
    return Path(base) / "cluster"


def toolchain_bin() -> Path:
    """``$OME_MCP_TOOLCHAIN`` if set, else the toolchain's directory (built if need be)."""
    given = os.environ.get(toolchain.ENV_VAR)
    return Path(given) if given else toolchain.ensure()


def wait_until(
    condition: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.25,
    check: Callable[[], None] | None = None,
) -> T:
    """Call ``condition`` until it returns something true, and return that.

    ``OSError`` or ``HTTPException`` from ``condition`` (a connection refused, a server
    going away) counts as "not yet"; ``check`` runs before each try and may raise to stop
    waiting (a component died). On timeout a ``ClusterTimeoutError`` names ``what`` and the last
    error seen.
    """
    deadline = time.monotonic() + timeout
    last: str = ""
    while True:
        if check is not None:
            check()
        try:
            result = condition()
        except (OSError, http.client.HTTPException) as e:
            last = f" (last error: {e})"
        else:
            if result:
                return result
        if time.monotonic() > deadline:
            raise ClusterTimeoutError(f"timed out after {timeout:.0f} s waiting for {what}{last}")
        time.sleep(interval)


@dataclasses.dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int


class Cluster:
    """The control plane whose state lives in ``root`` (default :func:`state_root`).

    ``bin_dir`` holds the binaries (default :func:`toolchain_bin`, resolved at start).
    """

    def __init__(self, root: Path | None = None, bin_dir: Path | None = None) -> None:
        self.root = (root or state_root()).resolve()
        self._bin_dir = bin_dir
        # the API server's names: loopback, and the `kubernetes` Service's ClusterIP
        service_ip = next(ipaddress.IPv4Network(SERVICE_CIDR).hosts())
        self.pki = Pki(self.root / "pki", [ipaddress.IPv4Address(LOOPBACK), service_ip])
        self._ssl: dict[bool, ssl.SSLContext] = {}

    # -- where things are

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def ca_file(self) -> Path:
        """The CA that signs the API server's certificate (and every client's)."""
        return self.pki.ca

    @property
    def client_cert(self) -> tuple[Path, Path]:
        """The admin's client certificate and key (O=system:masters)."""
        return self.pki.cert("admin"), self.pki.key("admin")

    @property
    def ports(self) -> Ports:
        try:
            return Ports(**json.loads((self.root / "state.json").read_text()))
        except (OSError, ValueError, TypeError) as e:
            raise ClusterError(f"the cluster in {self.root} was never started ({e})") from e

    @property
    def server(self) -> str:
        """The API server's URL."""
        return f"https://{LOOPBACK}:{self.ports.apiserver}"

    @property
    def issuer_url(self) -> str:
        """The service-account token issuer (``iss`` of every token; OIDC discovery)."""
        return self.server

    def log_file(self, component: str) -> Path:
        return self.root / "logs" / f"{component}.log"

    def _pid_file(self, component: str) -> Path:
        return self.root / "run" / f"{component}.pid"

    # -- what runs

    def pids(self) -> dict[str, int | None]:
        """Each component's pid, ``None`` for one that does not run."""
        found: dict[str, int | None] = {}
        for name in COMPONENTS:
            found[name] = None
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                record = json.loads(self._pid_file(name).read_text())
                pid = int(record["pid"])
                if processes.runs(pid, str(record["binary"])):
                    found[name] = pid
        return found

    def running(self) -> bool:
        """Every component runs and the API server answers ready."""
        if not all(self.pids().values()):
            return False
        try:
            status, _ = self.request("GET", "/readyz", timeout=5)
        except (OSError, http.client.HTTPException, ClusterError):
            return False
        return status == 200

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- start and stop

    def start(self) -> Path:
        """Start every component (or find them running); returns the kubeconfig's path."""
        with self._locked():
            if self.running():
                log.info("already running (%s)", self.server)
                return self.kubeconfig
            leftovers = [n for n, pid in self.pids().items() if pid]
            if leftovers:
                log.info("only %s running: restarting everything", ", ".join(leftovers))
                self._stop()
            started = time.monotonic()
            try:
                self._start()
            except BaseException:
                self._stop()
                raise
            log.info("started in %.1f s (%s)", time.monotonic() - started, self.server)
            return self.kubeconfig

    def stop(self) -> None:
        """Stop every component (SIGTERM to each process group, SIGKILL after a while)."""
        with self._locked():
            self._stop()

    def reset(self) -> None:
        """Stop, then delete the whole state (certificates, etcd data, logs)."""
        with self._locked():
            self._stop()
            for child in self.root.iterdir():
                if child.name != "lock":
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child)
                    else:
                        child.unlink()

    def _binaries(self) -> dict[str, Path]:
        bin_dir = (self._bin_dir or toolchain_bin()).resolve()
        found = {name: bin_dir / name for name in COMPONENTS}
        missing = [name for name, path in found.items() if not os.access(path, os.X_OK)]
        if missing:
            raise ClusterError(
                f"{bin_dir} lacks {', '.join(missing)}: build them with `python3 dev.py "
                f"toolchain`, or set {toolchain.ENV_VAR} to a directory that holds them"
            )
        return found

    def _choose_ports(self) -> Ports:
        try:
            previous: Ports | None = self.ports
        except ClusterError:
            previous = None
        chosen: list[int] = []
        for field in ("etcd_client", "etcd_peer", "apiserver"):
            wanted = getattr(previous, field) if previous else None
            try:
                port = processes.free_port(wanted)
                while port in chosen:
                    port = processes.free_port()
            except OSError as e:
                raise ClusterError(str(e)) from e
            chosen.append(port)
        ports = Ports(*chosen)
        (self.root / "state.json").write_text(json.dumps(dataclasses.asdict(ports), indent=2))
        return ports

    def _write_kubeconfigs(self, server: str) -> None:
        _write_private(self.kubeconfig, yaml.safe_dump(self.pki.kubeconfig(server, "admin")))
        directory = self.root / "kubeconfigs"
        directory.mkdir(exist_ok=True)
        for user in ("kube-controller-manager", "kube-scheduler", "admin"):
            _write_private(directory / user, yaml.safe_dump(self.pki.kubeconfig(server, user)))

    def _commands(self, binaries: dict[str, Path], ports: Ports) -> dict[str, list[str]]:
        pki, kubeconfigs = self.pki, self.root / "kubeconfigs"
        etcd_client = f"http://{LOOPBACK}:{ports.etcd_client}"
        etcd_peer = f"http://{LOOPBACK}:{ports.etcd_peer}"
        issuer = f"https://{LOOPBACK}:{ports.apiserver}"
        return {
            "etcd": [
                str(binaries["etcd"]), "--name=ome-mcp", f"--data-dir={self.root / 'etcd'}",
                f"--listen-client-urls={etcd_client}", f"--advertise-client-urls={etcd_client}",
                f"--listen-peer-urls={etcd_peer}", f"--initial-advertise-peer-urls={etcd_peer}",
                f"--initial-cluster=ome-mcp={etcd_peer}", "--auto-compaction-retention=1",
            ],
            "kube-apiserver": [
                str(binaries["kube-apiserver"]),
                f"--etcd-servers={etcd_client}",
                f"--bind-address={LOOPBACK}", f"--secure-port={ports.apiserver}",
                f"--advertise-address={ADVERTISE_ADDRESS}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                f"--tls-cert-file={pki.cert('apiserver')}",
                f"--tls-private-key-file={pki.key('apiserver')}",
                f"--client-ca-file={pki.ca}",
                "--authorization-mode=Node,RBAC",
                f"--service-account-issuer={issuer}",
                # else discovery names the advertise address, where nothing listens
                f"--service-account-jwks-uri={issuer}/openid/v1/jwks",
                f"--service-account-key-file={pki.sa_public}",
                f"--service-account-signing-key-file={pki.sa_private}",
                f"--api-audiences={issuer}",
                "--allow-privileged=true",  # Pod Security admission decides, as on a real cluster
                "--profiling=false",
            ],
            "kube-controller-manager": [
                str(binaries["kube-controller-manager"]),
                f"--kubeconfig={kubeconfigs / 'kube-controller-manager'}",
                "--leader-elect=false", "--secure-port=0",
                f"--controllers={','.join(CONTROLLERS)}",
                "--use-service-account-credentials=true",
                f"--service-account-private-key-file={pki.sa_private}",
                f"--root-ca-file={pki.ca}",
            ],
            "kube-scheduler": [
                str(binaries["kube-scheduler"]),
                f"--kubeconfig={kubeconfigs / 'kube-scheduler'}",
                "--leader-elect=false", "--secure-port=0",
            ],
            "kwok": [
                str(binaries["kwok"]),
                f"--kubeconfig={kubeconfigs / 'admin'}",
                "--manage-all-nodes=false",
                f"--manage-nodes-with-annotation-selector={'='.join(KWOK_ANNOTATION)}",
                f"--cidr={POD_CIDR}",
            ],
        }

    def _environment(self) -> dict[str, str]:
        """A small, fixed environment: no KUBECONFIG, ETCD_* or KWOK_* of the caller's."""
        env = {k: os.environ[k] for k in ("PATH", "HOME", "TMPDIR", "LANG") if k in os.environ}
        # KWOK reads $KWOK_WORKDIR/kwok.yaml (default ~/.kwok/kwok.yaml) if it exists
        env["KWOK_WORKDIR"] = str(self.root / "kwok")
        return env

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> int:
        pid = processes.spawn(argv, env, self.log_file(name))
        pid_file = self._pid_file(name)
        pid_file.parent.mkdir(exist_ok=True)
        pid_file.write_text(json.dumps({"pid": pid, "binary": argv[0]}) + "\n")
        return pid

    def _start(self) -> None:
        binaries = self._binaries()
        if self.pki.ensure():
            log.info("certificates made in %s", self.pki.dir)
        ports = self._choose_ports()
        self._write_kubeconfigs(f"https://{LOOPBACK}:{ports.apiserver}")
        commands, env = self._commands(binaries, ports), self._environment()
        (self.root / "kwok").mkdir(exist_ok=True)
        spawned: dict[str, int] = {}

        def check() -> None:
            for name, pid in spawned.items():
                if not processes.alive(pid):
                    raise ClusterError(
                        f"{name} exited{processes.exit_note(pid)} during start; the end of its "
                        f"log {self.log_file(name)}:\n{processes.tail(self.log_file(name))}"
                    )

        def step(what: str, condition: Callable[[], object], timeout: float,
                 *suspects: str) -> None:
            """Wait for ``condition``; a timeout quotes the logs of the ``suspects``."""
            began = time.monotonic()
            try:
                wait_until(condition, timeout=timeout, what=what, check=check)
            except ClusterTimeoutError as e:
                logs = "".join(f"\nthe end of {self.log_file(n)}:\n"
                               f"{processes.tail(self.log_file(n), 10)}" for n in suspects)
                raise ClusterTimeoutError(f"{e}{logs}") from None
            log.info("%s (%.1f s)", what, time.monotonic() - began)

        spawned["etcd"] = self._spawn("etcd", commands["etcd"], env)
        step(f"etcd healthy on {LOOPBACK}:{ports.etcd_client}",
             lambda: self._etcd_healthy(ports.etcd_client), ETCD_TIMEOUT, "etcd")
        spawned["kube-apiserver"] = self._spawn("kube-apiserver", commands["kube-apiserver"], env)
        step(f"kube-apiserver ready on {LOOPBACK}:{ports.apiserver}",
             lambda: self._exists("/readyz"), APISERVER_TIMEOUT, "kube-apiserver")
        self._bootstrap()
        for name in ("kube-controller-manager", "kube-scheduler", "kwok"):
            spawned[name] = self._spawn(name, commands[name], env)
        step(f"nodes {', '.join(NODES)} Ready", self._nodes_ready, SETTLE_TIMEOUT, "kwok")
        step("ServiceAccount default/default created",
             lambda: self._exists("/api/v1/namespaces/default/serviceaccounts/default"),
             SETTLE_TIMEOUT, "kube-controller-manager")
        # after a restart the checks above pass on what etcd kept: a Pod in a new
        # namespace shows the controllers, the scheduler and KWOK at work
        probe = f"ome-mcp-probe-{os.urandom(3).hex()}"
        self.apply("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                          "metadata": {"name": probe}})
        try:
            step(f"ServiceAccount {probe}/default created (kube-controller-manager)",
                 lambda: self._exists(f"/api/v1/namespaces/{probe}/serviceaccounts/default"),
                 SETTLE_TIMEOUT, "kube-controller-manager")
            self.apply(f"/api/v1/namespaces/{probe}/pods", PROBE_POD)
            step(f"Pod {probe}/probe scheduled and Running (kube-scheduler, KWOK)",
                 lambda: self._pod_ready(probe, "probe"), SETTLE_TIMEOUT,
                 "kube-scheduler", "kwok")
        finally:
            with contextlib.suppress(OSError, http.client.HTTPException):
                self.request("DELETE", f"/api/v1/namespaces/{probe}", timeout=5)

    def _exists(self, path: str) -> bool:
        return self.request("GET", path, timeout=5)[0] == 200

    def _pod_ready(self, namespace: str, name: str) -> bool:
        status, pod = self.request("GET", f"/api/v1/namespaces/{namespace}/pods/{name}",
                                   timeout=5)
        conditions = pod.get("status", {}).get("conditions", []) if status == 200 else []
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    @staticmethod
    def _etcd_healthy(port: int) -> bool:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
        try:
            conn.request("GET", "/health")
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        return response.status == 200 and json.loads(body).get("health") == "true"

    def _bootstrap(self) -> None:
        """What the cluster needs beyond its defaults: public OIDC discovery, fake Nodes
        without taints (admission taints a new Node not-ready, and the controller that
        would lift the taint, node-lifecycle, does not run here)."""
        self.apply("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "ome-mcp:service-account-issuer-discovery"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": "system:service-account-issuer-discovery"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                          "name": "system:unauthenticated"}],
        })
        for node in NODES:
            if self.apply("/api/v1/nodes", fake_node(node))["spec"].get("taints"):
                status, body = self.request("PATCH", f"/api/v1/nodes/{node}",
                                            {"spec": {"taints": None}})
                if status != 200:
                    raise ClusterError(f"untainting Node {node}: HTTP {status}: {_message(body)}")

    def _nodes_ready(self) -> bool:
        for node in NODES:
            status, body = self.request("GET", f"/api/v1/nodes/{node}", timeout=5)
            conditions = body.get("status", {}).get("conditions", []) if status == 200 else []
            if not any(c["type"] == "Ready" and c["status"] == "True" for c in conditions):
                return False
        return True

    def _stop(self) -> None:
        pids = self.pids()
        # the controllers first, then the API server, then etcd
        for wave in (("kwok", "kube-scheduler", "kube-controller-manager"),
                     ("kube-apiserver",), ("etcd",)):
            group = {pid: name for name in wave if (pid := pids[name])}
            for pid in processes.terminate(group, STOP_TIMEOUT):
                log.info("%s ignored SIGTERM for %.0f s: killed it", group[pid], STOP_TIMEOUT)
        for name in COMPONENTS:
            self._pid_file(name).unlink(missing_ok=True)

    # -- the API

    def _context(self, anonymous: bool) -> ssl.SSLContext:
        if anonymous not in self._ssl:
            context = ssl.create_default_context(cafile=str(self.ca_file))
            if not anonymous:
                cert, key = self.client_cert
                context.load_cert_chain(str(cert), str(key))
            self._ssl[anonymous] = context
        return self._ssl[anonymous]

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        anonymous: bool = False,
        content_type: str | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, Any]:
        """One request to the API server as the admin (or, ``anonymous``, with no client
        certificate); returns the status and the decoded JSON body (text if not JSON,
        ``None`` if empty). ``body`` is sent as JSON; a PATCH is a merge patch unless
        ``content_type`` says otherwise."""
        conn = http.client.HTTPSConnection(
            LOOPBACK, self.ports.apiserver, context=self._context(anonymous), timeout=timeout,
        )
        # JSON for the API; the JWKS endpoint answers only application/jwk-set+json
        headers = {"Accept": "application/json, */*;q=0.5"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            default = "application/merge-patch+json" if method == "PATCH" else "application/json"
            headers["Content-Type"] = content_type or default
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        if not raw:
            return response.status, None
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw.decode(errors="replace")

    def apply(self, collection: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Create ``obj`` in ``collection`` (an API path), or leave the existing one; returns
        the server's object."""
        status, body = self.request("POST", collection, obj)
        if status == 409:
            status, body = self.request("GET", f"{collection}/{obj['metadata']['name']}")
        if status not in (200, 201):
            raise ClusterError(f"creating {collection}/{obj['metadata']['name']}: "
                               f"HTTP {status}: {_message(body)}")
        return dict(body)

    def token_request(
        self,
        namespace: str,
        service_account: str,
        audience: str | Sequence[str],
        seconds: int = 3600,
    ) -> str:
        """A token for ``namespace/service_account`` from the TokenRequest API, valid for
        ``audience`` and ``seconds`` (at least 600)."""
        audiences = [audience] if isinstance(audience, str) else list(audience)
        status, body = self.request(
            "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{service_account}/token",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
             "spec": {"audiences": audiences, "expirationSeconds": seconds}},
        )
        if status not in (200, 201):
            raise ClusterError(f"TokenRequest for {namespace}/{service_account}: "
                               f"HTTP {status}: {_message(body)}")
        return str(body["status"]["token"])


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` at once (a reader never sees half a file), readable by us only."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    temporary.replace(path)


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message", body))
    return str(body)


def fake_node(name: str) -> dict[str, Any]:
    """A Node KWOK manages: no taint, room for anything the tests schedule."""
    capacity = {"cpu": "1000", "memory": "1Ti", "pods": "10000", "ephemeral-storage": "1Ti"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {KWOK_ANNOTATION[0]: KWOK_ANNOTATION[1]},
            "labels": {
                "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64", "type": "kwok",
            },
        },
        "status": {"capacity": capacity, "allocatable": capacity},
    }


# --- the command line -----------------------------------------------------------------------


def _status(cluster: Cluster) -> int:
    pids = cluster.pids()
    for name, pid in pids.items():
        state = f"running (pid {pid})" if pid else "stopped"
        print(f"{name:24} {state:22} {cluster.log_file(name)}")
    up = cluster.running()
    if up:
        print(f"API server {cluster.server}, issuer {cluster.issuer_url}")
    elif any(pids.values()):
        print("partly running: `python3 dev.py cluster start` restarts it")
    print(f"kubeconfig {cluster.kubeconfig}")
    return 0 if up else 1


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="cluster: %(message)s", stream=sys.stdout)
    if len(argv) != 1 or argv[0] not in {"start", "stop", "status", "reset"}:
        print(__doc__)
        return 2
    cluster = Cluster()
    try:
        if argv[0] == "start":
            print(cluster.start(), flush=True)
        elif argv[0] == "stop":
            cluster.stop()
            print(f"cluster: stopped (state kept in {cluster.root})")
        elif argv[0] == "reset":
            cluster.reset()
            print(f"cluster: stopped and deleted {cluster.root}")
        else:
            return _status(cluster)
    except (ClusterError, toolchain.ToolchainError) as e:
        print(f"cluster: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
