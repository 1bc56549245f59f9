"""Policies on pods beyond the Pod Security Standards (design.md section 4), and on the
Services that front MCP gateways.

MANDATORY: plain-text secrets, a service-account token in an MCP server pod, an MCP
gateway exposed outside the cluster. ADVISORY (hygiene): a writable root file system,
missing requests/limits, unpinned images, images from registries not on a list, a
gateway RunConfig without an audit log.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from ome_mcp_components.vocabulary.labels import COMPONENT_LABEL
from ome_mcp_components.vocabulary.labels import GATEWAY as GATEWAY_COMPONENT
from ome_mcp_components.vocabulary.labels import SERVER as SERVER_COMPONENT
from ome_mcp_components.vocabulary.tokens import kubernetes_kind
from ome_mcp_policy._base import (
    Workload,
    as_list,
    as_map,
    dig,
    gateway_run_config,
    resource_policy,
    string_list_schema,
    workload_policy,
)

ADVISORY = EnforcementLevel.ADVISORY
MANDATORY = EnforcementLevel.MANDATORY

#: The RunConfig key of the gateway's audit log (ToolHive's ``pkg/runner/config.go``).
AUDIT_CONFIG_KEY = "audit_config"

#: Environment variable names that look like credentials (glob, case-insensitive).
SECRET_NAME_PATTERNS = ["*PASSWORD*", "*PASSWD*", "*TOKEN*", "*SECRET*", "*KEY*",
                        "*CREDENTIAL*"]


def _read_only_root(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    for where, c in w.containers():
        if where.startswith("ephemeral"):
            continue  # debugging containers: their file system is theirs to write
        if dig(c, "securityContext", "readOnlyRootFilesystem") is not True:
            yield f"{w.title}, {where}: securityContext.readOnlyRootFilesystem is not true."


def _resources(w: Workload, values: Mapping[str, Any]) -> Iterator[str]:
    for where, c in w.containers():
        if where.startswith("ephemeral"):
            continue  # ephemeral containers cannot have resources
        for kind in ("requests", "limits"):
            have = as_map(dig(c, "resources", kind))
            missing = [str(r) for r in as_list(values.get(kind)) if have.get(r) in (None, "")]
            if missing:
                yield f"{w.title}, {where}: resources.{kind} has no {', '.join(missing)}."


def parse_image(image: str) -> tuple[str, str, str | None, str | None]:
    """Split an image reference into (registry, repository, tag, digest).

    The registry defaults to ``docker.io`` as the container runtimes resolve it.
    """
    rest, _, digest = image.partition("@")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = "docker.io", rest
    name, colon, tag = path.rpartition(":") if ":" in path else (path, "", "")
    return registry, name, (tag if colon else None), (digest or None)


def _images(w: Workload) -> Iterator[tuple[str, str]]:
    for where, c in w.containers():
        yield where, str(c.get("image") or "")


#: How to pin the components' gateway image by digest (no digest is published with the
#: ToolHive release the components pin, so they cannot ship one).
PIN_GATEWAY = ("It is the MCP gateway the components run: pin it with the component "
               "argument gateway_image=\"{image}@sha256:<digest>\" (on a manifest, the "
               "annotation ome.io/gateway-image), the digest read from the registry, e.g. "
               "`crane digest {image}` or `docker buildx imagetools inspect {image}`.")


def _image_pinned(w: Workload, values: Mapping[str, Any]) -> Iterator[str]:
    gateway = w.pod_labels.get(COMPONENT_LABEL) == GATEWAY_COMPONENT
    for where, image in _images(w):
        if not image:
            yield f"{w.title}, {where}: no image."
            continue
        _, _, tag, digest = parse_image(image)
        if values.get("requireDigest") and digest is None:
            hint = " " + PIN_GATEWAY.format(image=image) if gateway else ""
            yield f"{w.title}, {where}: image {image} is not pinned by digest.{hint}"
        elif digest is None and tag is None:
            yield f"{w.title}, {where}: image {image} has no tag (means :latest)."
        elif digest is None and tag == "latest":
            yield f"{w.title}, {where}: image {image} uses the mutable :latest tag."


def _registries(w: Workload, values: Mapping[str, Any]) -> Iterator[str]:
    allowed = [str(r).rstrip("/") for r in as_list(values.get("allowedRegistries"))]
    if not allowed:
        return
    for where, image in _images(w):
        registry, name, _, _ = parse_image(image)
        full = f"{registry}/{name}"
        if not any(full == a or full.startswith(a + "/") for a in allowed):
            yield f"{w.title}, {where}: image {image} is not from {allowed}."


def _secret_env(w: Workload, values: Mapping[str, Any]) -> Iterator[str]:
    patterns = [str(p).upper() for p in as_list(values.get("secretNamePatterns"))]
    ignored = {str(n) for n in as_list(values.get("ignoredNames"))}
    for where, c in w.containers():
        for var in as_list(c.get("env")):
            var = as_map(var)
            name, value = str(var.get("name", "")), var.get("value")
            if name in ignored or value in (None, ""):
                continue
            if any(fnmatch.fnmatchcase(name.upper(), p) for p in patterns):
                yield f"{w.title}, {where}: env {name} holds a literal value."


def _server_token(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    if w.pod_labels.get(COMPONENT_LABEL) != SERVER_COMPONENT:
        return
    if w.pod_spec.get("automountServiceAccountToken") is not False:
        yield (f"{w.title}: an MCP server pod without automountServiceAccountToken: false "
               f"gets a Kubernetes API token mounted.")


def _gateway_service(resource_type: str, props: Mapping[str, Any],
                     _: Mapping[str, Any]) -> Iterator[str]:
    metadata = as_map(props.get("metadata"))
    if as_map(metadata.get("labels")).get(COMPONENT_LABEL) != GATEWAY_COMPONENT:
        return
    title = f"Service '{metadata.get('namespace') or 'default'}/{metadata.get('name', '?')}'"
    service_type = dig(props, "spec", "type")
    if service_type in ("LoadBalancer", "NodePort"):
        yield f"{title}: an MCP gateway Service of type {service_type}."
    if as_list(dig(props, "spec", "externalIPs")):
        yield f"{title}: an MCP gateway Service with externalIPs."


def _gateway_audit(resource_type: str, props: Mapping[str, Any],
                   _: Mapping[str, Any]) -> Iterator[str]:
    run_config = gateway_run_config(props)
    if run_config is None or AUDIT_CONFIG_KEY in run_config:
        return
    metadata = as_map(props.get("metadata"))
    yield (f"ConfigMap '{metadata.get('namespace') or 'default'}/{metadata.get('name', '?')}':"
           f" the gateway RunConfig has no {AUDIT_CONFIG_KEY}, so the MCP requests through "
           f"this gateway are not audited.")


POLICIES: list[ResourceValidationPolicy] = [
    workload_policy(
        name="read-only-root-filesystem",
        description="Containers should run with a read-only root file system. A writable "
        "image lets an attacker who gets code execution drop and keep tools in the "
        "container; write paths belong in emptyDir volumes. Not a "
        "PSS control, hence ADVISORY.",
        severity=Severity.MEDIUM, level=ADVISORY,
        remediation="Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir "
        "at each path the process writes (for an MCPServer: permissionProfile write paths).",
        check=_read_only_root,
    ),
    workload_policy(
        name="container-resources",
        description="Containers should declare resource requests and limits. Without them "
        "one misbehaving MCP server can starve every other pod on its node.",
        severity=Severity.MEDIUM, level=ADVISORY,
        remediation="Set resources.requests and resources.limits (for an MCPServer: "
        "spec.resources).",
        check=_resources,
        config={
            "requests": string_list_schema("Resources every container must request.",
                                           ["cpu", "memory"]),
            "limits": string_list_schema("Resources every container must limit.",
                                         ["cpu", "memory"]),
        },
    ),
    workload_policy(
        name="image-pinned",
        description="Images should be pinned to a tag other than latest (or a digest). A "
        "mutable tag deploys whatever was pushed last, so a preview no longer says what "
        "runs.",
        severity=Severity.MEDIUM, level=ADVISORY,
        remediation="Use an immutable tag such as :v1.2.3, or pin by digest "
        "(image@sha256:...).",
        check=_image_pinned,
        config={"requireDigest": {"type": "boolean", "default": False,
                                  "description": "Require every image to be pinned by "
                                  "digest."}},
    ),
    workload_policy(
        name="allowed-image-registries",
        description="Images should come from the registries the platform trusts. An "
        "image from anywhere is code from anyone. Does nothing until allowedRegistries is "
        "configured.",
        severity=Severity.HIGH, level=ADVISORY,
        remediation="Mirror the image into an allowed registry, or add its registry to "
        "allowedRegistries.",
        check=_registries,
        config={"allowedRegistries": string_list_schema(
            "Registries (host, or host/path prefix) images may come from; empty: any.", [])},
    ),
    workload_policy(
        name="no-plaintext-secret-env",
        description="Environment variables named like credentials must not hold literal "
        "values. A literal lands in the Pulumi state, the manifest and every kubectl "
        "describe in clear text.",
        severity=Severity.HIGH, level=MANDATORY,
        remediation="Store the value in a Secret and use env[].valueFrom.secretKeyRef (for "
        "an MCPServer: spec.secrets).",
        check=_secret_env,
        config={
            "secretNamePatterns": string_list_schema(
                "Glob patterns (case-insensitive) of names that look like secrets.",
                SECRET_NAME_PATTERNS),
            "ignoredNames": string_list_schema(
                "Variable names that match a pattern but hold no secret.", []),
        },
    ),
    workload_policy(
        name="mcp-server-no-service-account-token",
        description="MCP server pods (label app.kubernetes.io/component: mcp-server) must "
        "not mount a service-account token. A server runs tools on behalf of an LLM; with "
        "a token, a prompt injection can call the Kubernetes API.",
        severity=Severity.HIGH, level=MANDATORY,
        remediation="Set automountServiceAccountToken: false in the pod spec.",
        check=_server_token,
    ),
    resource_policy(
        name="mcp-gateway-not-exposed",
        description="MCP gateway Services (label app.kubernetes.io/component: mcp-gateway) "
        "must not be LoadBalancer, NodePort or have externalIPs. The gateway is the "
        "in-cluster entry point; exposing it puts the MCP server's tools on the network "
        "outside the cluster.",
        severity=Severity.HIGH, level=MANDATORY,
        remediation="Use type ClusterIP and publish through an Ingress or Gateway API "
        "route with TLS and authentication.",
        applies=lambda t: kubernetes_kind(t) == "Service",
        check=_gateway_service,
    ),
    resource_policy(
        name="gateway-audit-enabled",
        description="MCP gateways should write the audit log (a ConfigMap holding a ToolHive "
        "RunConfig, key runconfig.json, has audit_config). Without it nobody can tell "
        "afterwards which principal called which tool, and with what outcome (the OEP's "
        "audit logging for all MCP operations).",
        severity=Severity.MEDIUM, level=ADVISORY,
        remediation="Leave the components' audit option on (the default; audit=False turns "
        "it off), or add audit_config to the RunConfig of a hand-written gateway.",
        applies=lambda t: kubernetes_kind(t) == "ConfigMap",
        check=_gateway_audit,
    ),
]
