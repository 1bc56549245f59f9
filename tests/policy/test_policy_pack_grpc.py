"""The whole pack, started and driven over its gRPC Analyzer protocol by
``ome_mcp_components.offline.analyzer`` as the Pulumi CLI drives it.

Each ``analyze`` starts one pack process (about a second), so the stacks here are few
and each test checks several things of one run.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from policy_fixtures import (
    STACK_URN,
    component,
    pod_template,
    recording_of,
    secure_stack,
    server_spec,
    workload,
)

from ome_mcp_components.offline.analyzer import (
    PolicyPackError,
    PolicyPackSession,
    analyze,
    load_policy_config,
)
from ome_mcp_components.offline.recording import Recording
from ome_mcp_components.offline.values import to_struct


def _insecure_deployment() -> dict[str, Any]:
    template = pod_template({"app": "legacy"})
    spec = template["spec"]
    spec["hostNetwork"] = True
    container = spec["containers"][0]
    container["image"] = "legacy/tool:latest"
    container["securityContext"] = {"privileged": True}
    container["env"] = [{"name": "ADMIN_PASSWORD", "value": "hunter2"}]
    return workload("Deployment", template, "legacy")


def _recording_with_insecure_objects() -> Recording:
    objects = secure_stack()
    objects.append(("Deployment", "legacy", _insecure_deployment(), None))
    objects.append(("ClusterMCPServer", "shared", component("shared", server_spec(),
                                                             namespace=None), None))
    return recording_of(objects)


def test_secure_stack_has_no_violation(pack_dir: Path) -> None:
    result = analyze(pack_dir, recording_of(secure_stack()))
    assert result.mandatory_violations == []
    assert result.diagnostics == []
    assert result.pack_name == "ome-mcp-security"
    assert {p.policy_type for p in result.policies} == {"resource", "stack"}


def test_insecure_hand_written_objects_are_caught(pack_dir: Path) -> None:
    recording = _recording_with_insecure_objects()
    result = analyze(pack_dir, recording)
    mandatory = {(d.policy_name, d.resource_name) for d in result.mandatory_violations}
    assert {("pss-privileged-containers", "legacy"), ("pss-host-namespaces", "legacy"),
            ("no-plaintext-secret-env", "legacy"),
            ("cluster-mcp-server-requires-auth", "shared")} <= mandatory
    advisory = {(d.policy_name, d.resource_name) for d in result.advisory_violations}
    assert ("image-pinned", "legacy") in advisory
    legacy = next(d for d in result.diagnostics if d.policy_name == "pss-host-namespaces")
    assert legacy.resource_type == "kubernetes:apps/v1:Deployment"
    assert legacy.urn == next(r.urn for r in recording.resources if r.name == "legacy")
    assert legacy.policy_pack_name == "ome-mcp-security"
    assert legacy.severity == "critical"
    assert legacy.message.startswith(legacy.description)
    assert "Remediation:" in legacy.message
    # the untouched secure objects stay clean
    assert {d.resource_name for d in result.mandatory_violations} == {"legacy", "shared"}


def test_config_sets_enforcement_levels_and_settings(pack_dir: Path, tmp_path: Path) -> None:
    config_file = tmp_path / "policy-config.json"
    config_file.write_text("""{
        "image-pinned": "mandatory",
        "pss-privileged-containers": "disabled",
        "no-plaintext-secret-env": {"ignoredNames": ["ADMIN_PASSWORD"]},
        "allowed-image-registries": {"enforcementLevel": "mandatory",
                                     "allowedRegistries": ["ghcr.io/acme"]}
    }""")
    recording = _recording_with_insecure_objects()
    with PolicyPackSession(pack_dir, load_policy_config(config_file)) as pack:
        result = pack.analyze(recording)
        levels = {p.name: p.enforcement_level for p in pack.policies}
    mandatory = {d.policy_name for d in result.mandatory_violations}
    assert "image-pinned" in mandatory                     # advisory made mandatory
    assert "pss-privileged-containers" not in {d.policy_name for d in result.diagnostics}
    assert "no-plaintext-secret-env" not in mandatory      # a setting took effect
    assert "allowed-image-registries" in mandatory         # level and setting together
    assert levels["image-pinned"] == "mandatory"
    assert levels["pss-privileged-containers"] == "disabled"
    assert levels["pss-host-namespaces"] == "mandatory"    # untouched default

    with PolicyPackSession(pack_dir, {"all": "advisory", "pss-host-ports": "mandatory"}) as pack:
        all_advisory = pack.analyze(recording)
        # one session analyzes many recordings
        assert pack.analyze(recording_of(secure_stack())).diagnostics == []
    assert {d.policy_name for d in all_advisory.mandatory_violations} <= {"pss-host-ports"}
    assert all_advisory.advisory_violations
    with pytest.raises(PolicyPackError, match="not open"):
        pack.analyze(recording)  # the process is gone with the session


def test_defaults_of_config_schemas_reach_the_pack(pack_dir: Path) -> None:
    with PolicyPackSession(pack_dir) as pack:
        policies = {p.name: p for p in pack.policies}
    assert policies["pss-added-capabilities"].config == {
        "allowedCapabilities": ["NET_BIND_SERVICE"]}
    assert policies["image-pinned"].config == {"requireDigest": False}
    for p in policies.values():
        assert p.description, p.name
        assert p.severity, p.name
        assert p.remediation_steps, p.name
        assert p.enforcement_level in ("advisory", "mandatory"), p.name


def test_config_against_the_schema_and_policy_names(pack_dir: Path) -> None:
    with pytest.raises(PolicyPackError, match="image-pinned: requireDigest"):
        analyze(pack_dir, Recording(), {"image-pinned": {"requireDigest": "yes"}})
    with pytest.raises(PolicyPackError, match="no such policy: image-pined"):
        analyze(pack_dir, Recording(), {"image-pined": "mandatory"})


def test_a_pack_that_fails_to_start_is_reported(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text("raise RuntimeError('broken pack')\n")
    with pytest.raises(PolicyPackError, match="broken pack"):
        analyze(tmp_path, Recording())
    with pytest.raises(PolicyPackError, match=r"PulumiPolicy\.yaml"):
        analyze(tmp_path / "missing", Recording())


def test_struct_conversion_keeps_shapes() -> None:
    value = {"int": 3, "float": 0.5, "none": None, "bool": True, "nested": [[1, "a"], {"x": []}],
             "tuple": (1, 2), "__internal": 1}
    wire = json_format.MessageToDict(to_struct(value, skip_internal=True))
    assert wire == {"int": 3.0, "float": 0.5, "none": None, "bool": True,
                    "nested": [[1.0, "a"], {"x": []}], "tuple": [1.0, 2.0]}
    assert isinstance(wire["bool"], bool)
    nested = {"a": {"__kept": 1}}
    assert json_format.MessageToDict(to_struct(nested, skip_internal=True)) == {
        "a": {"__kept": 1.0}}
    with pytest.raises(TypeError, match=r"a\.b\[0\]: object"):
        to_struct({"a": {"b": [object()]}})


def test_stack_policy_findings_name_the_workload(pack_dir: Path) -> None:
    objects = [o for o in copy.deepcopy(secure_stack()) if o[0] != "NetworkPolicy"]
    result = analyze(pack_dir, recording_of(objects))
    [finding] = [d for d in result.diagnostics if d.policy_name == "mcp-server-network-policy"]
    assert finding.is_mandatory
    assert finding.resource_name == "tools-mcp"
    assert finding.resource_type == "kubernetes:apps/v1:Deployment"
    assert finding.urn != STACK_URN


def test_remediate_blocks_like_mandatory(pack_dir: Path) -> None:
    """policy_pack/README.md: the pack only validates, so a violation at remediate blocks."""
    with PolicyPackSession(pack_dir, {"image-pinned": "remediate"}) as pack:
        result = pack.analyze(_recording_with_insecure_objects())
        levels = {p.name: p.enforcement_level for p in pack.policies}
    assert levels["image-pinned"] == "remediate"
    assert "image-pinned" in {d.policy_name for d in result.mandatory_violations}
