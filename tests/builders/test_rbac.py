"""The stdio gateway's Role and RoleBinding: the gateway contract's rules, no more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from expected import meta

from ome_mcp_components.builders.rbac import (
    gateway_rbac_rules,
    gateway_role,
    gateway_role_binding,
    needs_role,
)
from ome_mcp_components.plan.context import ServerContext

MakeCtx = Callable[..., ServerContext]


def test_role(make_ctx: MakeCtx) -> None:
    ctx = make_ctx()
    assert gateway_role(ctx) == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": meta("demo-gateway", "mcp-gateway"),
        "rules": gateway_rbac_rules(ctx),
    }
    assert gateway_role(ctx)["rules"]


def test_role_binding(make_ctx: MakeCtx) -> None:
    assert gateway_role_binding(make_ctx()) == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": meta("demo-gateway", "mcp-gateway"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                    "name": "demo-gateway"},
        "subjects": [{"kind": "ServiceAccount", "name": "demo-gateway", "namespace": "tools"}],
    }


def test_no_wildcards_and_attach_to_the_one_pod_only(make_ctx: MakeCtx) -> None:
    rules = gateway_role(make_ctx())["rules"]
    for rule in rules:
        for field in ("apiGroups", "resources", "resourceNames", "verbs"):
            assert "*" not in rule.get(field, [])
        assert not {"update", "patch", "delete", "deletecollection"} & set(rule["verbs"])
    (attach,) = [rule for rule in rules if "pods/attach" in rule["resources"]]
    assert attach["resourceNames"] == ["demo-0"]


@pytest.mark.parametrize(
    ("spec", "needed"),
    [({"image": "x:1"}, True), ({"image": "x:1", "transport": "sse"}, False),
     ({"type": "Remote", "url": "https://mcp.example.com", "oidcConfig": {}}, False)],
    ids=["stdio -> Role", "sse -> none", "remote -> none"],
)
def test_role_only_for_stdio(make_ctx: MakeCtx, spec: dict[str, Any], needed: bool) -> None:
    assert needs_role(make_ctx(spec)) is needed
