"""The local control plane behaves like the cluster the real-engine tests need: Pod Security
admission refuses what the restricted profile forbids, KWOK makes admitted workloads ready,
service-account tokens verify against the issuer's public discovery, nothing listens beyond
loopback, a component that dies or hangs fails ``start`` naming its log, and the cluster
survives a stop and a start.

The last test stops and restarts the session's cluster: it stays last in this file."""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import os
import ssl
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from devtools.cluster import (
    COMPONENTS,
    NODES,
    Cluster,
    ClusterError,
    ClusterTimeoutError,
    wait_until,
)

pytestmark = pytest.mark.e2e

#: A container the restricted profile admits (the image is never pulled: no kubelet).
COMPLIANT = {
    "name": "app",
    "image": "registry.k8s.io/pause:3.10",
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}
#: One the restricted profile refuses.
PRIVILEGED = {"name": "app", "image": "registry.k8s.io/pause:3.10",
              "securityContext": {"privileged": True}}
SETTLE = 90.0


def ok(cluster: Cluster, method: str, path: str, body: Any = None) -> Any:
    status, answer = cluster.request(method, path, body)
    assert status in (200, 201), f"{method} {path}: HTTP {status}: {answer}"
    return answer


@pytest.fixture(scope="module")
def namespace(cluster: Cluster) -> Iterator[str]:
    """A namespace enforcing the restricted Pod Security Standard, with its default
    ServiceAccount (without it a Pod is refused for another reason)."""
    name = f"e2e-cluster-{uuid.uuid4().hex[:6]}"
    ok(cluster, "POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
    })
    wait_until(
        lambda: cluster.request("GET", f"/api/v1/namespaces/{name}/serviceaccounts/default")[0]
        == 200,
        timeout=SETTLE, what=f"ServiceAccount {name}/default",
    )
    yield name
    cluster.request("DELETE", f"/api/v1/namespaces/{name}")


def deployment(name: str, container: dict[str, Any], replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [container]}},
        },
    }


def pods(cluster: Cluster, namespace: str, app: str) -> list[dict[str, Any]]:
    found = ok(cluster, "GET", f"/api/v1/namespaces/{namespace}/pods?labelSelector=app%3D{app}")
    return list(found["items"])


def condition(obj: dict[str, Any], kind: str) -> str | None:
    for c in obj.get("status", {}).get("conditions", []):
        if c["type"] == kind:
            return str(c["status"])
    return None


def test_the_fake_nodes_are_ready_and_untainted(cluster: Cluster) -> None:
    for name in NODES:
        node = ok(cluster, "GET", f"/api/v1/nodes/{name}")
        assert condition(node, "Ready") == "True"
        assert not node["spec"].get("taints")


def test_a_pod_that_violates_restricted_is_refused_by_admission(
    cluster: Cluster, namespace: str,
) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"},
           "spec": {"containers": [PRIVILEGED]}}
    status, answer = cluster.request("POST", f"/api/v1/namespaces/{namespace}/pods", pod)
    assert status == 403
    assert 'violates PodSecurity "restricted:latest"' in answer["message"]


def test_a_deployment_whose_pods_violate_restricted_gets_none(
    cluster: Cluster, namespace: str,
) -> None:
    ok(cluster, "POST", f"/apis/apps/v1/namespaces/{namespace}/deployments",
       deployment("refused", PRIVILEGED))

    def refusal() -> dict[str, Any] | None:
        events = ok(cluster, "GET", f"/api/v1/namespaces/{namespace}/events"
                    "?fieldSelector=reason%3DFailedCreate,involvedObject.kind%3DReplicaSet")
        for event in events["items"]:
            if (event["involvedObject"]["name"].startswith("refused-")
                    and "violates PodSecurity" in event["message"]):
                return dict(event)
        return None

    event = wait_until(refusal, timeout=SETTLE, what="the ReplicaSet's FailedCreate event")
    assert 'violates PodSecurity "restricted:latest"' in event["message"]
    assert pods(cluster, namespace, "refused") == []
    live = ok(cluster, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/refused")
    assert condition(live, "ReplicaFailure") == "True"
    assert condition(live, "Available") == "False"


def test_a_compliant_deployment_becomes_available(cluster: Cluster, namespace: str) -> None:
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    ok(cluster, "POST", path, deployment("admitted", COMPLIANT, replicas=2))

    def available() -> dict[str, Any] | None:
        live: dict[str, Any] = ok(cluster, "GET", f"{path}/admitted")
        done = (condition(live, "Available") == "True"
                and live["status"].get("readyReplicas") == 2)
        return live if done else None

    wait_until(available, timeout=SETTLE, what="Deployment admitted to become Available")
    running = pods(cluster, namespace, "admitted")
    assert len(running) == 2
    for pod in running:
        assert pod["status"]["phase"] == "Running"
        assert condition(pod, "Ready") == "True"
        assert pod["spec"]["nodeName"] in NODES
        assert pod["status"]["podIP"]


def test_a_statefulset_becomes_ready(cluster: Cluster, namespace: str) -> None:
    ok(cluster, "POST", f"/api/v1/namespaces/{namespace}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "stateful"},
        "spec": {"clusterIP": "None", "selector": {"app": "stateful"},
                 "ports": [{"port": 8080}]},
    })
    path = f"/apis/apps/v1/namespaces/{namespace}/statefulsets"
    ok(cluster, "POST", path, {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "stateful"},
        "spec": {
            "serviceName": "stateful", "replicas": 1,
            "selector": {"matchLabels": {"app": "stateful"}},
            "template": {"metadata": {"labels": {"app": "stateful"}},
                         "spec": {"containers": [{**COMPLIANT, "stdin": True}]}},
        },
    })

    def ready() -> bool:
        status = ok(cluster, "GET", f"{path}/stateful").get("status", {})
        return bool(status.get("readyReplicas") == 1
                    and status.get("currentRevision") == status.get("updateRevision"))

    wait_until(ready, timeout=SETTLE, what="StatefulSet stateful to become ready")
    pod = ok(cluster, "GET", f"/api/v1/namespaces/{namespace}/pods/stateful-0")
    assert condition(pod, "Ready") == "True"


def test_a_requested_token_verifies_against_the_public_discovery(
    cluster: Cluster, namespace: str,
) -> None:
    ok(cluster, "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts", {
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "client"}})
    raw = cluster.token_request(namespace, "client", audience="ome-mcp-e2e", seconds=600)

    # discovery and keys without any credential, as an OIDC relying party fetches them
    status, discovery = cluster.request(
        "GET", "/.well-known/openid-configuration", anonymous=True)
    assert status == 200, discovery
    assert discovery["issuer"] == cluster.issuer_url
    jwks_uri = urlsplit(discovery["jwks_uri"])
    assert f"{jwks_uri.scheme}://{jwks_uri.netloc}" == cluster.issuer_url
    status, jwks = cluster.request("GET", jwks_uri.path, anonymous=True)
    assert status == 200, jwks

    token = jwt.decode(raw, KeySet.import_key_set(jwks), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": cluster.issuer_url},
        aud={"essential": True, "values": ["ome-mcp-e2e"]},
        sub={"essential": True, "value": f"system:serviceaccount:{namespace}:client"},
        exp={"essential": True},
    ).validate(token.claims)

    header, payload, signature = raw.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "system:serviceaccount:kube-system:default"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{header}.{forged}.{signature}", KeySet.import_key_set(jwks),
                   algorithms=["RS256"])


def test_anonymous_requests_reach_discovery_only(cluster: Cluster) -> None:
    status, _ = cluster.request("GET", "/api/v1/namespaces", anonymous=True)
    assert status == 403


def test_the_kubeconfig_reaches_the_api_server_as_admin(cluster: Cluster) -> None:
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    entry = config["clusters"][0]["cluster"]
    user = config["users"][0]["user"]
    assert entry["server"] == cluster.server
    context = ssl.create_default_context(
        cadata=base64.b64decode(entry["certificate-authority-data"]).decode())
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = Path(tmp, "c.pem"), Path(tmp, "k.pem")
        cert.write_bytes(base64.b64decode(user["client-certificate-data"]))
        key.write_bytes(base64.b64decode(user["client-key-data"]))
        context.load_cert_chain(cert, key)
    url = urlsplit(entry["server"])
    conn = http.client.HTTPSConnection(url.hostname or "", url.port, context=context, timeout=10)
    try:
        conn.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                     body=json.dumps({"apiVersion": "authentication.k8s.io/v1",
                                      "kind": "SelfSubjectReview"}),
                     headers={"Content-Type": "application/json"})
        answer = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    assert "system:masters" in answer["status"]["userInfo"]["groups"]


def _listening(pid: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses ``pid`` listens on (TCP), from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(fields[1].split(":")[0])
            # /proc prints each 32-bit word of the address in host (little-endian) order
            ordered = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.append(ipaddress.ip_address(ordered))
    return found


def test_nothing_listens_beyond_loopback(cluster: Cluster) -> None:
    pids = cluster.pids()
    listening = {name: _listening(pid) for name, pid in pids.items() if pid}
    assert set(listening) == set(COMPONENTS)
    assert listening["kube-apiserver"]
    assert listening["etcd"]
    for name, addresses in listening.items():
        for address in addresses:
            mapped = getattr(address, "ipv4_mapped", None)
            assert (mapped or address).is_loopback, f"{name} listens on {address}"


def test_start_again_while_running_changes_nothing(cluster: Cluster) -> None:
    before = cluster.pids()
    assert cluster.start() == cluster.kubeconfig
    assert cluster.pids() == before


def fake_toolchain(directory: Path, script: str) -> Path:
    """A bin directory whose every component is the shell ``script``."""
    directory.mkdir()
    for name in COMPONENTS:
        (directory / name).write_text(f"#!/bin/sh\n{script}\n")
        (directory / name).chmod(0o755)
    return directory


def test_a_component_that_dies_fails_start_naming_its_log(tmp_path: Path) -> None:
    bin_dir = fake_toolchain(tmp_path / "bin", "echo 'no etcd today' >&2; exit 3")
    broken = Cluster(root=tmp_path / "state", bin_dir=bin_dir)
    with pytest.raises(ClusterError) as failure:
        broken.start()
    message = str(failure.value)
    assert "etcd exited (exit code 3)" in message
    assert str(broken.log_file("etcd")) in message
    assert "no etcd today" in message
    assert not any(broken.pids().values())


def test_a_component_that_hangs_fails_start_in_time_and_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("devtools.cluster.ETCD_TIMEOUT", 1.0)
    bin_dir = fake_toolchain(tmp_path / "bin", "echo 'etcd is thinking' >&2; sleep 600")
    hung = Cluster(root=tmp_path / "state", bin_dir=bin_dir)
    with pytest.raises(ClusterTimeoutError) as failure:
        hung.start()
    message = str(failure.value)
    assert "timed out after 1 s waiting for etcd healthy" in message
    assert str(hung.log_file("etcd")) in message
    assert "etcd is thinking" in message
    assert not any(hung.pids().values())


def test_the_cluster_survives_stop_and_start(cluster: Cluster, namespace: str) -> None:
    ok(cluster, "POST", f"/api/v1/namespaces/{namespace}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "survivor"},
        "data": {"kept": "yes"}})
    cluster.stop()
    assert not any(cluster.pids().values())
    assert not cluster.running()
    assert cluster.start() == cluster.kubeconfig
    assert cluster.running()
    kept = ok(cluster, "GET", f"/api/v1/namespaces/{namespace}/configmaps/survivor")
    assert kept["data"] == {"kept": "yes"}
    for name in NODES:
        assert condition(ok(cluster, "GET", f"/api/v1/nodes/{name}"), "Ready") == "True"
    raw = cluster.token_request(namespace, "default", audience="ome-mcp-e2e", seconds=600)
    assert raw.count(".") == 2
