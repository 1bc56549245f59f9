"""The gateway against the local control plane (``devtools/cluster.py``): the rendered
objects applied to the API server, the gateway ServiceAccount's own token from the
TokenRequest API, and a local copy of the projected volume the gateway pod mounts.

Namespaces of their own (``SERVER_NAMESPACE``, ``CLIENT_NAMESPACE``), created once per
session and deleted at its end, so that the real-engine tests sharing the control plane
never see these objects.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gateway_harness import Rendered

#: Where the servers' objects go, and where the calling service accounts live.
SERVER_NAMESPACE = "ome-gw-tools"
CLIENT_NAMESPACE = "ome-gw-clients"
#: Collections of the kinds a server renders, by kind (``{ns}`` is the namespace).
COLLECTIONS = {
    "ServiceAccount": "/api/v1/namespaces/{ns}/serviceaccounts",
    "ConfigMap": "/api/v1/namespaces/{ns}/configmaps",
    "Service": "/api/v1/namespaces/{ns}/services",
    "Role": "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
    "RoleBinding": "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
    "StatefulSet": "/apis/apps/v1/namespaces/{ns}/statefulsets",
    "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
    "NetworkPolicy": "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies",
}
READY_TIMEOUT = 90.0


def collection(obj: dict[str, Any]) -> str:
    return COLLECTIONS[obj["kind"]].format(ns=obj["metadata"]["namespace"])


NAMESPACE_TIMEOUT = 180.0


def create_namespace(cluster: Any, name: str) -> None:
    """Create namespace ``name`` afresh: one left by an earlier session (the control
    plane keeps its state across stops, possibly with the namespace still terminating)
    is deleted first, and waited for (bounded)."""
    path = f"/api/v1/namespaces/{name}"
    deadline = time.monotonic() + NAMESPACE_TIMEOUT
    while True:
        status, body = cluster.request("GET", path)
        if status == 404:
            break
        if not (body.get("metadata") or {}).get("deletionTimestamp"):
            cluster.request("DELETE", path)
        if time.monotonic() > deadline:
            raise AssertionError(f"namespace {name} is still there after "
                                 f"{NAMESPACE_TIMEOUT} s: {body.get('status')}")
        time.sleep(1)
    cluster.apply("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                         "metadata": {"name": name}})


def delete_namespace(cluster: Any, name: str) -> None:
    cluster.request("DELETE", f"/api/v1/namespaces/{name}")


def create_service_account(cluster: Any, namespace: str, name: str) -> None:
    cluster.apply(f"/api/v1/namespaces/{namespace}/serviceaccounts",
                  {"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": {"name": name, "namespace": namespace}})


def apply_rendered(cluster: Any, rendered: Rendered, kinds: set[str] | None = None) -> None:
    """Create the rendered objects (of ``kinds``, default all) in apply order."""
    for obj in rendered.objects:
        if kinds is None or obj["kind"] in kinds:
            cluster.apply(collection(obj), obj)


def wait_ready(cluster: Any, namespace: str, statefulset: str) -> None:
    """Until KWOK has made the StatefulSet's pod ready (bounded)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        status, body = cluster.request(
            "GET", f"/apis/apps/v1/namespaces/{namespace}/statefulsets/{statefulset}")
        if status == 200 and (body.get("status") or {}).get("readyReplicas", 0) >= 1:
            return
        time.sleep(1)
    raise AssertionError(f"StatefulSet {namespace}/{statefulset} did not become ready")


def projected_volume(cluster: Any, rendered: Rendered, directory: Path) -> str:
    """A local copy of the gateway pod's projected volume: ``ca.crt`` (the cluster CA),
    ``token`` (the gateway ServiceAccount's, for the API server's default audience, as
    the kubelet projects it) and ``namespace``. Returns the token."""
    account = rendered.object("Deployment", f"{rendered.name}-gateway")[
        "spec"]["template"]["spec"]["serviceAccountName"]
    token = cluster.token_request(rendered.namespace, account, audience=cluster.issuer_url)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ca.crt").write_bytes(Path(cluster.ca_file).read_bytes())
    (directory / "token").write_text(token)
    (directory / "namespace").write_text(rendered.namespace)
    return token


def access_review(cluster: Any, namespace: str, account: str, *, verb: str, resource: str,
                  name: str = "", group: str = "", subresource: str = "") -> bool:
    """Would RBAC let ``namespace/account`` do this (a SubjectAccessReview, as the admin)?"""
    attributes = {"namespace": namespace, "verb": verb, "group": group, "resource": resource,
                  "subresource": subresource, "name": name}
    user = f"system:serviceaccount:{namespace}:{account}"
    status, body = cluster.request(
        "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
         "spec": {"user": user, "groups": ["system:serviceaccounts",
                                           f"system:serviceaccounts:{namespace}",
                                           "system:authenticated"],
                  "resourceAttributes": attributes}})
    assert status == 201, body
    return bool(body["status"].get("allowed"))
