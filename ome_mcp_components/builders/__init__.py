"""Pure builders: a resolved server in, plain Kubernetes manifests out.

One builder per owned object, each in the module named after the object; ``render``
returns a server's objects in apply order. Manifests are plain dicts in the API server's
camelCase; nothing here imports Pulumi, reads files or the environment, or logs.

Objects of server ``<n>`` (design.md §3), in apply order:

========================  ====================  =========================================
object                    name                  when
========================  ====================  =========================================
ServiceAccount            ``<n>``               hosted, unless ``spec.serviceAccount``
ServiceAccount            ``<n>-gateway``       a gateway
ConfigMap                 ``<n>-gateway``       a gateway
ConfigMap                 ``<n>-authz``         a gateway with inline authz
Role, RoleBinding         ``<n>-gateway``       hosted stdio (the gateway attaches)
StatefulSet / Deployment  ``<n>``               hosted: stdio / HTTP transports
Deployment                ``<n>-gateway``       a gateway
Service                   ``<n>-backend``       hosted HTTP transports
Service                   ``<n>``               a gateway
ServiceMonitor            ``<n>-gateway``       a gateway, when asked for (metrics on)
NetworkPolicy             ``<n>-server``        hosted
NetworkPolicy             ``<n>-gateway``       a gateway
CiliumNetworkPolicy       ``<n>-server-fqdn``   hosted, cilium, hosts only Cilium selects
CiliumNetworkPolicy       ``<n>-gateway-fqdn``  a gateway, cilium, names or API server
PodDisruptionBudget       ``<n>``               hosted, more than one replica
PodDisruptionBudget       ``<n>-gateway``       a gateway with more than one replica
========================  ====================  =========================================

Hosted servers always have a gateway; a Remote one only with OIDC or authz, and without
them renders nothing.
"""

from __future__ import annotations

from typing import Any

from ome_mcp_components.builders import network_policy
from ome_mcp_components.builders.config_maps import authz_config_map, gateway_config_map
from ome_mcp_components.builders.gateway_deployment import gateway_deployment, gateway_replicas
from ome_mcp_components.builders.pdb import gateway_pdb, server_pdb
from ome_mcp_components.builders.rbac import gateway_role, gateway_role_binding, needs_role
from ome_mcp_components.builders.service import backend_service, public_service
from ome_mcp_components.builders.service_account import (
    gateway_service_account,
    server_service_account,
)
from ome_mcp_components.builders.service_monitor import service_monitor, wants_service_monitor
from ome_mcp_components.builders.workload import server_deployment, server_statefulset
from ome_mcp_components.context import ServerContext

Manifest = dict[str, Any]


def render(ctx: ServerContext) -> list[Manifest]:
    """Every Kubernetes object of server ``ctx``, in apply order: ServiceAccounts,
    ConfigMaps, RBAC, workloads, Services (and the ServiceMonitor), NetworkPolicies,
    PodDisruptionBudgets."""
    if not ctx.has_gateway:
        return []
    hosted = ctx.hosted
    stdio = hosted and not ctx.spec.is_http
    objects: list[Manifest] = []

    if hosted and not ctx.spec.service_account:
        objects.append(server_service_account(ctx))
    objects.append(gateway_service_account(ctx))

    objects.append(gateway_config_map(ctx))
    if ctx.authz is not None and ctx.authz.inline:
        objects.append(authz_config_map(ctx))

    if needs_role(ctx):
        objects += [gateway_role(ctx), gateway_role_binding(ctx)]

    if hosted:
        objects.append(server_statefulset(ctx) if stdio else server_deployment(ctx))
    objects.append(gateway_deployment(ctx))

    if hosted and not stdio:
        objects.append(backend_service(ctx))
    objects.append(public_service(ctx))
    if wants_service_monitor(ctx):
        objects.append(service_monitor(ctx))

    if hosted:
        objects.append(network_policy.server_network_policy(ctx))
    objects.append(network_policy.gateway_network_policy(ctx))
    # CiliumNetworkPolicies: each builder returns None unless Cilium is used and needed
    for fqdn in (network_policy.server_fqdn_policy(ctx), network_policy.gateway_fqdn_policy(ctx)):
        if fqdn is not None:
            objects.append(fqdn)

    if hosted and ctx.spec.effective_replicas > 1:
        objects.append(server_pdb(ctx))
    if gateway_replicas(ctx) > 1:
        objects.append(gateway_pdb(ctx))
    return objects


__all__ = ["Manifest", "render"]
