"""Strategic merge of a podTemplateSpec onto our pod template, rule by rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ome_mcp_components.models.pod_merge import merge_pod_template

OURS: dict[str, Any] = {
    "metadata": {"labels": {"app": "ours", "team": "ours"}},
    "spec": {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65532},
        "containers": [
            {
                "name": "mcp",
                "image": "ours:1",
                "args": ["--a"],
                "env": [{"name": "A", "value": "1"}, {"name": "S", "valueFrom": {"secretKeyRef": {
                    "name": "s", "key": "k"}}}],
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                "securityContext": {"readOnlyRootFilesystem": True, "privileged": False},
            }
        ],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
        "tolerations": [{"key": "a", "operator": "Exists"}],
    },
}
PROTECTED = {"app": "ours"}


def merged(theirs: dict[str, Any]) -> dict[str, Any]:
    return merge_pod_template(OURS, theirs, protected_labels=PROTECTED)


def with_spec(**fields: Any) -> dict[str, Any]:
    expected = copy.deepcopy(OURS)
    expected["spec"].update(fields)
    return expected


def with_mcp(**fields: Any) -> dict[str, Any]:
    expected = copy.deepcopy(OURS)
    expected["spec"]["containers"][0].update(fields)
    return expected


CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({}, OURS),
    (
        {"metadata": {"labels": {"app": "theirs", "team": "theirs", "x": "y"},
                      "annotations": {"a": "b"}}},
        {**OURS, "metadata": {"labels": {"app": "ours", "team": "theirs", "x": "y"},
                              "annotations": {"a": "b"}}},
    ),
    (
        {"spec": {"containers": [{"name": "mcp", "image": "theirs:2", "args": ["--b"]}]}},
        with_mcp(image="theirs:2", args=["--b"]),
    ),
    (
        {"spec": {"containers": [{"name": "mcp", "env": [
            {"name": "S", "value": "plain"}, {"name": "B", "value": "2"}]}]}},
        with_mcp(env=[{"name": "A", "value": "1"}, {"name": "S", "value": "plain"},
                      {"name": "B", "value": "2"}]),
    ),
    (
        {"spec": {"containers": [{"name": "mcp", "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp", "readOnly": True},
            {"name": "cache", "mountPath": "/cache"}]}]}},
        with_mcp(volumeMounts=[{"name": "tmp", "mountPath": "/tmp", "readOnly": True},
                               {"name": "cache", "mountPath": "/cache"}]),
    ),
    (
        {"spec": {"containers": [{"name": "mcp", "securityContext": {
            "readOnlyRootFilesystem": False, "runAsUser": 1000}}]}},
        with_mcp(securityContext={"readOnlyRootFilesystem": False, "privileged": False,
                                  "runAsUser": 1000}),
    ),
    (
        {"spec": {"containers": [{"name": "mcp", "securityContext": {
            "readOnlyRootFilesystem": None}}]}},
        with_mcp(securityContext={"privileged": False}),
    ),
    (
        {"spec": {"containers": [{"name": "log", "image": "fluent-bit:3"}]}},
        with_spec(containers=[*OURS["spec"]["containers"],
                              {"name": "log", "image": "fluent-bit:3"}]),
    ),
    (
        {"spec": {"volumes": [{"name": "tmp", "configMap": {"name": "c"}},
                              {"name": "more", "emptyDir": {"medium": "Memory"}}]}},
        with_spec(volumes=[{"name": "tmp", "configMap": {"name": "c"}},
                           {"name": "more", "emptyDir": {"medium": "Memory"}}]),
    ),
    (
        {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}], "hostNetwork": True}},
        with_spec(tolerations=[{"key": "b", "operator": "Exists"}], hostNetwork=True),
    ),
    (
        {"spec": {"securityContext": {"runAsUser": 0}}},
        with_spec(securityContext={"runAsNonRoot": True, "runAsUser": 0}),
    ),
]


@pytest.mark.parametrize(
    ("theirs", "expected"),
    CASES,
    ids=[
        "empty podTemplateSpec -> ours unchanged",
        "labels and annotations added; our protected labels win",
        "container mcp: image and args replaced",
        "container mcp: env merged by name, a matching item replaced whole",
        "container mcp: volumeMounts merged by mountPath",
        "container mcp: securityContext merged field by field (explicit loosening)",
        "container mcp: null removes our field",
        "another container -> appended",
        "volumes merged by name, a matching volume replaced whole",
        "atomic lists and scalars replaced or added",
        "pod securityContext merged field by field",
    ],
)
def test_merge(theirs: dict[str, Any], expected: dict[str, Any]) -> None:
    assert merged(theirs) == expected


def test_inputs_are_not_modified() -> None:
    ours, theirs = copy.deepcopy(OURS), {"spec": {"containers": [{"name": "mcp", "env": []}]}}
    before = copy.deepcopy(theirs)
    merge_pod_template(ours, theirs, protected_labels=PROTECTED)
    assert ours == OURS
    assert theirs == before
