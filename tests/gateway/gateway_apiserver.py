"""A recording stand-in for the Kubernetes API server the gateway talks to.

The runner builds a Kubernetes client from its in-cluster config before anything else
(``container.NewFactory().Create``), whatever it proxies. The tests point that config
(as a kubeconfig: loopback address, the gateway ServiceAccount's token, the namespace,
the CA) at this server, which serves HTTPS with a certificate of the test CA (a
Kubernetes client sends no credentials over plain http) and

- records every request (``calls``: verb, API group, resource, subresource, name,
  query, bearer token), the way the API server's audit log would;
- authorizes each one against the rules of the gateway's rendered Role (``rules``), as
  RBAC does (API group, resource/subresource, verb, ``resourceNames``); a request no
  rule allows gets the API server's 403 ``Status``;
- answers what a stdio gateway reads: the server's StatefulSet (``objects``) with one
  ready replica, its pod ``<n>-0`` (labels and containers of the template), and for the
  attach, the error a control plane without a kubelet gives (there is none here, nor in
  KWOK's cluster: no container ever runs, so nothing can be attached to).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gateway_issuer import TestCA

_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass(frozen=True)
class Call:
    """One API request, as RBAC sees it."""

    verb: str
    group: str
    resource: str
    subresource: str
    name: str
    namespace: str
    query: dict[str, list[str]]
    token: str | None
    status: int = 0

    @property
    def resource_path(self) -> str:
        """``resource[/subresource]``, as RBAC rules spell it."""
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def describe(self) -> str:
        selector = {k: v for k, v in self.query.items() if k.endswith("Selector")}
        return (f"{self.verb} {self.group or 'core'}/{self.resource_path}"
                f"{' ' + self.name if self.name else ''}{' ' + str(selector) if selector else ''}"
                f" -> {self.status}")


def parse(method: str, target: str, token: str | None) -> Call | None:
    """The RBAC attributes of a resource request (None for discovery and other paths)."""
    split = urlsplit(target)
    parts = [p for p in split.path.split("/") if p]
    query = parse_qs(split.query)
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return None
    namespace = ""
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return None
    resource, name, subresource = rest[0], rest[1] if len(rest) > 1 else "", (
        rest[2] if len(rest) > 2 else "")
    if method == "GET":
        verb = "get" if name else ("watch" if query.get("watch") == ["true"] else "list")
    else:
        verb = _VERBS.get(method, method.lower())
    return Call(verb, group, resource, subresource, name, namespace, query, token)


def allowed(call: Call, rules: Sequence[Mapping[str, Any]]) -> bool:
    """Does any RBAC rule allow ``call``? (Kubernetes' ``RuleAllows``, for resource rules.)"""
    for rule in rules:
        if not _matches(rule.get("apiGroups", []), call.group):
            continue
        if not _matches(rule.get("resources", []), call.resource_path):
            continue
        if not _matches(rule.get("verbs", []), call.verb):
            continue
        names = rule.get("resourceNames") or []
        if names and call.name not in names:
            continue
        return True
    return False


def unused_grants(calls: Sequence[Call], rules: Sequence[Mapping[str, Any]]
                  ) -> list[tuple[str, str, str, str]]:
    """Every (API group, resource, verb, resource name) the rules grant that no call in
    ``calls`` used: empty when the rules are exactly what the calls need."""
    unused = []
    for rule in rules:
        for group in rule.get("apiGroups", []):
            for resource in rule.get("resources", []):
                for verb in rule.get("verbs", []):
                    for name in rule.get("resourceNames") or [""]:
                        grant = {"apiGroups": [group], "resources": [resource],
                                 "verbs": [verb], "resourceNames": [name] if name else []}
                        if not any(allowed(c, [grant]) for c in calls):
                            unused.append((group, resource, verb, name))
    return unused


def _matches(values: Sequence[str], value: str) -> bool:
    return "*" in values or value in values


@dataclass
class RecordingAPIServer:
    """HTTPS on a free loopback port (see the module docstring)."""

    namespace: str
    rules: list[dict[str, Any]]
    ca: TestCA
    objects: list[dict[str, Any]] = field(default_factory=list)
    #: Whether the StatefulSets in ``objects`` report their replica ready.
    ready: bool = True
    calls: list[Call] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def snapshot(self) -> list[Call]:
        with self._lock:
            return list(self.calls)

    def wait_for(self, predicate: Any, timeout: float) -> list[Call]:
        """Poll (bounded) until ``predicate(calls)`` holds; returns the calls so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.snapshot()
            if predicate(calls):
                return calls
            time.sleep(0.2)
        return self.snapshot()

    def start(self) -> RecordingAPIServer:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                auth = self.headers.get("Authorization") or ""
                token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
                call = parse(self.command, self.path, token)
                status, body = api.answer(call)
                if call is not None:
                    with api._lock:
                        api.calls.append(Call(**{**call.__dict__, "status": status}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        cert_file, key_file = self.ca.leaf("apiserver")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- answers ---------------------------------------------------------------------

    def answer(self, call: Call | None) -> tuple[int, dict[str, Any]]:
        if call is None:
            return 404, _status(404, "NotFound", "the page could not be found")
        if call.namespace != self.namespace or not allowed(call, self.rules):
            return 403, _status(403, "Forbidden", f"{call.verb} {call.resource_path} "
                                f"{call.name!r} is forbidden for the gateway's ServiceAccount")
        if call.resource_path == "pods/attach":
            return 500, _status(500, "InternalError",
                                "error dialing backend: no kubelet serves this node")
        if call.resource == "statefulsets" and call.verb == "get":
            for obj in self.objects:
                if obj["kind"] == "StatefulSet" and obj["metadata"]["name"] == call.name:
                    return 200, _served(obj, ready=self.ready)
        if call.resource == "pods" and call.verb == "list":
            return 200, {"kind": "PodList", "apiVersion": "v1", "metadata": {},
                         "items": [p for p in self._pods() if _selected(p, call.query)]}
        return 404, _status(404, "NotFound", f"{call.resource} {call.name!r} not found")

    def _pods(self) -> list[dict[str, Any]]:
        pods = []
        for obj in self.objects:
            if obj["kind"] != "StatefulSet":
                continue
            template = obj["spec"]["template"]
            pods.append({"kind": "Pod", "apiVersion": "v1", "metadata": {
                "name": f"{obj['metadata']['name']}-0", "namespace": self.namespace,
                "labels": template["metadata"].get("labels", {})},
                "spec": template["spec"], "status": {"phase": "Running"}})
        return pods


def _served(statefulset: dict[str, Any], *, ready: bool) -> dict[str, Any]:
    """The StatefulSet as the API server holds it, its pod ready or not yet."""
    meta = {**statefulset["metadata"], "generation": 1, "uid": "0000-sts",
            "creationTimestamp": "2026-01-01T00:00:00Z"}
    count = 1 if ready else 0
    return {**statefulset, "metadata": meta,
            "status": {"observedGeneration": 1, "replicas": 1, "readyReplicas": count,
                       "availableReplicas": count, "currentReplicas": 1, "updatedReplicas": 1}}


def _selected(pod: dict[str, Any], query: Mapping[str, list[str]]) -> bool:
    labels = pod["metadata"].get("labels", {})
    for term in ",".join(query.get("labelSelector", [])).split(","):
        if term and "=" in term:
            key, value = term.split("=", 1)
            if labels.get(key) != value:
                return False
        elif term and labels.get(term) is None:
            return False
    for term in ",".join(query.get("fieldSelector", [])).split(","):
        if term.startswith("metadata.name=") and pod["metadata"]["name"] != term.split("=", 1)[1]:
            return False
    return True


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
