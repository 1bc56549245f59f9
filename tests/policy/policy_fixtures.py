"""Helpers of the policy-pack tests: runners that call a policy's own ``validate`` the
way the pack's gRPC server does, and builders of hand-made secure objects (shaped as
design.md sections 3 and 4 say the components render them).

A plain module (not a conftest) so that test modules can use the builders in their
parametrize tables; pytest puts this directory on ``sys.path``.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from ome_mcp_components import sdk_internals
from ome_mcp_components.offline.recording import RecordedResource, Recording
from ome_mcp_components.offline.values import to_struct

PACK_DIR = Path(__file__).resolve().parents[2] / "policy_pack"
if str(PACK_DIR) not in sys.path:  # the pack's own modules, as `python -m pulumi.policy` sees them
    sys.path.insert(0, str(PACK_DIR))

from ome_mcp_policy import POLICIES  # noqa: E402

STACK_URN = "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev"
TYPES = {
    "Pod": "kubernetes:core/v1:Pod",
    "Deployment": "kubernetes:apps/v1:Deployment",
    "StatefulSet": "kubernetes:apps/v1:StatefulSet",
    "DaemonSet": "kubernetes:apps/v1:DaemonSet",
    "ReplicaSet": "kubernetes:apps/v1:ReplicaSet",
    "Job": "kubernetes:batch/v1:Job",
    "CronJob": "kubernetes:batch/v1:CronJob",
    "Service": "kubernetes:core/v1:Service",
    "ServiceAccount": "kubernetes:core/v1:ServiceAccount",
    "ConfigMap": "kubernetes:core/v1:ConfigMap",
    "NetworkPolicy": "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "MCPServer": "ome-mcp:index:MCPServer",
    "ClusterMCPServer": "ome-mcp:index:ClusterMCPServer",
    "PermissionProfile": "ome-mcp:index:PermissionProfile",
}
SERVER = "app.kubernetes.io/component"


def urn(resource_type: str, name: str) -> str:
    """The URN the engine gives a resource of the demo stack."""
    return f"urn:pulumi:dev::demo::{resource_type}::{name}"


def over_the_wire(props: Mapping[str, Any]) -> Any:
    """Props as a policy receives them from the pack's server: through a protobuf
    Struct (numbers become floats) and wrapped in pulumi-policy's read-only proxies."""
    return sdk_internals.unknown_checking_proxy(json_format.MessageToDict(to_struct(props)))


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def run_resource_policy(name: str, resource_type: str, props: Mapping[str, Any],
                        config: Mapping[str, Any] | None = None) -> list[str]:
    """The messages policy ``name`` reports for one resource."""
    policy = next(p for p in POLICIES if p.name == name)
    messages: list[str] = []
    args = ResourceValidationArgs(resource_type, over_the_wire(props), urn(resource_type, "r"),
                                  "r", _options(), None, config or {})
    policy.validate(args, lambda message, _urn=None: messages.append(message))
    return messages


def run_stack_policy(name: str, resources: list[tuple[str, Mapping[str, Any]]],
                     config: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """The (urn, message) pairs stack policy ``name`` reports for ``(type, props)`` pairs."""
    policy = next(p for p in POLICIES if p.name == name)
    stack = [PolicyResource(t, over_the_wire(props), urn(t, f"r{i}"), f"r{i}", _options(), None,
                            None, [], {}) for i, (t, props) in enumerate(resources)]
    found: list[tuple[str, str]] = []
    policy.validate(StackValidationArgs(stack, config or {}),
                    lambda message, u=None: found.append((u or "", message)))
    return found


def secure_container(name: str = "mcp", image: str = "ghcr.io/acme/tool:v1.2.3") -> dict[str, Any]:
    """A container that meets every workload policy (design.md section 4)."""
    return {
        "name": name,
        "image": image,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "500m", "memory": "512Mi"}},
    }


def pod_template(labels: Mapping[str, str], *, service_account: str = "app",
                 automount: bool = False, name: str = "mcp") -> dict[str, Any]:
    """A restricted pod template with one secure container."""
    return {
        "metadata": {"labels": dict(labels)},
        "spec": {
            "serviceAccountName": service_account,
            "automountServiceAccountToken": automount,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65532,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [secure_container(name)],
        },
    }


def workload(kind: str, template: Mapping[str, Any], name: str = "app",
             namespace: str = "tools") -> dict[str, Any]:
    """An object of ``kind`` that runs ``template`` (for a Pod: is it)."""
    metadata = {"name": name, "namespace": namespace}
    template = copy.deepcopy(dict(template))
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {**metadata, **template["metadata"]}, "spec": template["spec"]}
    selector = {"matchLabels": dict(template["metadata"]["labels"])}
    if kind == "CronJob":
        template["spec"]["restartPolicy"] = "Never"
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": metadata,
                "spec": {"schedule": "0 * * * *",
                         "jobTemplate": {"spec": {"template": template}}}}
    if kind == "Job":
        template["spec"]["restartPolicy"] = "Never"
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": metadata,
                "spec": {"template": template}}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": metadata,
            "spec": {"replicas": 1, "selector": selector, "template": template}}


def server_labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "ome-mcp",
            "app.kubernetes.io/managed-by": "ome-mcp-components", "ome.io/mcp-server": name,
            SERVER: "mcp-server"}


def gateway_labels(name: str) -> dict[str, str]:
    return {**server_labels(name), SERVER: "mcp-gateway"}


def network_policy(name: str, namespace: str, selector: Mapping[str, str],
                   types: list[str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": {"matchLabels": dict(selector)}, "policyTypes": types}
    if "Ingress" in types:
        spec["ingress"] = []
    if "Egress" in types:
        spec["egress"] = []
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def server_spec(**overrides: Any) -> dict[str, Any]:
    """A hosted MCPServerSpec as the components record it (camelCase, defaults applied)."""
    spec: dict[str, Any] = {
        "type": "Hosted", "image": "ghcr.io/acme/tool:v1.2.3", "transport": "streamable-http",
        "replicas": 1, "port": 8080, "targetPort": 8080, "args": [], "env": [],
        "volumeMounts": [], "secrets": [], "toolsFilter": [], "tolerations": [],
        "nodeSelector": {}, "volumes": [],
        "permissionProfile": {"type": "builtin", "name": "none"},
        "oidcConfig": {"type": "kubernetes", "kubernetes": {
            "audience": "toolhive", "issuer": "https://kubernetes.default.svc",
            "useClusterAuth": True}},
    }
    spec.update(overrides)
    return {key: value for key, value in spec.items() if value is not None}


def component(name: str, spec: Mapping[str, Any], namespace: str | None = "tools",
              enforcement: str = "kubernetes") -> dict[str, Any]:
    """A server component's recorded inputs."""
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"metadata": metadata, "spec": dict(spec), "networkEnforcement": enforcement}


def secure_stack(name: str = "tools-mcp", namespace: str = "tools"
                 ) -> list[tuple[str, str, dict[str, Any], str | None]]:
    """(type, name, inputs, parent type) of one hosted MCPServer as design.md section 3
    renders it: the component, its ServiceAccounts, ConfigMap, workloads, Services and
    NetworkPolicies."""
    server, gateway = server_labels(name), gateway_labels(name)
    meta = {"namespace": namespace}
    objects: list[tuple[str, str, dict[str, Any], str | None]] = [
        ("MCPServer", name, component(name, server_spec(), namespace), None),
    ]

    def child(kind: str, obj_name: str, body: dict[str, Any]) -> None:
        objects.append((kind, obj_name, body, "MCPServer"))

    for sa, labels in ((name, server), (f"{name}-gateway", gateway)):
        automount = {"automountServiceAccountToken": False} if sa == name else {}
        child("ServiceAccount", sa, {"apiVersion": "v1", "kind": "ServiceAccount",
                                     "metadata": {"name": sa, **meta, "labels": labels},
                                     **automount})
    child("ConfigMap", f"{name}-gateway", {"apiVersion": "v1", "kind": "ConfigMap",
                                           "metadata": {"name": f"{name}-gateway", **meta},
                                           "data": {"runconfig.json": json.dumps(
                                               {"audit_config": {"enabled": True}})}})
    child("Deployment", name, workload("Deployment", pod_template(server, service_account=name),
                                       name, namespace))
    child("Deployment", f"{name}-gateway", workload(
        "Deployment", pod_template(gateway, service_account=f"{name}-gateway", automount=True,
                                   name="gateway"), f"{name}-gateway", namespace))
    for svc, labels, port in ((f"{name}-backend", server, 8080), (name, gateway, 8080)):
        child("Service", svc, {"apiVersion": "v1", "kind": "Service",
                               "metadata": {"name": svc, **meta, "labels": labels},
                               "spec": {"type": "ClusterIP", "selector": labels,
                                        "ports": [{"port": port, "targetPort": port}]}})
    selector = {"ome.io/mcp-server": name}
    child("NetworkPolicy", f"{name}-server", network_policy(
        f"{name}-server", namespace, {**selector, SERVER: "mcp-server"}, ["Ingress", "Egress"]))
    child("NetworkPolicy", f"{name}-gateway", network_policy(
        f"{name}-gateway", namespace, {**selector, SERVER: "mcp-gateway"},
        ["Ingress", "Egress"]))
    return objects


def recording_of(objects: list[tuple[str, str, dict[str, Any], str | None]]) -> Recording:
    """A Recording as the offline engine would make it, under a root Stack resource."""
    resources = [RecordedResource(urn=STACK_URN, type="pulumi:pulumi:Stack", name="demo-dev",
                                  parent=None, inputs={}, custom=False)]
    urns: dict[str, str] = {}
    for kind, name, inputs, parent in objects:
        resource_type = TYPES[kind]
        parent_urn = urns.get(parent, STACK_URN) if parent else STACK_URN
        resource_type_urn = f"{TYPES[parent]}${resource_type}" if parent else resource_type
        this = urn(resource_type_urn, name)
        urns.setdefault(kind, this)
        resources.append(RecordedResource(urn=this, type=resource_type, name=name,
                                          parent=parent_urn, inputs=inputs,
                                          custom=kind not in ("MCPServer", "ClusterMCPServer",
                                                              "PermissionProfile")))
    return Recording(resources=resources)

