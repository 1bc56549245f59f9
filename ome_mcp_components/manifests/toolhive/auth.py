"""ToolHive's ``oidcConfig``, ``oidcConfigRef`` (with its ``MCPOIDCConfig``) and
``authzConfig`` as the OEP's ``oidcConfig`` and ``authzConfig``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ome_mcp_components.errors import Issue, ManifestError
from ome_mcp_components.vocabulary.keys import OIDC_KEY

if TYPE_CHECKING:
    from ome_mcp_components.manifests.toolhive.server import Lookups

Fail = Callable[[str, str], ManifestError]
Config = dict[str, Any]

#: ToolHive spelling -> the OEP's, for the OIDC fields both have.
_RENAMED = {"jwksUrl": "jwksURL", "introspectionUrl": "introspectionURL",
            "resourceUrl": "resourceURL"}
_KUBERNETES = frozenset({"namespace", "audience", "issuer", "jwksUrl", "introspectionUrl",
                         "useClusterAuth"})
_INLINE = frozenset({"issuer", "audience", "jwksUrl", "introspectionUrl", "thvCABundlePath",
                     "jwksAuthTokenPath", "jwksAllowPrivateIP"})
#: OIDC settings ToolHive has and the gateway config of ome-mcp does not, and what to do.
_NO_EQUIVALENT = {
    "serviceAccount": "ToolHive does not enforce it either: tokens of any service account "
                      "are accepted; restrict callers with an authzConfig policy on the "
                      "principal, and remove it",
    "clientId": "token introspection with client credentials is not supported (JWTs are "
                "validated against the JWKS); remove it",
    "clientSecret": "token introspection with client credentials is not supported; remove it",
    "clientSecretRef": "token introspection with client credentials is not supported; "
                       "remove it",
    "caBundleRef": "give the CA bundle's path in the gateway as thvCABundlePath instead",
    "scopes": "the advertised scopes are not configurable; remove them",
    "protectedResourceAllowPrivateIP": "only jwksAllowPrivateIP is supported",
    "insecureAllowHTTP": "the gateway requires an https issuer",
}
#: Values of those settings that mean "not used" (accepted).
_UNUSED: tuple[Any, ...] = (None, False, "", [], {})
#: Keys of ToolHive's one-setting-per-key OIDC ConfigMap (``pkg/oidc`` resolver).
_CONFIG_MAP_KEYS = frozenset({"issuer", "audience", "jwksUrl", "introspectionUrl", "clientId",
                              "clientSecret", "thvCABundlePath", "jwksAuthTokenPath",
                              "jwksAllowPrivateIP", "protectedResourceAllowPrivateIP",
                              "insecureAllowHTTP", "scopes"})


def _settings(value: Any, allowed: frozenset[str], path: str, fail: Fail) -> Config:
    """The OEP's spelling of a ToolHive OIDC settings mapping, checked."""
    if not isinstance(value, Mapping):
        raise fail(path, "must be a mapping")
    out: Config = {}
    for key, item in value.items():
        if key in _NO_EQUIVALENT:
            if item not in _UNUSED:
                raise fail(f"{path}.{key}", f"has no equivalent: {_NO_EQUIVALENT[key]}")
        elif key in allowed:
            out[_RENAMED.get(str(key), str(key))] = item
        else:
            raise fail(f"{path}.{key}", "unknown field of ToolHive's OIDC configuration")
    return out


def oidc_config(value: Any, namespace: str, lookups: Lookups, fail: Fail) -> Config:
    """The OEP ``oidcConfig`` of ToolHive's inline ``oidcConfig`` (v1alpha1)."""
    path = "oidcConfig"
    if not isinstance(value, Mapping):
        raise fail(path, "must be a mapping")
    unknown = sorted(set(value) - {"type", "resourceUrl", "kubernetes", "configMap", "inline"})
    if unknown:
        raise fail(f"{path}.{unknown[0]}", "unknown field of ToolHive's oidcConfig")
    kind = value.get("type", "kubernetes")
    out: Config = {}
    if value.get("resourceUrl"):
        out["resourceURL"] = value["resourceUrl"]
    if kind == "kubernetes":
        out["type"] = "kubernetes"
        out["kubernetes"] = _settings(value.get("kubernetes") or {}, _KUBERNETES,
                                      f"{path}.kubernetes", fail)
    elif kind == "inline":
        out["type"] = "inline"
        out["inline"] = _settings(value.get("inline"), _INLINE, f"{path}.inline", fail)
    elif kind in ("configMap", "configmap"):
        out.update(_from_config_map(value.get("configMap"), namespace, lookups, fail))
    else:
        raise fail(f"{path}.type", f"{kind!r} is not allowed: must be kubernetes, configMap or "
                                   f"inline")
    return out


def _from_config_map(ref: Any, namespace: str, lookups: Lookups, fail: Fail) -> Config:
    """A ConfigMap reference: ToolHive reads one setting per key; ome-mcp reads the OEP's
    JSON under a key. A ConfigMap document of ToolHive's layout becomes inline settings."""
    path = "oidcConfig.configMap"
    if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str):
        raise fail(path, "must be {name: <ConfigMap>}")
    unknown = sorted(set(ref) - {"name", "key", "caBundleRef"})
    if unknown:
        raise fail(f"{path}.{unknown[0]}", "unknown field of ToolHive's OIDC ConfigMap "
                                           "reference")
    if ref.get("caBundleRef") not in _UNUSED:
        raise fail(f"{path}.caBundleRef", f"has no equivalent: {_NO_EQUIVALENT['caBundleRef']}")
    key = ref.get("key") or OIDC_KEY
    found = lookups.get("ConfigMap", namespace, ref["name"])
    data = found[1].get("data") if found is not None else None
    if not isinstance(data, Mapping) or key in data or "issuer" not in data:
        # not among the documents, or in the OEP's layout: the component reads it
        return {"type": "configMap", "configMap": {"name": ref["name"], "key": key}}
    where = found[0] if found is not None else ""
    unknown = sorted(str(k) for k in data if k not in _CONFIG_MAP_KEYS)
    if unknown:
        raise ManifestError(where, Issue(f"data.{unknown[0]}", "not a key of ToolHive's OIDC "
                                         "ConfigMap"))
    settings: Config = {}
    for item, text in data.items():
        if item in _NO_EQUIVALENT:
            if text not in ("", "false"):
                raise ManifestError(where, Issue(f"data.{item}", f"has no equivalent: "
                                                 f"{_NO_EQUIVALENT[item]}"))
        elif item == "jwksAllowPrivateIP":
            settings[item] = text == "true"  # ToolHive: exactly "true" turns it on
        elif text:
            settings[_RENAMED.get(str(item), str(item))] = text
    return {"type": "inline", "inline": settings}


def oidc_config_ref(value: Any, namespace: str, lookups: Lookups, fail: Fail) -> Config:
    """The OEP ``oidcConfig`` of ToolHive's ``oidcConfigRef`` and its ``MCPOIDCConfig``."""
    path = "oidcConfigRef"
    if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
        raise fail(path, "must be {name: <MCPOIDCConfig>, audience: ...}")
    unknown = sorted(set(value) - {"name", "audience", "scopes", "resourceUrl"})
    if unknown:
        raise fail(f"{path}.{unknown[0]}", "unknown field of ToolHive's oidcConfigRef")
    if value.get("scopes") not in _UNUSED:
        raise fail(f"{path}.scopes", f"has no equivalent: {_NO_EQUIVALENT['scopes']}")
    found = lookups.get("MCPOIDCConfig", namespace, value["name"])
    if found is None:
        raise fail(f"{path}.name", f"MCPOIDCConfig {namespace}/{value['name']} is not among "
                                   f"the documents: add it, or write oidcConfig")
    where, document = found

    def config_fail(field: str, message: str) -> ManifestError:
        return ManifestError(where, Issue(f"spec.{field}", message))

    spec = document.get("spec")
    if not isinstance(spec, Mapping):
        raise config_fail("", "must be a mapping")
    kind = spec.get("type")
    out: Config = {}
    if value.get("resourceUrl"):
        out["resourceURL"] = value["resourceUrl"]
    if kind == "kubernetesServiceAccount":
        settings = _settings(spec.get("kubernetesServiceAccount") or {}, _KUBERNETES,
                             "kubernetesServiceAccount", config_fail)
        out["type"], part = "kubernetes", "kubernetes"
    elif kind == "inline":
        settings = _settings(spec.get("inline"), _INLINE, "inline", config_fail)
        out["type"], part = "inline", "inline"
    else:
        raise config_fail("type", f"{kind!r} is not allowed: must be kubernetesServiceAccount "
                                  f"or inline")
    if value.get("audience"):
        settings["audience"] = value["audience"]
    out[part] = settings
    return out


def authz_config(value: Any, fail: Fail) -> Config:
    """The OEP ``authzConfig`` of ToolHive's."""
    path = "authzConfig"
    if not isinstance(value, Mapping):
        raise fail(path, "must be a mapping")
    for key in ("groupClaimName", "roleClaimName", "groupEntityType"):
        if value.get(key) not in _UNUSED:
            option = "group_claim_name" if key == "groupClaimName" else \
                "role_claim_name" if key == "roleClaimName" else "group_entity_type"
            raise fail(f"{path}.{key}", f"has no equivalent here: put {option} in the cedar "
                                        f"section of a configMap authz config instead")
    unknown = sorted(set(value) - {"type", "configMap", "inline", "groupClaimName",
                                   "roleClaimName", "groupEntityType"})
    if unknown:
        raise fail(f"{path}.{unknown[0]}", "unknown field of ToolHive's authzConfig")
    kind = value.get("type", "configMap")
    if kind == "configMap":
        return {"type": "configMap", "configMap": value.get("configMap")}
    if kind != "inline":
        raise fail(f"{path}.type", f"{kind!r} is not allowed: must be configMap or inline")
    inline = value.get("inline")
    if not isinstance(inline, Mapping):
        raise fail(f"{path}.inline", "must be {policies: [...], entitiesJson: ...}")
    if inline.get("primaryUpstreamProvider") not in _UNUSED:
        raise fail(f"{path}.inline.primaryUpstreamProvider", "has no equivalent (it does "
                                                             "nothing on an MCPServer); remove it")
    unknown = sorted(set(inline) - {"policies", "entitiesJson", "primaryUpstreamProvider"})
    if unknown:
        raise fail(f"{path}.inline.{unknown[0]}", "unknown field of ToolHive's inline authz")
    out: Config = {"policies": inline.get("policies")}
    if inline.get("entitiesJson") is not None:
        out["entitiesJSON"] = inline["entitiesJson"]
    return {"type": "inline", "inline": out}
