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
127.0.0.1. Certificates are made with ``cryptography`` once and remade when they near
expiry. A component that dies during ``start`` fails it with the end of its log.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import fcntl
import http.client
import ipaddress
import json
import logging
import os
import shutil
import signal
import socket
import ssl
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from devtools import toolchain

T = TypeVar("T")
log = logging.getLogger("devtools.cluster")

LOOPBACK = "127.0.0.1"
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
#: Seconds ``start`` waits for each step before it gives up.
ETCD_TIMEOUT = 60.0
APISERVER_TIMEOUT = 180.0
SETTLE_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
#: A certificate with less left than this is made anew at start.
RENEW_BEFORE = datetime.timedelta(days=30)


class ClusterError(RuntimeError):
    """The control plane cannot start, or a request to it failed; the message says why."""


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
    going away) counts as "not yet"; ``check``
    runs before each try and may raise to stop waiting (a component died). On timeout a
    ``ClusterError`` names ``what`` and the last error seen.
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
            raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what}{last}")
        time.sleep(interval)


# --- certificates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """A certificate the CA signs: ``pki/<name>.crt`` and ``pki/<name>.key``."""

    name: str
    common_name: str
    organization: str | None = None
    server: bool = False  # serverAuth with the API server's names, else clientAuth


LEAVES = (
    Leaf("apiserver", "kube-apiserver", server=True),
    Leaf("admin", "ome-mcp-admin", "system:masters"),
    Leaf("kube-controller-manager", "system:kube-controller-manager"),
    Leaf("kube-scheduler", "system:kube-scheduler"),
)
#: Every name a client may use for the API server.
SERVING_NAMES = (
    "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


def _service_ip() -> ipaddress.IPv4Address:
    """The ``kubernetes`` Service's ClusterIP: the range's first address."""
    return next(ipaddress.IPv4Network(SERVICE_CIDR).hosts())


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )


def _write_private(path: Path, data: bytes) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _pem_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class Pki:
    """The cluster's certificates and keys under one directory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def cert(self, name: str) -> Path:
        return self.dir / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.dir / f"{name}.key"

    @property
    def ca(self) -> Path:
        return self.cert("ca")

    @property
    def sa_private(self) -> Path:
        return self.dir / "sa.key"

    @property
    def sa_public(self) -> Path:
        return self.dir / "sa.pub"

    def _current(self) -> bool:
        names = ["ca", *(leaf.name for leaf in LEAVES)]
        files = [self.sa_private, self.sa_public]
        files += [p for n in names for p in (self.cert(n), self.key(n))]
        if not all(p.exists() for p in files):
            return False
        horizon = datetime.datetime.now(datetime.UTC) + RENEW_BEFORE
        for name in names:
            try:
                cert = x509.load_pem_x509_certificate(self.cert(name).read_bytes())
            except ValueError:
                return False
            if cert.not_valid_after_utc < horizon:
                return False
        return True

    def ensure(self) -> bool:
        """Make every certificate and key unless all exist and are far from expiry;
        returns whether they were made."""
        if self._current():
            return False
        self.dir.mkdir(parents=True, exist_ok=True)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("ome-mcp-local-ca")
        ca_cert = self._sign(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True, days=3650)
        self._write("ca", ca_cert, ca_key)
        for leaf in LEAVES:
            key = ec.generate_private_key(ec.SECP256R1())
            sans: list[x509.GeneralName] = []
            if leaf.server:
                sans = [x509.DNSName(n) for n in SERVING_NAMES]
                addresses = [ipaddress.IPv4Address(LOOPBACK), _service_ip()]
                sans += [x509.IPAddress(a) for a in addresses]
            cert = self._sign(
                _name(leaf.common_name, leaf.organization), key.public_key(), ca_name, ca_key,
                days=365, server=leaf.server, sans=sans,
            )
            self._write(leaf.name, cert, key)
        # RS256, the algorithm every OIDC client implements
        sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_private(self.sa_private, _pem_key(sa_key))
        self.sa_public.write_bytes(sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo,
        ))
        return True

    @staticmethod
    def _sign(
        subject: x509.Name,
        public_key: ec.EllipticCurvePublicKey,
        issuer: x509.Name,
        issuer_key: ec.EllipticCurvePrivateKey,
        *,
        days: int,
        ca: bool = False,
        server: bool = False,
        sans: Sequence[x509.GeneralName] = (),
    ) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(_key_usage(ca=ca), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
        )
        if not ca:
            usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
            builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def _write(self, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        self.cert(name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_private(self.key(name), _pem_key(key))

    def kubeconfig(self, server: str, user: str) -> dict[str, Any]:
        """A kubeconfig for ``server`` with the client certificate ``user``, embedded."""

        def data(path: Path) -> str:
            return base64.b64encode(path.read_bytes()).decode()

        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "ome-mcp", "cluster": {
                "server": server, "certificate-authority-data": data(self.ca)}}],
            "users": [{"name": user, "user": {
                "client-certificate-data": data(self.cert(user)),
                "client-key-data": data(self.key(user))}}],
            "contexts": [{"name": "ome-mcp", "context": {"cluster": "ome-mcp", "user": user}}],
            "current-context": "ome-mcp",
        }


# --- processes ------------------------------------------------------------------------------


def _free_port(preferred: int | None = None) -> int:
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
    raise ClusterError("no free TCP port on 127.0.0.1")


#: Exit statuses of the children this process reaped (pid -> status), for error messages.
_reaped: dict[int, int] = {}


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie child is reaped and counts as dead)."""
    with contextlib.suppress(ChildProcessError):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            _reaped[pid] = status
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
    return stat.rsplit(")", 1)[-1].split()[0] not in {"Z", "X"}


def _runs(pid: int, binary: str) -> bool:
    """Whether ``pid`` runs ``binary`` (guards against a recycled pid in a stale file)."""
    if not _alive(pid):
        return False
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode()
    except OSError:
        return True
    return argv0 == binary


def _exit_note(pid: int) -> str:
    status = _reaped.get(pid)
    if status is None:
        return ""
    if os.WIFSIGNALED(status):
        return f" (killed by signal {os.WTERMSIG(status)})"
    return f" (exit code {os.waitstatus_to_exitcode(status)})"


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:  # started in a session of its own: signal the group
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


@dataclass(frozen=True)
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
        self.pki = Pki(self.root / "pki")
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
                if _runs(pid, str(record["binary"])):
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
            port = _free_port(wanted)
            while port in chosen:
                port = _free_port()
            chosen.append(port)
        ports = Ports(*chosen)
        (self.root / "state.json").write_text(json.dumps(ports.__dict__, indent=2) + "\n")
        return ports

    def _write_kubeconfigs(self, server: str) -> None:
        self.kubeconfig.write_text(yaml.safe_dump(self.pki.kubeconfig(server, "admin")))
        self.kubeconfig.chmod(0o600)
        directory = self.root / "kubeconfigs"
        directory.mkdir(exist_ok=True)
        for user in ("kube-controller-manager", "kube-scheduler", "admin"):
            path = directory / user
            path.write_text(yaml.safe_dump(self.pki.kubeconfig(server, user)))
            path.chmod(0o600)

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
        logfile = self.log_file(name)
        logfile.parent.mkdir(parents=True, exist_ok=True)
        if logfile.exists() and logfile.stat().st_size > 64 * 2**20:
            logfile.replace(logfile.with_suffix(".log.1"))
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        with logfile.open("a") as out:
            out.write(f"\n=== {stamp} {' '.join(argv)}\n")
        pid = os.posix_spawn(argv[0], argv, env, setsid=True, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(logfile), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ])
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
                if not _alive(pid):
                    raise ClusterError(
                        f"{name} exited{_exit_note(pid)} during start; the end of its log "
                        f"{self.log_file(name)}:\n{_tail(self.log_file(name))}"
                    )

        def step(what: str, condition: Callable[[], object], timeout: float) -> None:
            began = time.monotonic()
            wait_until(condition, timeout=timeout, what=what, check=check)
            log.info("%s (%.1f s)", what, time.monotonic() - began)

        spawned["etcd"] = self._spawn("etcd", commands["etcd"], env)
        step(f"etcd healthy on {LOOPBACK}:{ports.etcd_client}",
             lambda: self._etcd_healthy(ports.etcd_client), ETCD_TIMEOUT)
        spawned["kube-apiserver"] = self._spawn("kube-apiserver", commands["kube-apiserver"], env)
        step(f"kube-apiserver ready on {LOOPBACK}:{ports.apiserver}",
             lambda: self.request("GET", "/readyz", timeout=5)[0] == 200, APISERVER_TIMEOUT)
        self._bootstrap()
        for name in ("kube-controller-manager", "kube-scheduler", "kwok"):
            spawned[name] = self._spawn(name, commands[name], env)
        step(f"nodes {', '.join(NODES)} Ready", self._nodes_ready, SETTLE_TIMEOUT)
        step("ServiceAccount default/default created",
             lambda: self.request("GET", "/api/v1/namespaces/default/serviceaccounts/default",
                                  timeout=5)[0] == 200, SETTLE_TIMEOUT)

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
        """What the cluster needs beyond its defaults: public OIDC discovery, fake Nodes."""
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
            self.apply("/api/v1/nodes", fake_node(node))

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
            group = [pid for name in wave if (pid := pids[name])]
            for pid in group:
                _signal_group(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT
            while any(_alive(p) for p in group) and time.monotonic() < deadline:
                time.sleep(0.1)
            stubborn = [p for p in group if _alive(p)]
            for pid in stubborn:
                log.info("pid %d ignored SIGTERM for %.0f s: killing it", pid, STOP_TIMEOUT)
                _signal_group(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while any(_alive(p) for p in stubborn) and time.monotonic() < deadline:
                time.sleep(0.1)
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
