"""The server's pod template: container ``mcp`` with the security defaults, then the
user's ``podTemplateSpec`` merged on top."""

from __future__ import annotations

import copy
from typing import Any

from ome_mcp_components.builders import gateway, security
from ome_mcp_components.builders.meta import pod_labels
from ome_mcp_components.models import SecretRef
from ome_mcp_components.models.pod_merge import merge_pod_template
from ome_mcp_components.plan import profiles
from ome_mcp_components.plan.context import ServerContext
from ome_mcp_components.vocabulary import defaults, labels, names

#: Name of the server container's port; the backend Service targets it by name, so a
#: podTemplateSpec that moves the port keeps the Service working.
MCP_PORT_NAME = "mcp"


def secret_env(secret: SecretRef) -> dict[str, Any]:
    """A secret key as an environment variable: a reference, never the value."""
    return {
        "name": secret.env_name,
        "valueFrom": {
            "secretKeyRef": {"name": secret.name, "key": secret.key, "optional": False}
        },
    }


def server_container(ctx: ServerContext) -> dict[str, Any]:
    """Container ``mcp``: the user's image, args, env, secrets and mounts, our defaults."""
    spec = ctx.spec
    container: dict[str, Any] = {"name": names.MCP_CONTAINER, "image": spec.image}
    if spec.args:
        container["args"] = list(spec.args)
    if spec.is_http:
        port = spec.resolved_target_port
        container["ports"] = [{"name": MCP_PORT_NAME, "containerPort": port, "protocol": "TCP"}]
        # ready once the server accepts connections; the gateway only sends to ready pods
        container["readinessProbe"] = {"tcpSocket": {"port": MCP_PORT_NAME}, "periodSeconds": 10}
    else:
        # stdio: the gateway attaches to this container's stdin/stdout, with no TTY framing
        # (tty's default: false is not written, as the API server would not keep it)
        container["stdin"] = True
    env = [*copy.deepcopy(spec.env), *(secret_env(s) for s in spec.secrets)]
    if env:
        container["env"] = env
    mounts = [*copy.deepcopy(spec.volume_mounts), *_write_mounts(ctx)]
    if mounts:
        container["volumeMounts"] = mounts
    container["resources"] = copy.deepcopy(spec.resources or defaults.SERVER_RESOURCES)
    container["securityContext"] = security.container_security_context()
    return container


def server_pod_template(ctx: ServerContext) -> dict[str, Any]:
    """The pod template of the server workload, ``podTemplateSpec`` merged in."""
    spec = ctx.spec
    pod: dict[str, Any] = {
        "serviceAccountName": ctx.service_account_name,
        # the server never talks to the Kubernetes API
        "automountServiceAccountToken": False,
        # no environment variables describing every Service of the namespace
        "enableServiceLinks": False,
        "securityContext": security.pod_security_context(),
        "containers": [server_container(ctx)],
    }
    volumes = [*copy.deepcopy(spec.volumes), *_write_volumes(ctx)]
    if volumes:
        pod["volumes"] = volumes
    if spec.tolerations:
        pod["tolerations"] = copy.deepcopy(spec.tolerations)
    if spec.node_selector:
        pod["nodeSelector"] = dict(spec.node_selector)
    if spec.affinity:
        pod["affinity"] = copy.deepcopy(spec.affinity)
    # a stdio pod carries what the gateway finds and leaves alone (gateway contract)
    stdio_labels, stdio_annotations = _stdio_metadata(ctx)
    metadata: dict[str, Any] = {"labels": {**pod_labels(ctx, labels.SERVER), **stdio_labels}}
    if stdio_annotations:
        metadata["annotations"] = stdio_annotations
    template: dict[str, Any] = {"metadata": metadata, "spec": pod}
    if spec.pod_template_spec:
        template = merge_pod_template(
            template,
            spec.pod_template_spec,
            protected_labels={**labels.labels(ctx.name, labels.SERVER), **stdio_labels},
            protected_annotations=stdio_annotations,
        )
    return template


def _stdio_metadata(ctx: ServerContext) -> tuple[dict[str, str], dict[str, str]]:
    if ctx.spec.is_http:
        return {}, {}
    return gateway.stdio_pod_labels(ctx), gateway.stdio_pod_annotations(ctx)


def _user_mount_paths(ctx: ServerContext) -> set[str]:
    return {mount["mountPath"] for mount in ctx.spec.volume_mounts}


def _write_mounts(ctx: ServerContext) -> list[dict[str, Any]]:
    """The profile's writable paths, except those the user already mounts a volume at."""
    _, mounts = profiles.write_volumes(ctx.profile)
    taken = _user_mount_paths(ctx)
    return [mount for mount in mounts if mount["mountPath"] not in taken]


def _write_volumes(ctx: ServerContext) -> list[dict[str, Any]]:
    volumes, mounts = profiles.write_volumes(ctx.profile)
    taken = _user_mount_paths(ctx)
    used = {mount["name"] for mount in mounts if mount["mountPath"] not in taken}
    return [volume for volume in volumes if volume["name"] in used]
