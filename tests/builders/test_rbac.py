"""The stdio gateway's Role and RoleBinding: attach to pod <n>-0 and nothing else."""

from __future__ import annotations

from collections.abc import Callable

from expected import meta

from ome_mcp_components.builders.rbac import gateway_role, gateway_role_binding
from ome_mcp_components.context import ServerContext

MakeCtx = Callable[..., ServerContext]


def test_role(make_ctx: MakeCtx) -> None:
    assert gateway_role(make_ctx()) == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": meta("demo-gateway", "mcp-gateway"),
        "rules": [
            {"apiGroups": [""], "resources": ["pods"], "resourceNames": ["demo-0"],
             "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["pods/attach"], "resourceNames": ["demo-0"],
             "verbs": ["create", "get"]},
        ],
    }


def test_role_binding(make_ctx: MakeCtx) -> None:
    assert gateway_role_binding(make_ctx()) == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": meta("demo-gateway", "mcp-gateway"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                    "name": "demo-gateway"},
        "subjects": [{"kind": "ServiceAccount", "name": "demo-gateway", "namespace": "tools"}],
    }


def test_no_wildcards(make_ctx: MakeCtx) -> None:
    for rule in gateway_role(make_ctx())["rules"]:
        for field in ("apiGroups", "resources", "resourceNames", "verbs"):
            assert "*" not in rule[field]
