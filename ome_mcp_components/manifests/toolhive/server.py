"""A ToolHive ``MCPServer`` spec as the OEP's, field by field (the table is in the
package docstring); ``Lookups`` holds the documents a spec may name."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ome_mcp_components.errors import Issue, ManifestError
from ome_mcp_components.manifests.toolhive import auth
from ome_mcp_components.models import DEFAULT_PORT, HTTP_TRANSPORTS
from ome_mcp_components.vocabulary.keys import PROFILE_KEY

Spec = dict[str, Any]
Key = tuple[str, str, str]  # (kind, namespace, name)


@dataclass
class Lookups:
    """The documents a ToolHive spec may name, by (kind, namespace, name), and which of
    them a server used."""

    documents: dict[Key, tuple[str, Mapping[str, Any]]]
    _used: set[Key] = field(default_factory=set)

    @classmethod
    def of(cls, items: Iterable[tuple[str, Any]],
           namespace: Callable[[Mapping[str, Any]], str]) -> Lookups:
        """Every ConfigMap, MCPToolConfig and MCPOIDCConfig document of ``items``."""
        found: dict[Key, tuple[str, Mapping[str, Any]]] = {}
        for where, document in items:
            if not isinstance(document, Mapping):
                continue
            kind, metadata = document.get("kind"), document.get("metadata")
            name = metadata.get("name") if isinstance(metadata, Mapping) else None
            if kind in ("ConfigMap", "MCPToolConfig", "MCPOIDCConfig") and isinstance(name, str):
                found.setdefault((kind, namespace(document), name), (where, document))
        return cls(found)

    def get(self, kind: str, namespace: str, name: str) -> tuple[str, Mapping[str, Any]] | None:
        """``(where, document)`` of a document, marked used; None if there is none."""
        key = (kind, namespace, name)
        if key in self.documents:
            self._used.add(key)
            return self.documents[key]
        return None

    def used(self, kind: str, namespace: str, name: str) -> bool:
        """True once a server has used the document."""
        return (kind, namespace, name) in self._used


#: Fields with no equivalent, and what to do instead.
NO_EQUIVALENT: dict[str, str] = {
    "resourceOverrides": "per-object labels and annotations are not supported: put them in "
                         "metadata.labels/annotations (they go on every object)",
    "authzConfigRef": "MCPAuthzConfig is not loaded: write the policies as authzConfig",
    "externalAuthConfigRef": "token exchange and external auth are not supported",
    "authServerRef": "an embedded authorization server is not supported",
    "webhookConfigRef": "webhook middleware is not supported",
    "telemetry": "the gateway's telemetry is not configurable from a manifest",
    "telemetryConfigRef": "the gateway's telemetry is not configurable from a manifest",
    "groupRef": "MCP groups are not supported",
    "sessionStorage": "the gateway keeps no shared session storage",
    "rateLimiting": "rate limiting is not supported",
    "endpointPrefix": "path prefixes are not supported: expose the Service as it is",
}
#: Fields accepted when they hold ToolHive's default (the behaviour ome-mcp has).
DEFAULT_ONLY: dict[str, tuple[Any, str]] = {
    "trustProxyHeaders": (False, "the gateway does not trust X-Forwarded-* headers"),
    "sessionAffinity": ("None", "the Service does not pin clients to pods"),
}


def translate_spec(where: str, spec: Mapping[str, Any], namespace: str, lookups: Lookups
                   ) -> Spec:
    """The OEP spec of ToolHive spec ``spec`` (``ManifestError`` for a field that cannot
    map, naming it and what to do)."""

    def fail(path: str, message: str) -> ManifestError:
        return ManifestError(where, Issue(f"spec.{path}", message))

    out: Spec = {}
    for key, value in spec.items():
        if key in NO_EQUIVALENT:
            if value not in (None, {}, [], ""):
                raise fail(key, f"has no equivalent in ome-mcp: {NO_EQUIVALENT[key]}")
        elif key in DEFAULT_ONLY:
            allowed, meaning = DEFAULT_ONLY[key]
            if value not in (None, allowed):
                raise fail(key, f"{value!r} has no equivalent: {meaning}; remove it")
        elif key in _HANDLERS:
            _HANDLERS[key](value, out, fail)
        elif key not in _TRANSLATED_LATER:
            raise fail(key, "unknown field of a ToolHive MCPServer")
    _ports(spec, out, fail)
    _replicas(spec, out, fail)
    _tools(spec, out, namespace, lookups, fail)
    if spec.get("oidcConfig") is not None and spec.get("oidcConfigRef") is not None:
        raise fail("oidcConfigRef", "oidcConfig is set too: keep one of them")
    if spec.get("oidcConfig") is not None:
        out["oidcConfig"] = auth.oidc_config(spec["oidcConfig"], namespace, lookups, fail)
    if spec.get("oidcConfigRef") is not None:
        out["oidcConfig"] = auth.oidc_config_ref(spec["oidcConfigRef"], namespace, lookups,
                                                 fail)
    return out


Fail = Callable[[str, str], ManifestError]


def _same(name: str) -> Callable[[Any, Spec, Fail], None]:
    def copy(value: Any, out: Spec, fail: Fail) -> None:
        if value is not None:
            out[name] = value
    return copy


def _volumes(value: Any, out: Spec, fail: Fail) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        raise fail("volumes", "must be a list of {name, hostPath, mountPath, readOnly}")
    volumes, mounts = [], []
    for index, volume in enumerate(value):
        if not isinstance(volume, Mapping) or not {"name", "hostPath", "mountPath"} <= \
                volume.keys() or set(volume) - {"name", "hostPath", "mountPath", "readOnly"}:
            raise fail(f"volumes[{index}]", "must be {name, hostPath, mountPath, readOnly}")
        volumes.append({"name": volume["name"], "hostPath": {"path": volume["hostPath"]}})
        mounts.append({"name": volume["name"], "mountPath": volume["mountPath"],
                       "readOnly": bool(volume.get("readOnly", False))})
    out["volumes"], out["volumeMounts"] = volumes, mounts


def _resources(value: Any, out: Spec, fail: Fail) -> None:
    if value not in (None, {}):  # ToolHive's empty resources: our defaults apply
        out["resources"] = value


def _permission_profile(value: Any, out: Spec, fail: Fail) -> None:
    if value is None:
        return
    path = "permissionProfile"
    if not isinstance(value, Mapping) or set(value) - {"type", "name", "key"}:
        raise fail(path, "must be {type: builtin|configmap, name, key}")
    kind, name = value.get("type", "builtin"), value.get("name")
    if kind == "builtin":
        if "key" in value:
            raise fail(f"{path}.key", "is for configmap profiles only")
        out[path] = {"type": "builtin", "name": name}
    elif kind in ("configmap", "configMap"):
        out[path] = {"type": "configMap", "configMap": {
            "name": name, "key": value.get("key") or PROFILE_KEY}}
    else:
        raise fail(f"{path}.type", f"{kind!r} is not allowed: must be 'builtin' or 'configmap'")


def _authz(value: Any, out: Spec, fail: Fail) -> None:
    if value is not None:
        out["authzConfig"] = auth.authz_config(value, fail)


def _audit(value: Any, out: Spec, fail: Fail) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping) or set(value) - {"enabled"}:
        raise fail("audit", "must be {enabled: true|false}")
    if value.get("enabled") is not True:
        raise fail("audit.enabled", "the gateway's audit log is on in ome-mcp and cannot be "
                                    "turned off from a manifest; remove audit")


_HANDLERS: dict[str, Callable[[Any, Spec, Fail], None]] = {
    "image": _same("image"),
    "transport": _same("transport"),
    "args": _same("args"),
    "env": _same("env"),
    "secrets": _same("secrets"),
    "serviceAccount": _same("serviceAccount"),
    "podTemplateSpec": _same("podTemplateSpec"),
    "volumes": _volumes,
    "resources": _resources,
    "permissionProfile": _permission_profile,
    "authzConfig": _authz,
    "audit": _audit,
}
#: Fields read by the steps after the field loop (they depend on each other).
_TRANSLATED_LATER = frozenset({"port", "proxyPort", "targetPort", "mcpPort", "proxyMode",
                               "replicas", "backendReplicas", "tools", "toolConfigRef",
                               "oidcConfig", "oidcConfigRef"})


def _one_of(spec: Mapping[str, Any], current: str, deprecated: str, fail: Fail) -> Any:
    """The value of ``current``, or of its deprecated name; both set must agree."""
    new, old = spec.get(current), spec.get(deprecated)
    if new is not None and old is not None and new != old:
        raise fail(deprecated, f"is {old!r} but {current} is {new!r}: {deprecated} is "
                               f"ToolHive's deprecated name of {current}; keep {current}")
    return new if new is not None else old


def _ports(spec: Mapping[str, Any], out: Spec, fail: Fail) -> None:
    port = _one_of(spec, "proxyPort", "port", fail)
    target = _one_of(spec, "mcpPort", "targetPort", fail)
    if port is not None:
        out["port"] = port
    transport = spec.get("transport") or "stdio"
    if target is not None:
        out["targetPort"] = target
    elif transport in HTTP_TRANSPORTS:
        out["targetPort"] = DEFAULT_PORT  # ToolHive's default mcpPort, not the proxy port
    # ToolHive reads proxyMode for stdio only; the gateway serves stdio as streamable-http
    mode = spec.get("proxyMode")
    if mode not in (None, "sse", "streamable-http"):
        raise fail("proxyMode", f"{mode!r} is not allowed: must be 'sse' or 'streamable-http'")
    if mode == "sse" and transport == "stdio":
        raise fail("proxyMode", "'sse' has no equivalent: the gateway serves stdio servers as "
                                "streamable-http (/mcp); remove proxyMode")


def _replicas(spec: Mapping[str, Any], out: Spec, fail: Fail) -> None:
    backend, proxy = spec.get("backendReplicas"), spec.get("replicas")
    if backend is not None:
        out["replicas"] = backend
    if proxy is not None:
        if proxy != (backend if backend is not None else 1):
            raise fail("replicas", f"{proxy!r} proxy replicas has no equivalent: the gateway "
                                   f"runs one pod per server pod; set backendReplicas (the "
                                   f"server's replicas) instead")
        out.setdefault("replicas", proxy)


def _tools(spec: Mapping[str, Any], out: Spec, namespace: str, lookups: Lookups,
           fail: Fail) -> None:
    tools, ref = spec.get("tools"), spec.get("toolConfigRef")
    if tools is not None and ref is not None:
        raise fail("tools", "toolConfigRef is set too (ToolHive would ignore tools): keep one")
    if tools is not None:
        out["toolsFilter"] = tools
    if ref is None:
        return
    if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str) or set(ref) - {
            "name"}:
        raise fail("toolConfigRef", "must be {name: <MCPToolConfig>}")
    found = lookups.get("MCPToolConfig", namespace, ref["name"])
    if found is None:
        raise fail("toolConfigRef.name", f"MCPToolConfig {namespace}/{ref['name']} is not "
                                         f"among the documents: add it, or list the tools in "
                                         f"tools")
    where, document = found
    tool_spec = document.get("spec") or {}
    if not isinstance(tool_spec, Mapping):
        raise ManifestError(where, Issue("spec", "must be a mapping"))
    if tool_spec.get("toolsOverride"):
        raise ManifestError(where, Issue("spec.toolsOverride", "renaming tools has no "
                                         "equivalent in ome-mcp; remove it"))
    unknown = sorted(set(tool_spec) - {"toolsFilter", "toolsOverride"})
    if unknown:
        raise ManifestError(where, Issue(f"spec.{unknown[0]}",
                                         "unknown field of a ToolHive MCPToolConfig"))
    out["toolsFilter"] = tool_spec.get("toolsFilter") or []
