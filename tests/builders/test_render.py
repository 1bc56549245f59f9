"""``render``: the topology of design.md §3 for every case, and every object valid.

Every object is checked against the Kubernetes 1.34 OpenAPI schema in strict mode (the
CiliumNetworkPolicies against their CRD schema), and every pod against the restricted
Pod Security Standard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest
from cilium_schema import cilium_policy_errors

from ome_mcp_components.builders import render
from ome_mcp_components.builders.cilium import server_fqdn_fill
from ome_mcp_components.plan.context import ServerContext

MakeCtx = Callable[..., ServerContext]
HOSTED = {"image": "ghcr.io/acme/tools:1.2.3"}
HTTP = {**HOSTED, "transport": "streamable-http"}
REMOTE = {"type": "Remote", "url": "https://mcp.example.com/mcp"}
AUTHZ = {"type": "inline", "inline": {"policies": [
    'permit(principal, action == Action::"call_tool", resource);']}}
HOST_PROFILE = {"type": "inline", "inline": {"network": {"outbound": {
    "allowHost": ["api.example.com", "10.0.0.0/8"], "allowPort": [443]}}}}

SA = ("ServiceAccount", "demo")
GW_SA = ("ServiceAccount", "demo-gateway")
GW_CM = ("ConfigMap", "demo-gateway")
AUTHZ_CM = ("ConfigMap", "demo-authz")
ROLE = ("Role", "demo-gateway")
BINDING = ("RoleBinding", "demo-gateway")
STS = ("StatefulSet", "demo")
DEPLOY = ("Deployment", "demo")
GW_DEPLOY = ("Deployment", "demo-gateway")
BACKEND = ("Service", "demo-backend")
PUBLIC = ("Service", "demo")
SERVER_NP = ("NetworkPolicy", "demo-server")
GW_NP = ("NetworkPolicy", "demo-gateway")
SERVER_FQDN = ("CiliumNetworkPolicy", "demo-server-fqdn")
GW_FQDN = ("CiliumNetworkPolicy", "demo-gateway-fqdn")
PDB = ("PodDisruptionBudget", "demo")
GW_PDB = ("PodDisruptionBudget", "demo-gateway")

CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[tuple[str, str]]]] = [
    ("stdio (the default) -> StatefulSet, attach Role, no backend Service",
     HOSTED, {},
     [SA, GW_SA, GW_CM, ROLE, BINDING, STS, GW_DEPLOY, PUBLIC, SERVER_NP, GW_NP]),
    ("streamable-http -> Deployment and backend Service, no RBAC",
     HTTP, {},
     [SA, GW_SA, GW_CM, DEPLOY, GW_DEPLOY, BACKEND, PUBLIC, SERVER_NP, GW_NP]),
    ("sse with 3 replicas -> PodDisruptionBudgets for both sides",
     {**HOSTED, "transport": "sse", "replicas": 3}, {},
     [SA, GW_SA, GW_CM, DEPLOY, GW_DEPLOY, BACKEND, PUBLIC, SERVER_NP, GW_NP, PDB, GW_PDB]),
    ("defaulted stdio with replicas 3 -> one pod, no PodDisruptionBudget",
     {**HOSTED, "replicas": 3}, {},
     [SA, GW_SA, GW_CM, ROLE, BINDING, STS, GW_DEPLOY, PUBLIC, SERVER_NP, GW_NP]),
    ("serviceAccount set -> no server ServiceAccount",
     {**HTTP, "serviceAccount": "existing"}, {},
     [GW_SA, GW_CM, DEPLOY, GW_DEPLOY, BACKEND, PUBLIC, SERVER_NP, GW_NP]),
    ("inline authz -> authz ConfigMap",
     {**HTTP, "authzConfig": AUTHZ}, {},
     [SA, GW_SA, GW_CM, AUTHZ_CM, DEPLOY, GW_DEPLOY, BACKEND, PUBLIC, SERVER_NP, GW_NP]),
    ("cilium, profile with a host name -> server FQDN policy",
     {**HTTP, "permissionProfile": HOST_PROFILE}, {"network_enforcement": "cilium"},
     [SA, GW_SA, GW_CM, DEPLOY, GW_DEPLOY, BACKEND, PUBLIC, SERVER_NP, GW_NP, SERVER_FQDN]),
    ("cilium, stdio -> gateway FQDN policy (API server for attach)",
     HOSTED, {"network_enforcement": "cilium"},
     [SA, GW_SA, GW_CM, ROLE, BINDING, STS, GW_DEPLOY, PUBLIC, SERVER_NP, GW_NP, GW_FQDN]),
    ("ClusterMCPServer -> the same objects",
     HTTP, {"kind": "ClusterMCPServer"},
     [SA, GW_SA, GW_CM, DEPLOY, GW_DEPLOY, BACKEND, PUBLIC, SERVER_NP, GW_NP]),
    ("Remote without OIDC or authz -> nothing", REMOTE, {}, []),
    ("Remote with OIDC -> the gateway only",
     {**REMOTE, "oidcConfig": {"type": "inline", "inline": {
         "issuer": "https://idp.example.com"}}}, {},
     [GW_SA, GW_CM, GW_DEPLOY, PUBLIC, GW_NP]),
    ("Remote with authz and 2 replicas -> the gateway and its PodDisruptionBudget",
     {**REMOTE, "replicas": 2, "authzConfig": AUTHZ}, {},
     [GW_SA, GW_CM, AUTHZ_CM, GW_DEPLOY, PUBLIC, GW_NP, GW_PDB]),
]


def rendered(make_ctx: MakeCtx, spec: dict[str, Any], ctx_args: dict[str, Any]
             ) -> list[dict[str, Any]]:
    return render(make_ctx(spec, **ctx_args))


@pytest.mark.parametrize(("spec", "ctx_args", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_topology(make_ctx: MakeCtx, spec: dict[str, Any], ctx_args: dict[str, Any],
                  expected: list[tuple[str, str]]) -> None:
    objects = rendered(make_ctx, spec, ctx_args)
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == expected
    assert {o["metadata"]["namespace"] for o in objects} <= {"tools"}


@pytest.mark.parametrize(("spec", "ctx_args"), [c[1:3] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_every_object_is_schema_valid(make_ctx: MakeCtx, spec: dict[str, Any],
                                      ctx_args: dict[str, Any]) -> None:
    for obj in rendered(make_ctx, spec, ctx_args):
        if obj["kind"] == "CiliumNetworkPolicy":
            assert cilium_policy_errors(obj) == []
        else:
            kubernetes_validate.validate(obj, "1.34", strict=True)


def pods(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o["spec"]["template"]["spec"] for o in objects
            if o["kind"] in ("Deployment", "StatefulSet")]


@pytest.mark.parametrize(("spec", "ctx_args"), [c[1:3] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_every_pod_is_restricted(make_ctx: MakeCtx, spec: dict[str, Any],
                                 ctx_args: dict[str, Any]) -> None:
    for pod in pods(rendered(make_ctx, spec, ctx_args)):
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["enableServiceLinks"] is False
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            assert not pod.get(key)
        assert all("hostPath" not in volume for volume in pod.get("volumes", []))
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["readOnlyRootFilesystem"] is True
            assert container["resources"]["limits"]
            assert container["resources"]["requests"]
            assert all("hostPort" not in port for port in container.get("ports", []))


def test_server_pod_never_mounts_a_token(make_ctx: MakeCtx) -> None:
    for spec in (HOSTED, HTTP):
        server_pod = pods(render(make_ctx(spec)))[0]
        assert server_pod["automountServiceAccountToken"] is False


def test_rendering_is_deterministic(make_ctx: MakeCtx) -> None:
    spec = {**HTTP, "authzConfig": AUTHZ, "permissionProfile": HOST_PROFILE}
    assert render(make_ctx(spec)) == render(make_ctx(spec))


def test_empty_cilium_policy_is_valid(make_ctx: MakeCtx) -> None:
    """What a server-fqdn slot holds when the profile read at deploy time names no host."""
    objects = render(make_ctx({**HTTP, "permissionProfile": HOST_PROFILE},
                              network_enforcement="cilium"))
    planned = next(o for o in objects if o["kind"] == "CiliumNetworkPolicy")
    empty = server_fqdn_fill(make_ctx(HTTP, network_enforcement="cilium"))
    assert cilium_policy_errors(empty) == []
    assert empty["metadata"] == planned["metadata"]
    assert empty["spec"]["egress"] == []
    assert "egressDeny" not in empty["spec"]
