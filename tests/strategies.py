"""Hypothesis strategies: valid MCPServer specs in the OEP's camelCase, and mutations of them.

``valid_specs()`` draws specs every part of which is valid by the OEP and our rules, over
the whole surface (transports, profiles, OIDC, Cedar, secrets, scheduling, volumes, pod
templates). ``mutations()`` draws a change that makes a valid spec invalid, with the field
path the error must name.
"""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from invariants import CREDENTIAL_PATTERNS, SECRET_ENV_NAME

LOWER = string.ascii_lowercase + string.digits
ENV_CHARS = string.ascii_uppercase + string.digits + "_"


def dns_labels(max_size: int = 20) -> st.SearchStrategy[str]:
    """RFC 1123 labels: lowercase alphanumerics and '-', not at the ends."""
    inner = st.text(LOWER + "-", max_size=max_size - 2)
    return st.builds(
        lambda a, mid, b: f"{a}{mid}{b}" if mid else a,
        st.sampled_from(LOWER),
        inner,
        st.sampled_from(LOWER),
    ).filter(lambda s: not s.endswith("-"))


#: Plain (non-secret) variable names: a literal value under a credential-like name is
#: what the invariants flag, and is not what a valid spec is meant to exercise.
env_names = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(string.ascii_uppercase),
    st.text(ENV_CHARS, max_size=12),
).filter(lambda name: not SECRET_ENV_NAME.search(name))
#: Literal values that do not look like credentials.
env_values = st.text(string.printable, max_size=20).filter(
    lambda value: not any(p.search(value) for p in CREDENTIAL_PATTERNS.values()))
paths = st.lists(dns_labels(8), min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
images = st.builds(
    lambda repo, tag: f"registry.example.com/{repo}:{tag}",
    dns_labels(12),
    st.sampled_from(["1.0.0", "v2.1.0", "2025.11.03"]),
)
quantities_cpu = st.sampled_from(["50m", "100m", "250m", "1"])
quantities_memory = st.sampled_from(["64Mi", "128Mi", "1Gi"])
ip_hosts = st.sampled_from(["10.0.0.0/8", "192.168.10.5", "203.0.113.0/24", "2001:db8::/32"])
host_names = st.sampled_from(
    ["api.example.com", "*.trusted.example.com", "db.internal", "kubernetes.default.svc"]
)
tool_names = st.text(string.ascii_lowercase + "_", min_size=1, max_size=12)


@st.composite
def env_and_secrets(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(env_names, unique=True, max_size=6))
    split = draw(st.integers(0, len(names)))
    env = [
        {"name": n, "value": draw(env_values)} for n in names[:split]
    ]
    secrets = [
        {"name": draw(dns_labels(15)), "key": draw(dns_labels(10)), "targetEnvName": n}
        for n in names[split:]
    ]
    return {"env": env, "secrets": secrets}


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["builtin", "inline"]))
    if kind == "builtin":
        return {"type": "builtin", "name": draw(st.sampled_from(["none", "network"]))}
    outbound = {
        "insecureAllowAll": draw(st.booleans()),
        "allowHost": draw(st.lists(st.one_of(ip_hosts, host_names), unique=True, max_size=4)),
        "allowPort": draw(st.lists(st.integers(1, 65535), unique=True, max_size=3)),
    }
    inline: dict[str, Any] = {
        "read": draw(st.lists(paths, unique=True, max_size=3)),
        "write": draw(st.lists(paths, unique=True, max_size=3)),
    }
    if draw(st.booleans()):
        inline["network"] = {"outbound": outbound}
    return {"type": "inline", "inline": inline}


@st.composite
def oidc_configs(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"type": "kubernetes", "kubernetes": {"audience": draw(dns_labels(12))}}
    inline = {
        "issuer": draw(st.sampled_from(["https://idp.example.com", "https://10.1.2.3:8443/realm"])),
        "audience": draw(dns_labels(12)),
    }
    if draw(st.booleans()):
        inline["jwksURL"] = inline["issuer"] + "/jwks"
    return {"type": "inline", "inline": inline}


@st.composite
def cedar_policies(draw: st.DrawFn) -> list[str]:
    tools = draw(st.lists(tool_names, min_size=1, max_size=3, unique=True))
    group = draw(dns_labels(10))
    templates = [
        f'permit(principal, action == Action::"call_tool", resource == Tool::"{tools[0]}");',
        f'permit(principal in Group::"{group}", action, resource);',
        'forbid(principal, action == Action::"call_tool", resource) '
        "when { resource has readOnlyHint && resource.readOnlyHint == false };",
        f'permit(principal, action in [Action::"call_tool", Action::"get_prompt"], resource) '
        f'when {{ principal.claim_sub == "{tools[-1]}" }};',
    ]
    return draw(st.lists(st.sampled_from(templates), min_size=1, max_size=3, unique=True))


@st.composite
def scheduling(draw: st.DrawFn) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if draw(st.booleans()):
        result["tolerations"] = [
            {"key": draw(dns_labels(10)), "operator": "Exists", "effect": "NoSchedule"}
        ]
    if draw(st.booleans()):
        result["nodeSelector"] = {"kubernetes.io/os": "linux", "pool": draw(dns_labels(10))}
    if draw(st.booleans()):
        result["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": "zone", "operator": "In", "values": [draw(dns_labels(6))]}
                            ]
                        }
                    ]
                }
            }
        }
    if draw(st.booleans()):
        result["resources"] = {
            "requests": {"cpu": draw(quantities_cpu), "memory": draw(quantities_memory)},
            "limits": {"cpu": "2", "memory": "2Gi"},
        }
    return result


@st.composite
def volumes(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(dns_labels(10), unique=True, max_size=3))
    vols = []
    mounts = []
    for index, name in enumerate(names):
        source = draw(st.sampled_from(["configMap", "secret", "emptyDir"]))
        if source == "configMap":
            vols.append({"name": name, "configMap": {"name": draw(dns_labels(12))}})
        elif source == "secret":
            vols.append({"name": name, "secret": {"secretName": draw(dns_labels(12))}})
        else:
            vols.append({"name": name, "emptyDir": {}})
        mounts.append({"name": name, "mountPath": f"/mnt/v{index}", "readOnly": True})
    return {"volumes": vols, "volumeMounts": mounts}


@st.composite
def valid_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid MCPServer spec in the OEP's camelCase spelling."""
    if draw(st.integers(0, 5)) == 0:
        spec: dict[str, Any] = {
            "type": "Remote",
            "url": draw(st.sampled_from(["https://mcp.example.com/mcp", "http://10.2.3.4:9000"])),
            "transport": draw(st.sampled_from(["streamable-http", "sse"])),
        }
        if draw(st.booleans()):
            spec["oidcConfig"] = draw(oidc_configs())
        return spec
    transport = draw(st.sampled_from(["stdio", "streamable-http", "sse"]))
    spec = {
        "type": "Hosted",
        "image": draw(images),
        "transport": transport,
        "replicas": draw(st.integers(0, 1) if transport == "stdio" else st.integers(0, 5)),
        "port": draw(st.integers(1024, 65535)),
        "targetPort": draw(st.integers(1024, 65535)),
        "args": draw(st.lists(st.text(string.printable, max_size=15), max_size=3)),
        "permissionProfile": draw(profiles()),
        "toolsFilter": draw(st.lists(tool_names, unique=True, max_size=3)),
        **draw(env_and_secrets()),
        **draw(scheduling()),
        **draw(volumes()),
    }
    if draw(st.booleans()):
        spec["oidcConfig"] = draw(oidc_configs())
    if draw(st.booleans()):
        spec["authzConfig"] = {"type": "inline", "inline": {"policies": draw(cedar_policies())}}
    if draw(st.booleans()):
        spec["capabilities"] = {"tools": True, "resources": draw(st.booleans())}
    return spec


@dataclass(frozen=True)
class Mutation:
    """A change that makes a valid spec invalid, and the field path the error must name."""

    name: str
    path: str
    apply: Callable[[dict[str, Any]], None]

    def __call__(self, spec: dict[str, Any]) -> dict[str, Any]:
        mutated = copy.deepcopy(spec)
        self.apply(mutated)
        return mutated


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(spec: dict[str, Any]) -> None:
        spec[key] = value

    return apply


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    def apply(spec: dict[str, Any]) -> None:
        spec.pop(key, None)

    return apply


def _authz(inline: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return _set("authzConfig", {"type": "inline", "inline": inline})


@st.composite
def mutations(draw: st.DrawFn, hosted: bool) -> Mutation:
    """A mutation that applies to a hosted (or remote) valid spec."""
    number = draw(st.sampled_from([-1, 0, 65536, 10**9]))
    junk = draw(
        st.one_of(
            st.text(max_size=5),
            st.integers(),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        )
    )
    common = [
        Mutation("unknown field", "spec.replica", _set("replica", 2)),
        Mutation("bad enum: transport", "spec.transport", _set("transport", "websocket")),
        Mutation("bad enum: type", "spec.type", _set("type", "Local")),
        Mutation("out-of-range port", "spec.port", _set("port", number)),
        Mutation("replicas out of range", "spec.replicas", _set("replicas", 101 + abs(number))),
        Mutation("wrong type: port", "spec.port", _set("port", str(number))),
        Mutation("wrong type: args", "spec.args", _set("args", {"a": 1})),
        Mutation("wrong type: env", "spec.env", _set("env", junk)),
        Mutation(
            "malformed resourceURL",
            "spec.oidcConfig.resourceURL",
            _set("oidcConfig", {"type": "kubernetes", "resourceURL": "mcp.internal"}),
        ),
        Mutation(
            "inline OIDC without issuer",
            "spec.oidcConfig.inline.issuer",
            _set("oidcConfig", {"type": "inline", "inline": {"audience": "x"}}),
        ),
        Mutation(
            "malformed Cedar",
            "spec.authzConfig.inline.policies[0]",
            _authz({"policies": ["permit(principal, action, resource"]}),
        ),
        Mutation(
            "malformed entities JSON",
            "spec.authzConfig.inline.entitiesJSON",
            _authz({"policies": ["permit(principal, action, resource);"], "entitiesJSON": "[{"}),
        ),
        Mutation("no policies", "spec.authzConfig.inline.policies", _authz({"policies": []})),
        Mutation(
            "Cedar: two policies in one entry",
            "spec.authzConfig.inline.policies[0]",
            _authz({"policies": ["permit(principal, action, resource); "
                                 "forbid(principal, action, resource);"]}),
        ),
        Mutation(
            "Cedar: a template",
            "spec.authzConfig.inline.policies[0]",
            _authz({"policies": ["permit(principal == ?principal, action, resource);"]}),
        ),
        Mutation(
            "entities JSON not an array",
            "spec.authzConfig.inline.entitiesJSON",
            _authz({"policies": ["permit(principal, action, resource);"], "entitiesJSON": "{}"}),
        ),
        Mutation(
            "bad enum: oidcConfig.type",
            "spec.oidcConfig.type",
            _set("oidcConfig", {"type": "saml"}),
        ),
        Mutation(
            "unknown nested field",
            "spec.oidcConfig.inline.clientSecret",
            _set("oidcConfig", {"type": "inline", "inline": {
                "issuer": "https://idp.example.com", "clientSecret": "s3cr3t"}}),
        ),
        Mutation("out-of-range targetPort", "spec.targetPort", _set("targetPort", 70000)),
        Mutation("wrong type: replicas", "spec.replicas", _set("replicas", True)),
        Mutation("wrong type: toolsFilter", "spec.toolsFilter", _set("toolsFilter", "all")),
        Mutation("duplicate toolsFilter", "spec.toolsFilter", _set("toolsFilter", ["a", "a"])),
    ]
    hosted_only = [
        Mutation("missing image", "spec", _drop("image")),
        Mutation(
            "stdio scaled", "spec.replicas", lambda s: s.update(transport="stdio", replicas=2)
        ),
        Mutation(
            "bad profile name",
            "spec.permissionProfile.name",
            _set("permissionProfile", {"type": "builtin", "name": "everything"}),
        ),
        Mutation(
            "relative write path",
            "spec.permissionProfile.inline.write[0]",
            _set("permissionProfile", {"type": "inline", "inline": {"write": ["tmp"]}}),
        ),
        Mutation("secret without key", "spec.secrets[0].key", _set("secrets", [{"name": "creds"}])),
        Mutation(
            "profile host is the metadata address",
            "spec.permissionProfile.inline.network.outbound.allowHost[0]",
            _set("permissionProfile", {"type": "inline", "inline": {"network": {"outbound": {
                "allowHost": ["169.254.169.254"]}}}}),
        ),
        Mutation("wrong type: env value", "spec.env[0].value",
                 _set("env", [{"name": "A", "value": 3}])),
        Mutation("env entry without name", "spec.env[0]", _set("env", [{"value": "x"}])),
        Mutation(
            "bad toleration",
            "spec.tolerations[0].tolerationSeconds",
            _set("tolerations", [{"key": "a", "tolerationSeconds": "soon"}]),
        ),
    ]
    remote_only = [
        Mutation("missing url", "spec", _drop("url")),
        Mutation("url not http", "spec.url", _set("url", "ftp://mcp.example.com")),
    ]
    return draw(st.sampled_from(common + (hosted_only if hosted else remote_only)))


# --- whole component arguments -------------------------------------------------------------

#: Where a case's profile, OIDC and authz configuration come from: the spec itself, the
#: ``config_maps`` argument, a ``PermissionProfile`` component (profile only), or the
#: cluster (read with ``ConfigMap.get`` at deploy time).
Source = str
PROFILE_CONFIG_MAP = "shared-profile"
OIDC_CONFIG_MAP = "idp-settings"
AUTHZ_CONFIG_MAP = "cedar-policies"


@dataclass(frozen=True)
class ServerCase:
    """A valid MCPServer or ClusterMCPServer: its arguments, and where the referenced
    ConfigMaps come from. ``spec`` is inline throughout; ``arguments`` moves the parts
    ``source`` names out of it."""

    kind: str
    spec: dict[str, Any]
    network_enforcement: str
    source: Source
    use_profile_component: bool

    @property
    def namespace(self) -> str:
        return "ome-mcp-system" if self.kind == "ClusterMCPServer" else "tools"

    def referenced(self) -> dict[str, dict[str, str]]:
        """ConfigMap data by name for the parts that become references (inline profile,
        inline OIDC, inline authz); empty when ``source`` is ``spec``."""
        if self.source == "spec":
            return {}
        data: dict[str, dict[str, str]] = {}
        profile = self.spec.get("permissionProfile") or {}
        if profile.get("type") == "inline" and not self.use_profile_component:
            data[PROFILE_CONFIG_MAP] = {"permissions.json": json.dumps(profile["inline"])}
        oidc = self.spec.get("oidcConfig") or {}
        if oidc.get("type") == "inline":
            data[OIDC_CONFIG_MAP] = {"oidc.json": json.dumps(oidc["inline"])}
        authz = self.spec.get("authzConfig") or {}
        if authz.get("type") == "inline":
            data[AUTHZ_CONFIG_MAP] = {"authz.json": json.dumps({
                "version": "1.0", "type": "cedarv1",
                "cedar": {"policies": authz["inline"]["policies"], "entities_json": "[]"}})}
        return data

    def arguments(self, profile_component: Any = None) -> dict[str, Any]:
        """The component's arguments; ``profile_component`` is the ``PermissionProfile``
        to reference when ``use_profile_component``."""
        spec = copy.deepcopy(self.spec)
        referenced = self.referenced()
        if PROFILE_CONFIG_MAP in referenced:
            spec["permissionProfile"] = {"type": "configMap",
                                         "configMap": {"name": PROFILE_CONFIG_MAP}}
        if OIDC_CONFIG_MAP in referenced:
            spec["oidcConfig"] = {"type": "configMap", "configMap": {"name": OIDC_CONFIG_MAP}}
        if AUTHZ_CONFIG_MAP in referenced:
            spec["authzConfig"] = {"type": "configMap", "configMap": {"name": AUTHZ_CONFIG_MAP}}
        if self.use_profile_component:
            spec["permissionProfile"] = profile_component
        args: dict[str, Any] = {"spec": spec, "network_enforcement": self.network_enforcement}
        if self.kind == "MCPServer":
            args["metadata"] = {"namespace": self.namespace}
        if self.source == "config_maps":
            args["config_maps"] = referenced
        return args

    def cluster(self) -> dict[tuple[str, str], dict[str, str]]:
        """The ConfigMaps the offline cluster holds (``source == "cluster"``)."""
        if self.source != "cluster":
            return {}
        return {(self.namespace, name): data for name, data in self.referenced().items()}

    def profile_spec(self) -> dict[str, Any] | None:
        """The inline profile a ``PermissionProfile`` component holds, if one is used."""
        if not self.use_profile_component:
            return None
        return dict(self.spec["permissionProfile"]["inline"])


@st.composite
def server_cases(draw: st.DrawFn) -> ServerCase:
    """A valid MCPServer or ClusterMCPServer, under either network enforcement, with its
    profile, OIDC and authz configuration given inline, through ``config_maps``, through
    a ``PermissionProfile`` component, or read from the cluster."""
    spec = draw(valid_specs())
    inline_profile = (spec.get("permissionProfile") or {}).get("type") == "inline"
    return ServerCase(
        kind=draw(st.sampled_from(["MCPServer", "ClusterMCPServer"])),
        spec=spec,
        network_enforcement=draw(st.sampled_from(["kubernetes", "cilium"])),
        source=draw(st.sampled_from(["spec", "config_maps", "cluster"])),
        use_profile_component=inline_profile and draw(st.booleans()),
    )
