"""Helpers of the real-engine tests: a project run by the real Pulumi CLI, and the objects
the local API server holds compared with what ``ome-mcp render`` prints.

- ``PulumiProject``: a copy of a Pulumi project in a temporary directory, with its own
  stack on the file backend; ``up``, ``preview``, ``destroy`` run ``devtools.pulumi_driver``
  in a subprocess (one operation per process, as the CLI runs a program).
- ``render(path)``: the objects ``ome-mcp render`` prints for a project or manifests.
- ``object_path(obj)``: the API server path of an object; ``live_problems(rendered,
  live)`` lists where the live object differs from the rendered one (fields the server
  adds, such as defaults, status and metadata it owns, are not differences).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
OME_MCP = Path(sys.executable).parent / "ome-mcp"

#: kind -> (API group path, plural, namespaced)
KINDS: dict[str, tuple[str, str, bool]] = {
    "Namespace": ("api/v1", "namespaces", False),
    "ServiceAccount": ("api/v1", "serviceaccounts", True),
    "ConfigMap": ("api/v1", "configmaps", True),
    "Secret": ("api/v1", "secrets", True),
    "Service": ("api/v1", "services", True),
    "Pod": ("api/v1", "pods", True),
    "Event": ("api/v1", "events", True),
    "Deployment": ("apis/apps/v1", "deployments", True),
    "StatefulSet": ("apis/apps/v1", "statefulsets", True),
    "ReplicaSet": ("apis/apps/v1", "replicasets", True),
    "Role": ("apis/rbac.authorization.k8s.io/v1", "roles", True),
    "RoleBinding": ("apis/rbac.authorization.k8s.io/v1", "rolebindings", True),
    "NetworkPolicy": ("apis/networking.k8s.io/v1", "networkpolicies", True),
    "PodDisruptionBudget": ("apis/policy/v1", "poddisruptionbudgets", True),
    "CiliumNetworkPolicy": ("apis/cilium.io/v2", "ciliumnetworkpolicies", True),
    "ServiceMonitor": ("apis/monitoring.coreos.com/v1", "servicemonitors", True),
}


def collection_path(kind: str, namespace: str | None = None) -> str:
    group, plural, namespaced = KINDS[kind]
    if namespaced and namespace:
        return f"/{group}/namespaces/{namespace}/{plural}"
    return f"/{group}/{plural}"


def object_path(obj: Mapping[str, Any]) -> str:
    meta = obj["metadata"]
    return f"{collection_path(obj['kind'], meta.get('namespace'))}/{meta['name']}"


def render(path: Path, *extra: str) -> list[dict[str, Any]]:
    """The objects ``ome-mcp render`` prints for ``path``."""
    out = subprocess.run([str(OME_MCP), "render", str(path), *extra],
                         capture_output=True, text=True, check=False, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@dataclass
class Result:
    ok: bool
    stdout: str
    stderr: str
    changes: dict[str, int]
    outputs: dict[str, Any]
    #: the policy packs' verdicts: pack, policy, level, type, name, message
    policies: list[dict[str, str]] = field(default_factory=list)
    #: the engine's steps: op (same, create, update, replace, delete, ...), type, name
    steps: list[dict[str, str]] = field(default_factory=list)

    def changed(self) -> dict[str, str]:
        """``"<type> <name>" -> op`` of every step that is not ``same`` or a read."""
        return {f"{s['type']} {s['name']}": s["op"] for s in self.steps
                if s["op"] not in ("same", "read")}

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


@dataclass
class PulumiProject:
    """A copy of ``source`` under ``workdir`` with stack ``stack`` on the file backend."""

    source: Path
    workdir: Path
    env: dict[str, str]
    #: the stack's name; one of its own by default, as the file backend is shared by the
    #: session and one project may be deployed by several tests
    stack: str = ""
    config: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.stack:
            self.stack = f"e2e-{uuid.uuid4().hex[:8]}"
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.workdir.mkdir(parents=True)
        # a project is its top-level files (the demo project is the repository root)
        for path in self.source.iterdir():
            if path.is_file() and (path.suffix == ".py" or path.name.startswith("Pulumi.")
                                   or path.name in {"requirements.txt", "manifest.yaml"}):
                shutil.copy2(path, self.workdir / path.name)

    @property
    def main(self) -> Path:
        return self.workdir / "__main__.py"

    def run(self, operation: str, *, policy_packs: Sequence[Path] = (),
            expect_no_changes: bool = False, timeout: float = 600) -> Result:
        result_file = self.workdir / f".result-{operation}.json"
        cmd = [sys.executable, "-m", "devtools.pulumi_driver", operation, str(self.workdir),
               "--stack", self.stack, "--result", str(result_file)]
        for key, value in self.config.items():
            cmd += ["--config", f"{key}={value}"]
        for pack in policy_packs:
            cmd += ["--policy-pack", str(pack)]
        if expect_no_changes:
            cmd.append("--expect-no-changes")
        proc = subprocess.run(cmd, env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if not result_file.exists():
            raise AssertionError(f"pulumi {operation} of {self.source.name} crashed:\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        data = json.loads(result_file.read_text(encoding="utf-8"))
        result_file.unlink()
        return Result(data["ok"], data["stdout"], data["stderr"] + proc.stderr,
                      data["changes"], data["outputs"], data.get("policies", []),
                      data.get("steps", []))

    def up(self, **kw: Any) -> Result:
        return self.run("up", **kw)

    def preview(self, **kw: Any) -> Result:
        return self.run("preview", **kw)

    def destroy(self) -> Result:
        return self.run("destroy")


#: Metadata the API server or the provider owns.
SERVER_METADATA = {"uid", "resourceVersion", "generation", "creationTimestamp",
                   "managedFields", "selfLink", "deletionGracePeriodSeconds"}


def live_problems(rendered: Any, live: Any, path: str = "") -> list[str]:
    """Where ``live`` differs from ``rendered``: every rendered field must be in the live
    object with the same value (lists element by element); fields only the live object
    has are the server's defaults and are ignored."""
    if isinstance(rendered, Mapping):
        if not isinstance(live, Mapping):
            return [f"{path or '.'}: rendered a mapping, live has {live!r}"]
        problems = []
        for key, value in rendered.items():
            if path == ".metadata" and key in SERVER_METADATA:
                continue
            if key not in live:
                problems.append(f"{path}.{key}: rendered {value!r}, absent from the live object")
                continue
            problems += live_problems(value, live[key], f"{path}.{key}")
        return problems
    if isinstance(rendered, list):
        if not isinstance(live, list) or len(live) != len(rendered):
            return [f"{path}: rendered {rendered!r}, live {live!r}"]
        return [p for i, (r, v) in enumerate(zip(rendered, live, strict=True))
                for p in live_problems(r, v, f"{path}[{i}]")]
    if rendered != live:
        return [f"{path}: rendered {rendered!r}, live {live!r}"]
    return []


#: Pod Security labels of every namespace the real-engine tests deploy into.
RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
}
OURS = "app.kubernetes.io/managed-by=ome-mcp-components"
#: Kinds we create in a namespace, listed when checking that a destroy left nothing.
OWNED_KINDS = ("ServiceAccount", "ConfigMap", "Service", "Deployment", "StatefulSet",
               "ReplicaSet", "Pod", "Role", "RoleBinding", "NetworkPolicy",
               "PodDisruptionBudget")


def _cilium_crd() -> dict[str, Any]:
    """A stand-in CRD for CiliumNetworkPolicy: the API server must know the kind to store
    the objects; Cilium itself does not run here (nothing would enforce them), so the CRD
    keeps the objects as written (Cilium's own CRD has a schema; ours is checked against
    tests/schemas/cilium_network_policy.json offline)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "ciliumnetworkpolicies.cilium.io"},
        "spec": {
            "group": "cilium.io",
            "scope": "Namespaced",
            "names": {"kind": "CiliumNetworkPolicy", "plural": "ciliumnetworkpolicies",
                      "singular": "ciliumnetworkpolicy", "listKind": "CiliumNetworkPolicyList",
                      "shortNames": ["cnp"]},
            "versions": [{
                "name": "v2", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": {
                    "type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            }],
        },
    }


def _outside_service_accounts(rendered: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """ServiceAccounts the workloads run as that the stack does not create
    (``spec.serviceAccount`` names one that exists beforehand, as for a user)."""
    created = {(o["metadata"]["namespace"], o["metadata"]["name"])
               for o in rendered if o["kind"] == "ServiceAccount"}
    used = {(o["metadata"]["namespace"], o["spec"]["template"]["spec"]["serviceAccountName"])
            for o in rendered if o["kind"] in ("Deployment", "StatefulSet")
            and o["spec"]["template"]["spec"].get("serviceAccountName")}
    return used - created


def _node_selectors(rendered: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Node labels the pod templates select (a node pool a platform team labels)."""
    labels: dict[str, str] = {}
    for o in rendered:
        if o["kind"] in ("Deployment", "StatefulSet"):
            labels.update(o["spec"]["template"]["spec"].get("nodeSelector") or {})
    return labels


def _priority_classes(rendered: Sequence[Mapping[str, Any]]) -> set[str]:
    """PriorityClasses the pod templates name (cluster objects a platform team creates)."""
    return {o["spec"]["template"]["spec"]["priorityClassName"] for o in rendered
            if o["kind"] in ("Deployment", "StatefulSet")
            and o["spec"]["template"]["spec"].get("priorityClassName")}


class Kube:
    """What the real-engine tests ask the local API server (through the cluster's admin)."""

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        #: namespaces this object created, deleted by ``cleanup``
        self.created: list[str] = []

    def get(self, path: str) -> tuple[int, Any]:
        status, body = self.cluster.request("GET", path)
        return int(status), body

    def items(self, path: str, selector: str | None = None) -> list[dict[str, Any]]:
        query = f"?labelSelector={selector}" if selector else ""
        status, body = self.get(path + query)
        assert status == 200, f"GET {path}: {status} {body}"
        return list(body.get("items") or [])

    def live_differences(self, rendered: Sequence[Mapping[str, Any]]) -> list[str]:
        """Where the API server's objects differ from ``rendered`` (``live_problems``), or
        are missing."""
        problems: list[str] = []
        for obj in rendered:
            status, live = self.get(object_path(obj))
            where = f"{obj['kind']} {obj['metadata']['name']}"
            if status != 200:
                problems.append(f"{where}: HTTP {status}")
                continue
            problems += [f"{where}{p}" for p in live_problems(obj, live)]
        return problems

    def ensure_namespace(self, name: str, labels: Mapping[str, str] = RESTRICTED) -> None:
        """A fresh namespace ``name`` (one left over by an earlier run is deleted first:
        its objects would belong to another stack's field manager)."""
        if name in self.created:
            return
        if self.get(f"/api/v1/namespaces/{name}")[0] == 200:
            self.delete_namespaces([name])
        status, body = self.cluster.request(
            "POST", "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": name, "labels": dict(labels)}})
        assert status == 201, f"namespace {name}: {status} {body}"
        self.created.append(name)

    def delete_namespaces(self, names: Sequence[str], timeout: float = 180) -> None:
        for name in names:
            self.cluster.request("DELETE", f"/api/v1/namespaces/{name}")
        deadline = time.monotonic() + timeout
        for name in names:
            while self.get(f"/api/v1/namespaces/{name}")[0] != 404:
                assert time.monotonic() < deadline, f"namespace {name} not deleted"
                time.sleep(0.5)

    def cleanup(self) -> None:
        """Delete the namespaces this object created (a failed test leaves none behind)."""
        self.delete_namespaces(self.created)
        self.created.clear()

    def ensure_crd(self, crd: dict[str, Any]) -> None:
        path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        status, body = self.cluster.request("POST", path, crd)
        assert status in (201, 409), f"CRD {crd['metadata']['name']}: {status} {body}"
        for _ in range(100):
            _, got = self.get(f"{path}/{crd['metadata']['name']}")
            conditions = {c["type"]: c["status"]
                          for c in (got.get("status") or {}).get("conditions") or []}
            if conditions.get("Established") == "True":
                return
            time.sleep(0.1)
        raise AssertionError(f"CRD {crd['metadata']['name']} not established")

    def prepare(self, rendered: Sequence[Mapping[str, Any]]) -> list[str]:
        """Namespaces (restricted) and kinds the rendered objects need; returns the
        namespaces."""
        namespaces = sorted({o["metadata"]["namespace"] for o in rendered
                             if o["metadata"].get("namespace")})
        for ns in namespaces:
            self.ensure_namespace(ns)
        for ns, name in _outside_service_accounts(rendered):
            self.cluster.apply(collection_path("ServiceAccount", ns), {
                "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": name, "namespace": ns}})
        node_labels = _node_selectors(rendered)
        if node_labels:
            for node in self.items("/api/v1/nodes"):
                self.cluster.request("PATCH", f"/api/v1/nodes/{node['metadata']['name']}",
                                     {"metadata": {"labels": node_labels}})
        for name in _priority_classes(rendered):
            self.cluster.apply("/apis/scheduling.k8s.io/v1/priorityclasses", {
                "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                "metadata": {"name": name}, "value": 1000})
        if any(o["kind"] == "CiliumNetworkPolicy" for o in rendered):
            self.ensure_crd(_cilium_crd())
        return namespaces

    def failed_creates(self, namespaces: Sequence[str]) -> list[str]:
        """Events saying Pod Security admission refused a Pod a controller created.

        (A FailedCreate for a ServiceAccount the controllers have not seen yet is retried
        and settles; it says nothing about admission.)"""
        return [f"{ns}: {e['involvedObject']['kind']} {e['involvedObject']['name']}: "
                f"{e.get('message')}"
                for ns in namespaces for e in self.items(collection_path("Event", ns))
                if e.get("reason") == "FailedCreate"
                and "PodSecurity" in str(e.get("message"))]

    def unready_workloads(self, rendered: Sequence[Mapping[str, Any]]) -> list[str]:
        problems = []
        for obj in rendered:
            if obj["kind"] not in ("Deployment", "StatefulSet"):
                continue
            _, live = self.get(object_path(obj))
            want = (obj.get("spec") or {}).get("replicas", 1)
            ready = (live.get("status") or {}).get("readyReplicas", 0)
            if ready != want:
                problems.append(f"{obj['kind']} {obj['metadata']['name']}: {ready}/{want} ready")
        return problems

    @staticmethod
    def expected_pods(rendered: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        return {f"{o['metadata']['namespace']}/{o['metadata']['name']}":
                (o.get("spec") or {}).get("replicas", 1)
                for o in rendered if o["kind"] in ("Deployment", "StatefulSet")}

    def pods_of(self, rendered: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        """Running pods per workload, found by the workload's own selector."""
        counts = {}
        for obj in rendered:
            if obj["kind"] not in ("Deployment", "StatefulSet"):
                continue
            labels = obj["spec"]["selector"]["matchLabels"]
            selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
            ns = obj["metadata"]["namespace"]
            pods = [p for p in self.items(collection_path("Pod", ns), selector)
                    if (p.get("status") or {}).get("phase") == "Running"
                    and not p["metadata"].get("deletionTimestamp")]
            counts[f"{ns}/{obj['metadata']['name']}"] = len(pods)
        return counts

    def ours_left(self, namespaces: Sequence[str], timeout: float = 60) -> list[str]:
        """Objects with our labels still in the namespaces (waiting out garbage
        collection of ReplicaSets and Pods)."""
        deadline = time.monotonic() + timeout
        while True:
            left = [f"{kind} {ns}/{o['metadata']['name']}"
                    for ns in namespaces for kind in OWNED_KINDS
                    for o in self.items(collection_path(kind, ns), OURS)]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(1)


def prepare_pack(root: Path) -> Path:
    """``policy_pack/`` copied to ``root/policy_pack`` beside ``root/dist`` holding this
    checkout's wheel: what the pack's requirements.txt installs from (``../dist``). The
    Pulumi CLI creates the pack's ``venv`` from it on first use."""
    pack = root / "policy_pack"
    shutil.copytree(ROOT / "policy_pack", pack,
                    ignore=shutil.ignore_patterns("venv", "__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"),
         str(ROOT)], capture_output=True, text=True, check=False, timeout=600)
    assert built.returncode == 0, built.stderr
    return pack
