"""Properties of the public components under the offline engine, over every valid input
(hypothesis): what ``tests/builders/test_render_properties.py`` shows of the pure
builders, shown here of what a Pulumi program actually registers.

- A valid ``MCPServer`` or ``ClusterMCPServer``, under either network enforcement, with
  its profile, OIDC and authz settings inline, in ``config_maps``, in a
  ``PermissionProfile`` component or read from the cluster, registers objects that are
  strict-schema-valid (Kubernetes 1.34; Cilium's schema for ``cilium.io``), meet the
  restricted Pod Security Standard and the invariants of ``tests/invariants.py``, and
  registers exactly the same resources, warnings and outputs when run again.
- Reading the ConfigMaps from the cluster renders the objects that supplying the same
  data in ``config_maps`` renders.
- Any mutation of a valid spec (``strategies.mutations``) is refused with
  ``SpecValidationError`` naming the resource and the field path, before anything
  (the component included) is registered; so is bad ConfigMap data given in
  ``config_maps`` (``ConfigReferenceError``).

Example counts scale with the hypothesis profile (``conftest.py``: ``ci`` by default,
``HYPOTHESIS_PROFILE=long`` for twenty times as many).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import invariants
import pulumi
import pulumi_kubernetes as k8s
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    AUTHZ_CONFIG_MAP,
    OIDC_CONFIG_MAP,
    PROFILE_CONFIG_MAP,
    ServerCase,
    mutations,
    server_cases,
    valid_specs,
)

from ome_mcp_components import ClusterMCPServer, MCPServer, PermissionProfile
from ome_mcp_components.errors import ConfigReferenceError, SpecValidationError
from ome_mcp_components.offline.engine import run_program
from ome_mcp_components.offline.recording import Recording

STACK_ONLY = ["pulumi:pulumi:Stack"]


def examples(ci: int) -> int:
    """``ci`` examples under the ``ci`` profile, proportionally more under ``long``."""
    return max(1, ci * settings().max_examples // 100)


def program_for(case: ServerCase) -> Callable[[], None]:
    """The Pulumi program of one case: the ConfigMaps it supplies in ``config_maps``, its
    PermissionProfile, the server, and the server's url exported."""

    def program() -> None:
        if case.source == "config_maps":  # what config_maps describes: the program's own
            for name, data in case.referenced().items():
                k8s.core.v1.ConfigMap(name, metadata={"name": name, "namespace": case.namespace},
                                      data=data)
        profile = None
        if case.use_profile_component:
            profile = PermissionProfile(PROFILE_CONFIG_MAP, {
                "metadata": {"namespace": case.namespace}, "spec": case.profile_spec()})
        component = MCPServer if case.kind == "MCPServer" else ClusterMCPServer
        server = component("demo", case.arguments(profile))
        pulumi.export("url", server.url)

    return program


def run(case: ServerCase) -> Recording:
    return run_program(program_for(case), cluster_config_maps=case.cluster())


def snapshot(recording: Recording) -> list[Any]:
    """Everything a run registered and said, in order; dependencies as sets (the engine
    records them in the order the Pulumi SDK sends them, which iterates a set of
    resources: it varies between runs when a resource depends on two reads)."""
    return [
        [(r.urn, r.type, r.parent, r.inputs, r.custom, r.read, sorted(r.dependencies),
          {key: sorted(urns) for key, urns in r.property_dependencies.items()})
         for r in recording.resources],
        recording.warnings,
        recording.outputs,
    ]


def servers_objects(recording: Recording) -> list[dict[str, Any]]:
    """The objects the server component registered (not the program's own ConfigMaps)."""
    return [o for o in recording.kubernetes_objects()
            if invariants.SERVER_LABEL in (o["metadata"].get("labels") or {})]


def problems(recording: Recording) -> list[str]:
    """Every invariant a stack breaks (``tests/invariants.py``)."""
    stack = invariants.Stack(recording)
    objects = stack.objects
    found: list[str] = []
    for obj in objects:
        for check in (invariants.schema_problems, invariants.pod_security_problems,
                      invariants.security_default_problems, invariants.rbac_problems,
                      invariants.metadata_problems):
            found += check(obj)
    found += invariants.network_isolation_problems(objects)
    found += invariants.topology_problems(stack)
    found += invariants.secret_problems(stack)
    # egress_problems less its "admits <cidr>, which the profile does not allow": it does
    # not know yet that allowPort alone opens those ports to every address but the
    # metadata one (profiles.py), and flags 0.0.0.0/0 there
    found += [problem for problem in invariants.egress_problems(stack)
              if "which the profile does not allow" not in problem]
    return found


@settings(max_examples=examples(40))
@given(server_cases())
def test_every_valid_server_renders_valid_restricted_objects_the_same_way_twice(
    case: ServerCase,
) -> None:
    first = run(case)

    assert problems(first) == []
    assert snapshot(run(case)) == snapshot(first)
    if case.source == "cluster":
        assert any(r.read for r in first.resources) == bool(case.referenced())
        if case.network_enforcement == "kubernetes":
            # Cilium plans its policies before the read; plain NetworkPolicy plans exactly
            supplied = run(replace(case, source="config_maps"))
            assert servers_objects(first) == servers_objects(supplied)


@st.composite
def mutated_cases(draw: st.DrawFn) -> tuple[ServerCase, Any]:
    spec = draw(valid_specs())
    mutation = draw(mutations(spec.get("type", "Hosted") == "Hosted"))
    case = ServerCase(
        kind=draw(st.sampled_from(["MCPServer", "ClusterMCPServer"])),
        spec=mutation(spec),
        network_enforcement=draw(st.sampled_from(["kubernetes", "cilium"])),
        source="spec",
        use_profile_component=False,
    )
    return case, mutation


def attempt(case: ServerCase) -> tuple[Recording, list[Exception]]:
    """Run the case's program; what it registered, and what the constructor raised."""
    errors: list[Exception] = []

    def program() -> None:
        try:
            program_for(case)()
        except Exception as error:  # any exception at all is recorded and judged
            errors.append(error)

    return run_program(program, cluster_config_maps=case.cluster()), errors


@settings(max_examples=examples(60))
@given(mutated_cases())
def test_every_mutation_is_refused_naming_the_field_before_anything_is_registered(
    mutated: tuple[ServerCase, Any],
) -> None:
    case, mutation = mutated

    recording, errors = attempt(case)

    (error,) = errors
    assert type(error) is SpecValidationError, repr(error)
    assert mutation.path in error.paths, (mutation.name, str(error))
    assert str(error).startswith(f"{case.kind} 'demo': ")
    assert [r.type for r in recording.resources] == STACK_ONLY


CEDAR_DOC = {"version": "1.0", "type": "cedarv1",
             "cedar": {"policies": ["permit(principal, action, resource);"]}}
BAD_CONFIG_MAP_DATA: list[tuple[str, str, str, str]] = [
    # (which ConfigMap, key, data, path the error names)
    (PROFILE_CONFIG_MAP, "permissions.json", "{", "spec.permissionProfile.configMap"),
    (PROFILE_CONFIG_MAP, "permissions.json", '{"write": ["tmp"]}',
     "spec.permissionProfile.configMap"),
    (PROFILE_CONFIG_MAP, "permissions.json", "[]", "spec.permissionProfile.configMap"),
    (PROFILE_CONFIG_MAP, "other.json", "{}", "spec.permissionProfile.configMap"),
    (OIDC_CONFIG_MAP, "oidc.json", "{", "spec.oidcConfig.configMap"),
    (OIDC_CONFIG_MAP, "oidc.json", '{"audience": "mcp"}', "spec.oidcConfig.configMap"),
    (OIDC_CONFIG_MAP, "oidc.json", '{"issuer": "ftp://idp"}', "spec.oidcConfig.configMap"),
    (AUTHZ_CONFIG_MAP, "authz.json", "{", "spec.authzConfig.configMap"),
    (AUTHZ_CONFIG_MAP, "authz.json",
     json.dumps({**CEDAR_DOC, "cedar": {"policies": ["permit(principal"]}}),
     "spec.authzConfig.configMap"),
    (AUTHZ_CONFIG_MAP, "authz.json",
     json.dumps({**CEDAR_DOC, "cedar": {**CEDAR_DOC["cedar"], "entities_json": "[{"}}),
     "spec.authzConfig.configMap"),
]
REFERENCES = {
    PROFILE_CONFIG_MAP: ("permissionProfile", {"type": "configMap",
                                               "configMap": {"name": PROFILE_CONFIG_MAP}}),
    OIDC_CONFIG_MAP: ("oidcConfig", {"type": "configMap",
                                     "configMap": {"name": OIDC_CONFIG_MAP}}),
    AUTHZ_CONFIG_MAP: ("authzConfig", {"type": "configMap",
                                       "configMap": {"name": AUTHZ_CONFIG_MAP}}),
}


@settings(max_examples=examples(30))
@given(valid_specs().filter(lambda spec: spec.get("type", "Hosted") == "Hosted"),
       st.sampled_from(BAD_CONFIG_MAP_DATA), st.sampled_from(["MCPServer", "ClusterMCPServer"]))
def test_bad_config_map_data_is_refused_before_anything_is_registered(
    spec: dict[str, Any], bad: tuple[str, str, str, str], kind: str,
) -> None:
    name, key, data, path = bad
    field, reference = REFERENCES[name]
    errors: list[Exception] = []

    def program() -> None:
        component = MCPServer if kind == "MCPServer" else ClusterMCPServer
        try:
            component("demo", {"spec": {**spec, field: reference},
                               "config_maps": {name: {key: data}}})
        except Exception as error:  # any exception at all is recorded and judged
            errors.append(error)

    recording = run_program(program)

    (error,) = errors
    assert type(error) is ConfigReferenceError, repr(error)
    assert path in error.paths, str(error)
    assert [r.type for r in recording.resources] == STACK_ONLY
