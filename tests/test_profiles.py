"""Permission profiles: resolution, their ConfigMap format, hosts, CIDRs and writable paths."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ome_mcp_components.errors import ConfigReferenceError, SpecValidationError
from ome_mcp_components.models import (
    BUILTIN_PROFILES,
    PermissionProfileRef,
    PermissionProfileSpec,
    hosts,
    parse_model,
)
from ome_mcp_components.models.k8s_schema import schema_errors
from ome_mcp_components.plan import profiles

RESOURCE = "MCPServer 'infra'"


def ref(**fields: Any) -> PermissionProfileRef:
    return parse_model(
        PermissionProfileRef, fields, resource=RESOURCE, root="spec.permissionProfile"
    )


def profile(**fields: Any) -> PermissionProfileSpec:
    return parse_model(PermissionProfileSpec, fields, resource=RESOURCE, root="profile")


def outbound(**fields: Any) -> PermissionProfileSpec:
    return profile(network={"outbound": fields})


#: OEP user story 2's ConfigMap, verbatim.
STORY_2 = """{
  "read": ["/etc/kubeconfig"],
  "write": ["/tmp"],
  "network": {
    "outbound": {
      "allowHost": [
        "*.ocicloud.com",
        "kubernetes.default.svc"
      ],
      "allowPort": [443, 6443]
    }
  }
}
"""
STORY_2_REF = {
    "type": "configMap",
    "configMap": {"name": "infra-permissions", "key": "policy.json"},
}


def resolve(
    reference: PermissionProfileRef | None, data: dict[str, str] | None = None
) -> PermissionProfileSpec:
    return profiles.resolve_profile(
        reference, config_map_data=data, resource=RESOURCE, namespace="devops"
    )


# --- resolution -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "data", "expected"),
    [
        pytest.param(None, None, BUILTIN_PROFILES["none"], id="no profile -> builtin none"),
        pytest.param(
            ref(type="builtin", name="none"), None, PermissionProfileSpec(), id="builtin none"
        ),
        pytest.param(
            ref(name="network"),
            None,
            outbound(insecureAllowAll=True),
            id="builtin network -> insecureAllowAll",
        ),
        pytest.param(
            ref(type="inline", inline={"write": ["/tmp"]}),
            None,
            profile(write=["/tmp"]),
            id="inline -> as given",
        ),
        pytest.param(
            ref(**STORY_2_REF),
            {"policy.json": STORY_2, "other": "x"},
            profile(
                read=["/etc/kubeconfig"],
                write=["/tmp"],
                network={
                    "outbound": {
                        "allowHost": ["*.ocicloud.com", "kubernetes.default.svc"],
                        "allowPort": [443, 6443],
                    }
                },
            ),
            id="configMap, named key -> parsed (OEP story 2)",
        ),
        pytest.param(
            ref(type="configMap", configMap={"name": "perms"}),
            {"permissions.json": '{"network": {"outbound": {"allowPort": [443]}}}'},
            outbound(allowPort=[443]),
            id="configMap, default key permissions.json",
        ),
    ],
)
def test_resolve_profile(
    reference: PermissionProfileRef | None,
    data: dict[str, str] | None,
    expected: PermissionProfileSpec,
) -> None:
    assert resolve(reference, data) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            None,
            "MCPServer 'infra': spec.permissionProfile.configMap: "
            "ConfigMap devops/infra-permissions was not found",
            id="ConfigMap missing",
        ),
        pytest.param(
            {"permissions.json": STORY_2},
            "MCPServer 'infra': spec.permissionProfile.configMap: "
            "ConfigMap devops/infra-permissions has no key 'policy.json' "
            "(its keys: 'permissions.json')",
            id="key missing",
        ),
        pytest.param(
            {"policy.json": '{"write": ["/tmp"],}'},
            "MCPServer 'infra': spec.permissionProfile.configMap: "
            "ConfigMap devops/infra-permissions key 'policy.json' is not valid JSON: "
            "Expecting property name enclosed in double quotes (line 1, column 20)",
            id="bad JSON",
        ),
        pytest.param(
            {"policy.json": '["/tmp"]'},
            "MCPServer 'infra': spec.permissionProfile.configMap: "
            "ConfigMap devops/infra-permissions key 'policy.json': must be a mapping, got list",
            id="JSON but not an object",
        ),
        pytest.param(
            {"policy.json": '{"network": {"outbound": {"allowPort": ["https"]}}}'},
            "MCPServer 'infra': spec.permissionProfile.configMap: "
            "ConfigMap devops/infra-permissions key 'policy.json': "
            "network.outbound.allowPort[0]: Input should be a valid integer (got 'https')",
            id="invalid field -> its path inside the profile",
        ),
        pytest.param(
            {"policy.json": '{"network": {"outbound": {"allowHost": ["169.254.169.254"]}}}'},
            "MCPServer 'infra': spec.permissionProfile.configMap: "
            "ConfigMap devops/infra-permissions key 'policy.json': "
            "network.outbound.allowHost[0]: '169.254.169.254' is the cloud metadata address, "
            "which is never reachable",
            id="metadata address -> refused",
        ),
        pytest.param(
            {"policy.json": '{"writable": ["/tmp"]}'},
            "MCPServer 'infra': spec.permissionProfile.configMap: "
            "ConfigMap devops/infra-permissions key 'policy.json': "
            "writable: unknown field (not part of the OEP's spec)",
            id="unknown field",
        ),
    ],
)
def test_resolve_profile_config_map_errors(data: dict[str, str] | None, message: str) -> None:
    with pytest.raises(ConfigReferenceError) as caught:
        resolve(ref(**STORY_2_REF), data)
    assert str(caught.value) == message
    assert caught.value.paths == ("spec.permissionProfile.configMap",)


def test_resolve_profile_without_namespace_names_the_config_map_alone() -> None:
    with pytest.raises(ConfigReferenceError, match="ConfigMap perms was not found"):
        profiles.resolve_profile(
            ref(type="configMap", configMap={"name": "perms"}),
            config_map_data=None,
            resource=RESOURCE,
        )


def test_resolve_profile_reports_every_invalid_field() -> None:
    data = {"permissions.json": '{"read": ["etc"], "network": {"outbound": {"allowPort": [0]}}}'}
    with pytest.raises(ConfigReferenceError) as caught:
        resolve(ref(type="configMap", configMap={"name": "perms"}), data)
    assert len(caught.value.issues) == 2
    assert "read[0]: 'etc' is not an absolute path" in str(caught.value)
    assert "network.outbound.allowPort[0]: " in str(caught.value)


# --- the PermissionProfile ConfigMap ---------------------------------------------------


def test_profile_config_map_data_is_canonical_camel_case_json() -> None:
    spec = outbound(allowHost=["10.0.0.0/8"], allowPort=[5432])
    assert profiles.profile_config_map_data(spec) == {
        "permissions.json": (
            "{\n"
            '  "network": {\n'
            '    "outbound": {\n'
            '      "allowHost": [\n'
            '        "10.0.0.0/8"\n'
            "      ],\n"
            '      "allowPort": [\n'
            "        5432\n"
            "      ],\n"
            '      "insecureAllowAll": false\n'
            "    }\n"
            "  },\n"
            '  "read": [],\n'
            '  "write": []\n'
            "}\n"
        )
    }


@pytest.mark.parametrize(
    "spec",
    [
        PermissionProfileSpec(),
        outbound(insecureAllowAll=True),
        profile(read=["/data"], write=["/tmp", "/cache"]),
        outbound(allowHost=["*.ocicloud.com", "2001:db8::/32"], allowPort=[443, 6443]),
    ],
    ids=["none", "network", "paths", "hosts and ports"],
)
def test_profile_config_map_round_trips(spec: PermissionProfileSpec) -> None:
    data = profiles.profile_config_map_data(spec)
    reference = ref(type="configMap", configMap={"name": "p"})
    assert resolve(reference, data) == spec
    assert json.loads(data["permissions.json"]) == spec.wire()


# --- what a profile grants ----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "network", "everything"),
    [
        pytest.param(PermissionProfileSpec(), False, False, id="none"),
        pytest.param(profile(network={}), False, False, id="network without outbound"),
        pytest.param(outbound(), False, False, id="outbound allowing nothing"),
        pytest.param(outbound(allowPort=[443]), True, False, id="ports"),
        pytest.param(outbound(allowHost=["a.example.com"]), True, False, id="hosts"),
        pytest.param(outbound(insecureAllowAll=True), True, True, id="insecureAllowAll"),
    ],
)
def test_allows_network(spec: PermissionProfileSpec, network: bool, everything: bool) -> None:
    assert profiles.allows_network(spec) is network
    assert profiles.allows_all(spec) is everything


def test_host_names_and_ip_blocks_split_allow_host() -> None:
    spec = outbound(
        allowHost=[
            "*.ocicloud.com",
            "10.1.2.3/8",
            "192.168.10.5",
            "kubernetes.default.svc",
            "2001:DB8::1",
            "10.0.0.0/8",
            "db.data.svc",
        ]
    )
    assert profiles.host_names(spec) == ["*.ocicloud.com", "kubernetes.default.svc", "db.data.svc"]
    assert profiles.ip_blocks(spec) == ["10.0.0.0/8", "192.168.10.5/32", "2001:db8::1/128"]


def test_host_names_and_ip_blocks_of_a_profile_without_network() -> None:
    assert profiles.host_names(PermissionProfileSpec()) == []
    assert profiles.ip_blocks(PermissionProfileSpec()) == []


def test_write_volumes_one_empty_dir_per_path() -> None:
    volumes, mounts = profiles.write_volumes(profile(write=["/tmp", "/var/cache/app/", "/data"]))
    assert volumes == [
        {"name": "profile-write-0", "emptyDir": {}},
        {"name": "profile-write-1", "emptyDir": {}},
        {"name": "profile-write-2", "emptyDir": {}},
    ]
    assert mounts == [
        {"name": "profile-write-0", "mountPath": "/tmp"},
        {"name": "profile-write-1", "mountPath": "/var/cache/app"},
        {"name": "profile-write-2", "mountPath": "/data"},
    ]
    for volume in volumes:
        assert list(schema_errors(volume, "io.k8s.api.core.v1.Volume")) == []
    for mount in mounts:
        assert list(schema_errors(mount, "io.k8s.api.core.v1.VolumeMount")) == []


def test_write_volumes_mounts_a_path_spelt_twice_once() -> None:
    volumes, mounts = profiles.write_volumes(profile(write=["/tmp", "/tmp/", "/data"]))
    assert [v["name"] for v in volumes] == ["profile-write-0", "profile-write-1"]
    assert [m["mountPath"] for m in mounts] == ["/tmp", "/data"]


@pytest.mark.parametrize("name", ["none", "network"])
def test_builtin_profiles_write_nothing(name: str) -> None:
    assert profiles.write_volumes(BUILTIN_PROFILES[name]) == ([], [])


# --- allowHost validation (models) ---------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "path", "message"),
    [
        pytest.param(
            {"network": {"outbound": {"allowHost": ["api.example.com", "https://x.example.com"]}}},
            "profile.network.outbound.allowHost[1]",
            "'https://x.example.com' is not an IP address, a CIDR or a host name",
            id="URL instead of host",
        ),
        pytest.param(
            {"network": {"outbound": {"allowHost": ["db.example.com:5432"]}}},
            "profile.network.outbound.allowHost[0]",
            "is not an IP address, a CIDR or a host name",
            id="host with port",
        ),
        pytest.param(
            {"network": {"outbound": {"allowHost": ["10.0.0.0/33"]}}},
            "profile.network.outbound.allowHost[0]",
            "is not an IP address, a CIDR or a host name",
            id="bad prefix length",
        ),
        pytest.param(
            {"network": {"outbound": {"allowHost": ["10.0.0.300"]}}},
            "profile.network.outbound.allowHost[0]",
            "is not an IP address, a CIDR or a host name",
            id="bad IPv4 address",
        ),
        pytest.param(
            {"network": {"outbound": {"allowHost": ["169.254.169.254/32"]}}},
            "profile.network.outbound.allowHost[0]",
            "is the cloud metadata address, which is never reachable",
            id="metadata address",
        ),
        pytest.param(
            {"network": {"outbound": {"allowHost": ["fd00:ec2::254"]}}},
            "profile.network.outbound.allowHost[0]",
            "is the cloud metadata address, which is never reachable",
            id="IPv6 metadata address",
        ),
        pytest.param(
            {"write": ["/tmp", "/"]},
            "profile.write[1]",
            "'/' cannot be writable: the root file system stays read-only",
            id="writable root",
        ),
    ],
)
def test_invalid_profiles_are_refused(fields: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(SpecValidationError) as caught:
        profile(**fields)
    assert caught.value.paths == (path,)
    assert message in str(caught.value)


# --- host classification -------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("10.1.2.3/8", hosts.Destination("10.1.2.3/8", "cidr", cidr="10.0.0.0/8")),
        ("2001:db8::1", hosts.Destination("2001:db8::1", "cidr", cidr="2001:db8::1/128")),
        ("kubernetes", hosts.Destination("kubernetes", "api-server")),
        ("kubernetes.default.svc", hosts.Destination("kubernetes.default.svc", "api-server")),
        (
            "kubernetes.default.svc.cluster.local.",
            hosts.Destination("kubernetes.default.svc.cluster.local.", "api-server"),
        ),
        ("db.data.svc", hosts.Destination("db.data.svc", "service", namespace="data")),
        (
            "db.data.svc.cluster.local",
            hosts.Destination("db.data.svc.cluster.local", "service", namespace="data"),
        ),
        ("*.data.svc", hosts.Destination("*.data.svc", "service", namespace="data")),
        ("*.svc", hosts.Destination("*.svc", "service", namespace=None)),
        ("*.cluster.local", hosts.Destination("*.cluster.local", "service", namespace=None)),
        ("redis", hosts.Destination("redis", "service", namespace="team-a")),
        ("localhost", hosts.Destination("localhost", "loopback")),
        ("api.example.com", hosts.Destination("api.example.com", "external")),
        ("*.ocicloud.com", hosts.Destination("*.ocicloud.com", "external")),
        ("database.internal", hosts.Destination("database.internal", "external")),
    ],
    ids=lambda value: value if isinstance(value, str) else f"-> {value.kind}",
)
def test_classify(host: str, expected: hosts.Destination) -> None:
    assert hosts.classify(host, "team-a") == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://idp.example.com/realms/x", ("idp.example.com", 443)),
        ("http://keycloak.auth.svc:8080/realms/x", ("keycloak.auth.svc", 8080)),
        ("https://[2001:db8::1]:8443/", ("2001:db8::1", 8443)),
        ("https://host:99999/", None),
        ("https:///path", None),
    ],
    ids=lambda value: value if isinstance(value, str) else f"-> {value}",
)
def test_url_endpoint(url: str, expected: tuple[str, int] | None) -> None:
    assert hosts.url_endpoint(url) == expected
