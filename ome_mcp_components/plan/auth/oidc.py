"""OIDC: the three kinds of the OEP's ``OIDCConfigRef`` resolved into ``OIDCSettings``.

``kubernetes`` validates service-account tokens (issuer ``https://kubernetes.default.svc``,
audience ``toolhive`` unless set). With ``useClusterAuth`` (the default) the gateway
fetches the issuer's discovery document and JWKS with the cluster CA and its own
service-account token, both read from the projected volume the gateway mounts at
``SERVICE_ACCOUNT_DIR``, and may reach the API server's private address; this is what
the ToolHive operator configures (``defaultK8sCABundlePath``/``defaultK8sTokenPath``).
``configMap`` reads the referenced ConfigMap's JSON (key ``oidc.json`` unless set) at deploy
time and validates it exactly like ``inline`` config.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ome_mcp_components.errors import ConfigReferenceError, Issue, SpecValidationError
from ome_mcp_components.models import (
    InlineOIDCConfig,
    KubernetesOIDCConfig,
    OIDCConfigRef,
    parse_model,
)
from ome_mcp_components.plan.context import OIDCSettings

#: Where the gateway's projected service-account volume is mounted (Kubernetes' own path,
#: which the proxy runner's Kubernetes client reads too).
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
#: The cluster CA bundle inside the gateway.
CLUSTER_CA_PATH = f"{SERVICE_ACCOUNT_DIR}/ca.crt"
#: The gateway's own service-account token inside the gateway.
TOKEN_PATH = f"{SERVICE_ACCOUNT_DIR}/token"
_ROOT = "spec.oidcConfig"


def resolve_oidc(
    ref: OIDCConfigRef,
    *,
    namespace: str,
    default_resource_url: str,
    config_map_data: Mapping[str, str] | None,
    resource: str,
) -> OIDCSettings:
    """How the gateway authenticates clients, whatever kind of config ``ref`` is.

    ``namespace`` is the server's (where a ``configMap`` is read from);
    ``default_resource_url`` is the RFC 9728 resource used when ``resourceURL`` is unset
    (the server's in-cluster URL). ``config_map_data`` is the data of the referenced
    ConfigMap (``configMap`` kind only), None if it does not exist. URLs are already
    validated by the models (``^https?://``, a host, a valid port); a missing or invalid
    ConfigMap raises ``ConfigReferenceError``.
    """
    resource_url = ref.resource_url or default_resource_url
    if ref.type == "kubernetes":
        k8s = ref.kubernetes or KubernetesOIDCConfig()
        cluster = k8s.use_cluster_auth
        return OIDCSettings(
            issuer=k8s.issuer, audience=k8s.audience, jwks_url=k8s.jwks_url,
            introspection_url=k8s.introspection_url, resource_url=resource_url,
            ca_bundle_path=CLUSTER_CA_PATH if cluster else None,
            jwks_auth_token_path=TOKEN_PATH if cluster else None,
            # the API server's JWKS lives on a private address
            allow_private_ip=cluster, use_cluster_auth=cluster,
        )
    if ref.type == "configMap":
        inline = _from_config_map(ref, namespace, config_map_data, resource)
    else:
        assert ref.inline is not None  # the model requires it for type inline
        inline = ref.inline
    return OIDCSettings(
        issuer=inline.issuer, audience=inline.audience, jwks_url=inline.jwks_url,
        introspection_url=inline.introspection_url, resource_url=resource_url,
        ca_bundle_path=inline.thv_ca_bundle_path,
        jwks_auth_token_path=inline.jwks_auth_token_path,
        allow_private_ip=inline.jwks_allow_private_ip,
    )


def _from_config_map(ref: OIDCConfigRef, namespace: str,
                     data: Mapping[str, str] | None, resource: str) -> InlineOIDCConfig:
    assert ref.config_map is not None  # the model requires it for type configMap
    cm, key = ref.config_map.name, ref.config_map.key
    where = f"ConfigMap {namespace}/{cm}, key {key!r}"
    if data is None:
        raise ConfigReferenceError(resource, Issue(
            f"{_ROOT}.configMap", f"{where}: the ConfigMap was not found"))
    if key not in data:
        raise ConfigReferenceError(resource, Issue(
            f"{_ROOT}.configMap.key",
            f"{where}: the ConfigMap has no such key (keys: {sorted(data)})"))
    try:
        document = json.loads(data[key])
    except ValueError as exc:
        raise ConfigReferenceError(resource, Issue(
            f"{_ROOT}.configMap", f"{where}: not valid JSON: {exc}")) from None
    try:
        return parse_model(InlineOIDCConfig, document, resource=resource, root="")
    except SpecValidationError as exc:
        raise ConfigReferenceError(resource, [
            Issue(f"{_ROOT}.configMap", f"{where}, field {issue.path or '(document)'!r}: "
                                        f"{issue.message}")
            for issue in exc.issues
        ]) from None

