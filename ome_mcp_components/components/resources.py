"""Kubernetes objects as pulumi-kubernetes resources: the class of each kind the
builders render, and one resource from a manifest's top-level fields."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

Manifest = dict[str, Any]
ResourceFactory = Callable[..., pulumi.CustomResource]

#: The pulumi-kubernetes class of each (apiVersion, kind) the builders render; any other
#: kind (CiliumNetworkPolicy, ServiceMonitor) is created as an
#: ``apiextensions.CustomResource``.
RESOURCE_CLASSES: dict[tuple[str, str], ResourceFactory] = {
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Service"): k8s.core.v1.Service,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("apps/v1", "StatefulSet"): k8s.apps.v1.StatefulSet,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
}


def snake(name: str) -> str:
    """A manifest field's name as the pulumi-kubernetes keyword (``roleRef`` -> ``role_ref``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def create(
    resource_name: str, api_version: str, kind: str, fields: Mapping[str, Any],
    opts: pulumi.ResourceOptions | None,
) -> pulumi.CustomResource:
    """One Kubernetes resource; ``fields`` are the manifest's top-level fields other than
    apiVersion and kind (plain values or outputs, camelCase inside)."""
    factory = RESOURCE_CLASSES.get((api_version, kind))
    if factory is None:
        return k8s.apiextensions.CustomResource(
            resource_name, api_version=api_version, kind=kind, opts=opts, **fields
        )
    return factory(resource_name, opts=opts, **{snake(k): v for k, v in fields.items()})


def fields(manifest: Manifest) -> dict[str, Any]:
    """A manifest's top-level fields other than apiVersion and kind."""
    return {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}


def field(manifest: Manifest, key: str) -> Any:
    """One top-level field of a manifest (None when it has none)."""
    return manifest.get(key)
