"""Updates and references through the real engine.

- Changing one Cedar policy replaces only the authz and gateway ConfigMaps (the provider
  replaces a ConfigMap whose data changes) and rolls the gateway Deployment (a new config
  hash in its pod template); the server is untouched.
- Changing replicas touches only the Deployments' replica counts, the PDBs and (past one
  replica) the public Service's session affinity.
- Renaming a server replaces every object, without a name conflict.
- A permission profile, OIDC config and authz config in ConfigMaps created beforehand
  shape the objects exactly as ``ome-mcp render --cluster-state`` says; a missing one
  fails ``pulumi up`` with our one-line error naming it.
- Profiles referenced by name and created by the same program work on the first
  ``pulumi up`` of an empty namespace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from realstack import PulumiProject, object_path, render

from ome_mcp_components.builders.gateway_deployment import CONFIG_HASH_ANNOTATION

pytestmark = pytest.mark.e2e

DATA = Path(__file__).parent / "data"
CONFIG_HASH = CONFIG_HASH_ANNOTATION
M = "ome-mcp:index:MCPServer"


REPLACED = {"replace", "create-replacement", "delete-replaced"}


def _changed_kinds(changed: dict[str, str]) -> dict[str, str]:
    """The Kubernetes objects a step changes; a replacement's steps read ``replace``."""
    return {key: "replace" if op in REPLACED else op for key, op in changed.items()
            if not key.startswith(("pulumi:", M))}


def _annotations(kube: Any, path: str) -> dict[str, str]:
    _, live = kube.get(path)
    return dict(live["spec"]["template"]["metadata"].get("annotations") or {})


def test_a_policy_change_rolls_only_the_gateway(
    kube: Any, pulumi_env: dict[str, str], tmp_path: Path
) -> None:
    kube.ensure_namespace("updates")
    stack = PulumiProject(DATA / "updatable", tmp_path / "p", pulumi_env,
                          config={"tool": "search"})
    assert (up := stack.up()).ok, up.text
    gateway = "/apis/apps/v1/namespaces/updates/deployments/notes-gateway"
    server = "/apis/apps/v1/namespaces/updates/deployments/notes"
    before, server_before = _annotations(kube, gateway), kube.get(server)[1]

    stack.config["tool"] = "summarize"
    preview = stack.preview()
    assert preview.ok, preview.text
    # pulumi-kubernetes replaces a ConfigMap whose data changes (its contents are treated
    # as immutable), so the Deployment mounting it rolls with the new config hash
    assert _changed_kinds(preview.changed()) == {
        "kubernetes:core/v1:ConfigMap notes-authz-config": "replace",
        "kubernetes:core/v1:ConfigMap notes-gateway-config": "replace",
        "kubernetes:apps/v1:Deployment notes-gateway": "update",
    }
    assert (up := stack.up()).ok, up.text

    after = _annotations(kube, gateway)
    assert after[CONFIG_HASH] != before[CONFIG_HASH]
    server_after = kube.get(server)[1]
    assert server_after["metadata"]["generation"] == server_before["metadata"]["generation"]
    _, authz = kube.get("/api/v1/namespaces/updates/configmaps/notes-authz")
    policies = json.loads(authz["data"]["authz.json"])["cedar"]["policies"]
    assert any('Tool::"summarize"' in policy for policy in policies)
    assert kube.unready_workloads(render_updatable(stack)) == []
    assert stack.destroy().ok


def render_updatable(stack: PulumiProject) -> list[dict[str, Any]]:
    """What ``ome-mcp render`` prints for the stack with its current config."""
    config = stack.workdir / f"Pulumi.{stack.stack}.yaml"
    config.write_text(yaml.safe_dump(
        {"config": {f"updatable:{k}": v for k, v in stack.config.items()}}))
    return render(stack.workdir, "--stack", stack.stack)


def test_a_replica_change_touches_only_the_deployments_and_pdbs(
    kube: Any, pulumi_env: dict[str, str], tmp_path: Path
) -> None:
    kube.ensure_namespace("updates")
    stack = PulumiProject(DATA / "updatable", tmp_path / "p", pulumi_env,
                          config={"replicas": "1"})
    assert (up := stack.up()).ok, up.text
    stack.config["replicas"] = "3"
    preview = stack.preview()
    assert preview.ok, preview.text
    assert _changed_kinds(preview.changed()) == {
        "kubernetes:apps/v1:Deployment notes-server": "update",
        "kubernetes:apps/v1:Deployment notes-gateway": "update",
        "kubernetes:policy/v1:PodDisruptionBudget notes-server-pdb": "create",
        "kubernetes:policy/v1:PodDisruptionBudget notes-gateway-pdb": "create",
        # past one gateway replica the public Service pins each client to one replica
        # (sessionAffinity: ClientIP): an MCP session lives in one gateway process
        "kubernetes:core/v1:Service notes-service": "update",
    }
    assert (up := stack.up()).ok, up.text
    rendered = render_updatable(stack)
    assert kube.pods_of(rendered) == {"updates/notes": 3, "updates/notes-gateway": 3}
    assert stack.destroy().ok


def test_a_renamed_server_is_replaced_without_a_conflict(
    kube: Any, pulumi_env: dict[str, str], tmp_path: Path
) -> None:
    kube.ensure_namespace("updates")
    stack = PulumiProject(DATA / "updatable", tmp_path / "p", pulumi_env,
                          config={"name": "notes"})
    assert (up := stack.up()).ok, up.text
    stack.config["name"] = "journal"
    assert (up := stack.up()).ok, up.text
    rendered = render_updatable(stack)
    assert {o["metadata"]["name"] for o in rendered} >= {"journal", "journal-gateway"}
    for obj in rendered:
        status, _ = kube.get(object_path(obj))
        assert status == 200, obj["metadata"]["name"]
    assert kube.get("/apis/apps/v1/namespaces/updates/deployments/notes")[0] == 404
    assert stack.destroy().ok
    assert kube.ours_left(["updates"]) == []


# --- references read from the cluster ---------------------------------------------------

PROFILE = {"network": {"outbound": {"allowHost": ["10.40.0.0/16"], "allowPort": [8443]}}}
OIDC = {"issuer": "https://login.example.com", "audience": "ledger",
        "jwksURL": "https://login.example.com/keys"}
AUTHZ = {"version": "1.0", "type": "cedarv1", "cedar": {
    "policies": ['permit(principal, action == Action::"call_tool", resource == Tool::"balance");'],
    "entities_json": "[]"}}


def _config_maps() -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": name, "namespace": "refs"}, "data": {key: json.dumps(value)}}
        for name, key, value in (("ledger-profile", "permissions.json", PROFILE),
                                 ("ledger-oidc", "oidc.json", OIDC),
                                 ("ledger-authz", "authz.json", AUTHZ))
    ]


def test_config_maps_in_the_cluster_shape_the_objects(
    kube: Any, cluster: Any, pulumi_env: dict[str, str], tmp_path: Path
) -> None:
    kube.ensure_namespace("refs")
    for cm in _config_maps():
        status, body = cluster.request("POST", "/api/v1/namespaces/refs/configmaps", cm)
        assert status in (201, 409), body
    state = tmp_path / "cluster.yaml"
    state.write_text(yaml.safe_dump_all(_config_maps()))
    rendered = render(DATA / "references", "--cluster-state", str(state))
    stack = PulumiProject(DATA / "references", tmp_path / "p", pulumi_env)
    assert (up := stack.up()).ok, up.text

    problems = kube.live_differences(rendered)
    assert problems == [], "\n".join(problems)
    egress = json.dumps(kube.get(
        "/apis/networking.k8s.io/v1/namespaces/refs/networkpolicies/ledger-server")[1]["spec"])
    assert "10.40.0.0/16" in egress
    assert "8443" in egress
    runconfig = json.dumps(kube.get("/api/v1/namespaces/refs/configmaps/ledger-gateway")[1])
    assert "https://login.example.com" in runconfig
    assert stack.destroy().ok


def test_a_missing_config_map_fails_up_naming_it(
    kube: Any, cluster: Any, pulumi_env: dict[str, str], tmp_path: Path
) -> None:
    kube.ensure_namespace("refs-missing")
    stack = PulumiProject(DATA / "references", tmp_path / "p", pulumi_env)
    main = stack.main.read_text().replace('"namespace": "refs"', '"namespace": "refs-missing"')
    stack.main.write_text(main)
    up = stack.up()
    assert not up.ok
    assert "ledger-profile" in up.text
    assert "Traceback" not in up.text
    assert kube.ours_left(["refs-missing"]) == []


def test_profiles_created_by_the_program_work_on_the_first_up(
    kube: Any, pulumi_env: dict[str, str], tmp_path: Path
) -> None:
    kube.ensure_namespace("same-program")
    stack = PulumiProject(DATA / "same-program-refs", tmp_path / "p", pulumi_env)
    up = stack.up()
    assert up.ok, up.text
    rendered = render(DATA / "same-program-refs")
    problems = kube.live_differences(rendered)
    assert problems == [], "\n".join(problems)
    for server, cidr in (("orders", "10.20.0.0/16"), ("sessions", "10.30.0.0/16")):
        _, policy = kube.get(
            f"/apis/networking.k8s.io/v1/namespaces/same-program/networkpolicies/{server}-server")
        assert cidr in json.dumps(policy["spec"])
    assert stack.destroy().ok
    assert kube.ours_left(["same-program"]) == []

