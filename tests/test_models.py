"""The spec models: the OEP's defaults, and one refused input per validation rule."""

from __future__ import annotations

from typing import Any

import pytest

from ome_mcp_components.errors import SpecValidationError
from ome_mcp_components.models import (
    MCPServerSpec,
    ObjectMetadata,
    PermissionProfileSpec,
    parse_model,
)

RESOURCE = "MCPServer 'demo'"


def spec(**fields: Any) -> dict[str, Any]:
    return {"image": "ghcr.io/acme/tools:1.2.3", **fields}


def parse(data: dict[str, Any]) -> MCPServerSpec:
    return parse_model(MCPServerSpec, data, resource=RESOURCE, root="spec")


def test_oep_defaults() -> None:
    parsed = parse(spec())
    assert parsed.wire() == {
        "type": "Hosted",
        "image": "ghcr.io/acme/tools:1.2.3",
        "transport": "stdio",
        "replicas": 1,
        "port": 8080,
        "targetPort": 8080,
        "args": [],
        "env": [],
        "volumeMounts": [],
        "secrets": [],
        "toolsFilter": [],
        "tolerations": [],
        "nodeSelector": {},
        "volumes": [],
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (spec(port=9000), {"port": 9000, "targetPort": 9000}),
        (spec(port=9000, targetPort=3000), {"port": 9000, "targetPort": 3000}),
        ({"type": "Remote", "url": "https://mcp.example.com"}, {"transport": "streamable-http"}),
        (spec(protocol={}), {"protocol": {"name": "JSON-RPC", "version": "2.0"}}),
        (
            spec(capabilities={}),
            {"capabilities": {"tools": True, "resources": False, "prompts": False}},
        ),
        (
            spec(oidcConfig={"type": "kubernetes", "kubernetes": {}}),
            {
                "oidcConfig": {
                    "type": "kubernetes",
                    "kubernetes": {
                        "audience": "toolhive",
                        "issuer": "https://kubernetes.default.svc",
                        "useClusterAuth": True,
                    },
                }
            },
        ),
        (
            spec(oidcConfig={"type": "inline", "inline": {"issuer": "https://idp.example.com"}}),
            {
                "oidcConfig": {
                    "type": "inline",
                    "inline": {"issuer": "https://idp.example.com", "jwksAllowPrivateIP": False},
                }
            },
        ),
        (
            spec(
                authzConfig={
                    "type": "inline",
                    "inline": {"policies": ["permit(principal, action, resource);"]},
                }
            ),
            {
                "authzConfig": {
                    "type": "inline",
                    "inline": {
                        "policies": ["permit(principal, action, resource);"],
                        "entitiesJSON": "[]",
                    },
                }
            },
        ),
        (
            spec(authzConfig={"configMap": {"name": "authz"}}),
            {
                "authzConfig": {
                    "type": "configMap",
                    "configMap": {"name": "authz", "key": "authz.json"},
                }
            },
        ),
        (
            spec(permissionProfile={"type": "configMap", "configMap": {"name": "perms"}}),
            {
                "permissionProfile": {
                    "type": "configMap",
                    "configMap": {"name": "perms", "key": "permissions.json"},
                }
            },
        ),
        (
            spec(oidcConfig={"type": "configMap", "configMap": {"name": "oidc"}}),
            {
                "oidcConfig": {
                    "type": "configMap",
                    "configMap": {"name": "oidc", "key": "oidc.json"},
                }
            },
        ),
    ],
    ids=[
        "targetPort defaults to port",
        "explicit targetPort kept",
        "Remote defaults to streamable-http",
        "protocol defaults to JSON-RPC 2.0",
        "capabilities default tools only",
        "kubernetes OIDC defaults",
        "inline OIDC: jwksAllowPrivateIP false",
        "inline authz: entitiesJSON []",
        "authz type defaults to configMap, key authz.json",
        "profile configMap key permissions.json",
        "OIDC configMap key oidc.json",
    ],
)
def test_defaults(data: dict[str, Any], expected: dict[str, Any]) -> None:
    wire = parse(data).wire()
    assert {key: wire[key] for key in expected} == expected


def test_empty_optional_urls_are_unset() -> None:
    # The OEP writes ``jwksURL: ""  # Optional, auto-discovered if empty``.
    parsed = parse(spec(oidcConfig={"type": "kubernetes", "kubernetes": {
        "jwksURL": "", "introspectionURL": ""}}))
    assert parsed.oidc_config is not None
    assert parsed.oidc_config.kubernetes is not None
    assert parsed.oidc_config.kubernetes.jwks_url is None
    assert parsed.oidc_config.kubernetes.introspection_url is None


def test_authorization_without_authentication_gets_kubernetes_oidc() -> None:
    # OEP pattern 2: authzConfig alone; Cedar needs an authenticated principal.
    parsed = parse(spec(authzConfig={"type": "configMap", "configMap": {"name": "authz"}}))
    assert parsed.wire()["oidcConfig"] == {"type": "kubernetes"}


def test_snake_case_and_camel_case_are_the_same_spec() -> None:
    camel = spec(
        targetPort=3000,
        toolsFilter=["a"],
        permissionProfile={
            "type": "inline",
            "inline": {"network": {"outbound": {"allowPort": [443]}}},
        },
        secrets=[{"name": "s", "key": "k", "targetEnvName": "K"}],
    )
    snake = spec(
        target_port=3000,
        tools_filter=["a"],
        permission_profile={
            "type": "inline",
            "inline": {"network": {"outbound": {"allow_port": [443]}}},
        },
        secrets=[{"name": "s", "key": "k", "target_env_name": "K"}],
    )
    assert parse(camel) == parse(snake)


def test_models_are_accepted_as_they_are() -> None:
    parsed = parse(spec())
    assert parse_model(MCPServerSpec, parsed, resource=RESOURCE, root="spec") is parsed


@pytest.mark.parametrize("fragment", [
    pytest.param({"spec": {"nodeSelector": {"pool": "mcp"}}}, id="nodeSelector only"),
    pytest.param({"spec": {"tolerations": [{"key": "gpu", "operator": "Exists"}],
                           "priorityClassName": "high"}}, id="tolerations, priority"),
    pytest.param({"metadata": {"annotations": {"team": "data"}}}, id="metadata only"),
    pytest.param({"spec": {"containers": [{"name": "mcp", "resources": {
        "limits": {"memory": "1Gi"}}}]}}, id="container mcp without image"),
    pytest.param({"spec": {"hostNetwork": True, "securityContext": {"runAsUser": 0}}},
                 id="insecure but valid Kubernetes (the policy pack judges it)"),
])
def test_pod_template_fragments_are_accepted(fragment: dict[str, Any]) -> None:
    assert parse(spec(podTemplateSpec=fragment)).pod_template_spec == fragment


REFUSED = [
    # (id, spec, path, words in the message)
    (
        "pod template fragment: what the merge leaves missing, at the user's index",
        spec(podTemplateSpec={"spec": {"containers": [
            {"name": "sidecar", "image": "busybox:1.36", "ports": [{"name": "http"}]},
            {"name": "mcp"}]}}),
        "spec.podTemplateSpec.spec.containers[0].ports[0]",
        "'containerPort' is required",
    ),
    (
        "pod template fragment: a container without a name",
        spec(podTemplateSpec={"spec": {"containers": [{"image": "busybox:1.36"}]}}),
        "spec.podTemplateSpec.spec.containers[0]",
        "'name' is required",
    ),
    (
        "pod template fragment: spec null would remove the server pod",
        spec(podTemplateSpec={"spec": None}),
        "spec.podTemplateSpec.spec",
        "cannot be null",
    ),
    (
        "pod template fragment: the server's image cannot be removed",
        spec(podTemplateSpec={"spec": {"containers": [{"name": "mcp", "image": None}]}}),
        "spec.podTemplateSpec.spec.containers[0].image",
        "set spec.image instead",
    ),
    (
        "pod template fragment: unknown field",
        spec(podTemplateSpec={"spec": {"nodeSelectors": {"pool": "mcp"}}}),
        "spec.podTemplateSpec.spec",
        "unknown field 'nodeSelectors'",
    ),
    ("OEP: image required for Hosted", {}, "spec", "image is required for Hosted MCP servers"),
    (
        "OEP: url required for Remote",
        {"type": "Remote"},
        "spec",
        "url is required for Remote MCP servers",
    ),
    ("OEP: type enum", spec(type="Local"), "spec.type", "'Hosted' or 'Remote'"),
    ("OEP: transport enum", spec(transport="http"), "spec.transport", "'stdio'"),
    (
        "ours: no credentials in URLs",
        {"type": "Remote", "url": "https://bot:hunter2@mcp.example.com"},
        "spec.url",
        "must not carry credentials",
    ),
    (
        "ours: never the metadata address",
        {"type": "Remote", "url": "http://169.254.169.254/latest"},
        "spec.url",
        "metadata address",
    ),
    ("OEP: url pattern", {"type": "Remote", "url": "mcp.example.com"}, "spec.url", "^https?://"),
    ("OEP: replicas minimum 0", spec(replicas=-1), "spec.replicas", "greater than or equal to 0"),
    ("OEP: replicas maximum 100", spec(replicas=101), "spec.replicas", "less than or equal to 100"),
    ("OEP: port minimum 1", spec(port=0), "spec.port", "greater than or equal to 1"),
    ("OEP: port maximum 65535", spec(port=65536), "spec.port", "less than or equal to 65535"),
    ("OEP: targetPort range", spec(targetPort=70000), "spec.targetPort", "65535"),
    ("OEP: protocol name enum", spec(protocol={"name": "gRPC"}), "spec.protocol.name", "JSON-RPC"),
    (
        "OEP: protocol version enum",
        spec(protocol={"version": "1.0"}),
        "spec.protocol.version",
        "'2.0'",
    ),
    (
        "OEP: env is a map keyed by name",
        spec(env=[{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]),
        "spec.env",
        "duplicated ['A']",
    ),
    (
        "OEP: volumeMounts map keyed by name",
        spec(volumeMounts=[{"name": "v", "mountPath": "/a"}, {"name": "v", "mountPath": "/b"}]),
        "spec.volumeMounts",
        "duplicated ['v']",
    ),
    ("OEP: toolsFilter is a set", spec(toolsFilter=["a", "a"]), "spec.toolsFilter", "unique"),
    (
        "OEP: secret name required",
        spec(secrets=[{"key": "k"}]),
        "spec.secrets[0].name",
        "field required",
    ),
    (
        "OEP: secret key minLength 1",
        spec(secrets=[{"name": "s", "key": ""}]),
        "spec.secrets[0].key",
        "at least 1 character",
    ),
    (
        "OEP: secret targetEnvName minLength 1",
        spec(secrets=[{"name": "s", "key": "k", "targetEnvName": ""}]),
        "spec.secrets[0].targetEnvName",
        "at least 1 character",
    ),
    (
        "OEP: builtin profile needs a name",
        spec(permissionProfile={"type": "builtin"}),
        "spec.permissionProfile",
        "name is required for builtin permission profiles",
    ),
    (
        "OEP: builtin profile name enum",
        spec(permissionProfile={"name": "all"}),
        "spec.permissionProfile.name",
        "'none' or 'network'",
    ),
    (
        "OEP: configMap profile needs configMap",
        spec(permissionProfile={"type": "configMap"}),
        "spec.permissionProfile",
        "configMap is required for configMap permission profiles",
    ),
    (
        "OEP: inline profile needs inline",
        spec(permissionProfile={"type": "inline"}),
        "spec.permissionProfile",
        "inline is required for inline permission profiles",
    ),
    (
        "OEP: profile type enum",
        spec(permissionProfile={"type": "file"}),
        "spec.permissionProfile.type",
        "'builtin'",
    ),
    (
        "OEP: profile read is a set",
        spec(permissionProfile={"type": "inline", "inline": {"read": ["/a", "/a"]}}),
        "spec.permissionProfile.inline.read",
        "unique",
    ),
    (
        "OEP: allowHost is a set",
        spec(
            permissionProfile={
                "type": "inline",
                "inline": {"network": {"outbound": {"allowHost": ["a.com", "a.com"]}}},
            }
        ),
        "spec.permissionProfile.inline.network.outbound.allowHost",
        "unique",
    ),
    (
        "OEP: allowPort is a set",
        spec(
            permissionProfile={
                "type": "inline",
                "inline": {"network": {"outbound": {"allowPort": [443, 443]}}},
            }
        ),
        "spec.permissionProfile.inline.network.outbound.allowPort",
        "unique",
    ),
    (
        "OEP: OIDC type enum",
        spec(oidcConfig={"type": "saml"}),
        "spec.oidcConfig.type",
        "'kubernetes'",
    ),
    (
        "OEP: configMap OIDC needs configMap",
        spec(oidcConfig={"type": "configMap"}),
        "spec.oidcConfig",
        "configMap is required for configMap OIDC configuration",
    ),
    (
        "OEP: inline OIDC needs inline",
        spec(oidcConfig={"type": "inline"}),
        "spec.oidcConfig",
        "inline is required for inline OIDC configuration",
    ),
    (
        "OEP: inline OIDC issuer required",
        spec(oidcConfig={"type": "inline", "inline": {"audience": "a"}}),
        "spec.oidcConfig.inline.issuer",
        "field required",
    ),
    (
        "OEP: resourceURL pattern",
        spec(oidcConfig={"resourceURL": "mcp.local"}),
        "spec.oidcConfig.resourceURL",
        "^https?://",
    ),
    (
        "OEP: authz type enum",
        spec(authzConfig={"type": "opa"}),
        "spec.authzConfig.type",
        "'configMap' or 'inline'",
    ),
    (
        "OEP: configMap authz needs configMap",
        spec(authzConfig={"type": "configMap"}),
        "spec.authzConfig",
        "configMap is required for configMap authorization configuration",
    ),
    (
        "OEP: inline authz needs inline",
        spec(authzConfig={"type": "inline"}),
        "spec.authzConfig",
        "inline is required for inline authorization configuration",
    ),
    (
        "OEP: at least one policy",
        spec(authzConfig={"type": "inline", "inline": {"policies": []}}),
        "spec.authzConfig.inline.policies",
        "at least 1 item",
    ),
    (
        "ours: stdio cannot scale",
        spec(transport="stdio", replicas=2),
        "spec.replicas",
        "stdio servers cannot have more than one replica",
    ),
    (
        "ours: Remote cannot be stdio",
        {"type": "Remote", "url": "https://x.example.com", "transport": "stdio"},
        "spec.transport",
        "stdio is not possible for Remote",
    ),
    (
        "ours: env name set twice",
        spec(
            env=[{"name": "TOKEN_FILE", "value": "/t"}],
            secrets=[{"name": "s", "key": "TOKEN_FILE"}],
        ),
        "spec.secrets[0].key",
        "already set by spec.env[0]",
    ),
    (
        "ours: secret name is a Kubernetes name",
        spec(secrets=[{"name": "My_Secret", "key": "k"}]),
        "spec.secrets[0].name",
        "valid Kubernetes name",
    ),
    (
        "ours: serviceAccount is a Kubernetes name",
        spec(serviceAccount="Robot"),
        "spec.serviceAccount",
        "valid Kubernetes name",
    ),
    (
        "ours: write paths are absolute",
        spec(permissionProfile={"type": "inline", "inline": {"write": ["tmp"]}}),
        "spec.permissionProfile.inline.write[0]",
        "absolute path",
    ),
    ("ours: ports are integers", spec(port="8080"), "spec.port", "valid integer"),
    ("ours: unknown field", spec(replica=2), "spec.replica", "unknown field"),
    (
        "ours: unknown nested field",
        spec(
            oidcConfig={
                "type": "inline",
                "inline": {"issuer": "https://idp.example.com", "clientSecret": "x"},
            }
        ),
        "spec.oidcConfig.inline.clientSecret",
        "unknown field",
    ),
    (
        "k8s schema: env var",
        spec(env=[{"name": "A", "valueFrom": {"secretKeyRef": {"nme": "x"}}}]),
        "spec.env[0].valueFrom.secretKeyRef",
        "unknown field 'nme'",
    ),
    (
        "k8s schema: toleration",
        spec(tolerations=[{"key": "a", "tolerationSeconds": "1h"}]),
        "spec.tolerations[0].tolerationSeconds",
        "expected integer",
    ),
    (
        "k8s schema: resources",
        spec(resources={"limits": {"cpu": ["1"]}}),
        "spec.resources.limits.cpu",
        "not valid",
    ),
    (
        "k8s schema: pod template",
        spec(
            podTemplateSpec={
                "spec": {"containers": [{"name": "mcp", "securityContext": {"runAsUser": "root"}}]}
            }
        ),
        "spec.podTemplateSpec.spec.containers[0].securityContext.runAsUser",
        "expected integer",
    ),
    (
        "k8s schema: affinity",
        spec(affinity={"nodeAffinity": {"bogus": {}}}),
        "spec.affinity.nodeAffinity",
        "unknown field 'bogus'",
    ),
    (
        "k8s schema: volume names unique",
        spec(volumes=[{"name": "a", "emptyDir": {}}, {"name": "a", "emptyDir": {}}]),
        "spec.volumes",
        "duplicated ['a']",
    ),
]


@pytest.mark.parametrize(
    ("data", "path", "words"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_refused(data: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse(data)
    error = caught.value
    assert isinstance(error, ValueError)
    assert path in error.paths, str(error)
    assert words in str(error)
    assert str(error).startswith(RESOURCE)


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse(spec(replicas=101, port=0, bogus=True))
    assert set(caught.value.paths) == {"spec.replicas", "spec.port", "spec.bogus"}


def test_literal_env_values_are_never_echoed() -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse(spec(env=[{"name": "DB_PASSWORD", "value": 12345}]))
    assert "12345" not in str(caught.value)


@pytest.mark.parametrize("data", [None, [], "spec", 3], ids=["None", "list", "str", "int"])
def test_non_mapping_spec(data: Any) -> None:
    with pytest.raises(SpecValidationError, match="spec: must be a mapping"):
        parse_model(MCPServerSpec, data, resource=RESOURCE, root="spec")


def test_profile_spec_round_trips_in_the_oep_configmap_format() -> None:
    oep = {
        "read": ["/etc/ssl/certs", "/tmp"],
        "write": ["/tmp"],
        "network": {
            "outbound": {
                "allowHost": ["*.ocicloud.com", "kubernetes.default.svc"],
                "allowPort": [443, 6443],
            }
        },
    }
    parsed = parse_model(PermissionProfileSpec, oep, resource="ConfigMap", root="")
    assert parsed.wire() == {
        **oep,
        "network": {"outbound": {**oep["network"]["outbound"], "insecureAllowAll": False}},
    }


@pytest.mark.parametrize(
    ("metadata", "path"),
    [
        ({"namespace": "Data_Science"}, "metadata.namespace"),
        ({"labels": {"team": "data science"}}, "metadata.labels.team"),
        ({"labels": {"-bad": "x"}}, "metadata.labels.-bad"),
        ({"annotations": {"a/b/c": "x"}}, "metadata.annotations.a/b/c"),
        ({"owner": "me"}, "metadata.owner"),
    ],
    ids=["namespace", "label value", "label key", "annotation key", "unknown field"],
)
def test_metadata_refused(metadata: dict[str, Any], path: str) -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse_model(ObjectMetadata, metadata, resource=RESOURCE, root="metadata")
    assert path in caught.value.paths, str(caught.value)
