"""Which objects a server has, decided before anything is filled in.

``layout`` lists a server's objects (``Slot``: role, apiVersion, kind, name, top-level
fields, and the builder that fills it) from its ``ServerShape`` and its ``Known``
settings: the spec and options decide everything, except that a CiliumNetworkPolicy
exists only when its one deciding setting calls for it, or is still to be read
(``builders.cilium``). Settings read at deploy time therefore never change the set of
objects, and each slot is filled from the complete ``ServerContext`` whenever that is
known: ``render`` is the two steps at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ome_mcp_components.builders import cilium, network_policy
from ome_mcp_components.builders.config_maps import authz_config_map, gateway_config_map
from ome_mcp_components.builders.gateway_deployment import gateway_deployment, gateway_replicas
from ome_mcp_components.builders.pdb import gateway_pdb, server_pdb
from ome_mcp_components.builders.rbac import gateway_role, gateway_role_binding, needs_role
from ome_mcp_components.builders.service import backend_service, public_service
from ome_mcp_components.builders.service_account import (
    gateway_service_account,
    server_service_account,
)
from ome_mcp_components.builders.service_monitor import (
    API_VERSION as SERVICE_MONITOR_API_VERSION,
)
from ome_mcp_components.builders.service_monitor import service_monitor, wants_service_monitor
from ome_mcp_components.builders.workload import server_deployment, server_statefulset
from ome_mcp_components.plan.context import Known, ServerContext, ServerShape
from ome_mcp_components.vocabulary import names

Manifest = dict[str, Any]
Fill = Callable[[ServerContext], Manifest]

#: The top-level fields (besides apiVersion and kind) of the objects of each kind.
_FIELDS: dict[str, tuple[str, ...]] = {
    "ServiceAccount": ("metadata", "automountServiceAccountToken"),
    "ConfigMap": ("metadata", "data"),
    "Role": ("metadata", "rules"),
    "RoleBinding": ("metadata", "roleRef", "subjects"),
}
_SPEC_FIELDS = ("metadata", "spec")


@dataclass(frozen=True)
class Slot:
    """One object of a server: what it is, and the builder that fills it."""

    #: The suffix of its Pulumi resource name (``f"{name}-{role}"``).
    role: str
    api_version: str
    kind: str
    #: Its Kubernetes name.
    name: str
    fill: Fill

    @property
    def fields(self) -> tuple[str, ...]:
        """The manifest's top-level fields other than apiVersion and kind."""
        return _FIELDS.get(self.kind, _SPEC_FIELDS)


def layout(shape: ServerShape, known: Known) -> list[Slot]:
    """The objects of server ``shape``, in apply order: ServiceAccounts, ConfigMaps,
    RBAC, workloads, Services (and the ServiceMonitor), NetworkPolicies,
    PodDisruptionBudgets."""
    if not shape.has_gateway:
        return []
    n, hosted = shape.name, shape.hosted
    stdio = hosted and not shape.spec.is_http
    slots: list[Slot] = []

    def add(role: str, api_version: str, kind: str, name: str, fill: Fill) -> None:
        slots.append(Slot(role, api_version, kind, name, fill))

    if hosted and not shape.spec.service_account:
        add("service-account", "v1", "ServiceAccount", names.server_service_account(n),
            server_service_account)
    add("gateway-service-account", "v1", "ServiceAccount", names.gateway_service_account(n),
        gateway_service_account)

    add("gateway-config", "v1", "ConfigMap", names.gateway_config_map(n), gateway_config_map)
    authz = shape.spec.authz_config
    if authz is not None and authz.type == "inline":
        add("authz-config", "v1", "ConfigMap", names.authz_config_map(n), authz_config_map)

    if needs_role(shape):
        rbac = "rbac.authorization.k8s.io/v1"
        add("gateway-role", rbac, "Role", names.gateway_role(n), gateway_role)
        add("gateway-role-binding", rbac, "RoleBinding", names.gateway_role(n),
            gateway_role_binding)

    if hosted:
        add("server", "apps/v1", "StatefulSet" if stdio else "Deployment",
            names.server_workload(n), server_statefulset if stdio else server_deployment)
    add("gateway", "apps/v1", "Deployment", names.gateway_deployment(n), gateway_deployment)

    if hosted and not stdio:
        add("backend-service", "v1", "Service", names.backend_service(n), backend_service)
    add("service", "v1", "Service", names.public_service(n), public_service)
    if wants_service_monitor(shape):
        add("service-monitor", SERVICE_MONITOR_API_VERSION, "ServiceMonitor",
            names.service_monitor(n), service_monitor)

    policy = "networking.k8s.io/v1"
    if hosted:
        add("server-network-policy", policy, "NetworkPolicy", names.server_network_policy(n),
            network_policy.server_network_policy)
    add("gateway-network-policy", policy, "NetworkPolicy", names.gateway_network_policy(n),
        network_policy.gateway_network_policy)
    if cilium.wants_server_fqdn_policy(shape, known.profile):
        add("server-fqdn-policy", cilium.API_VERSION, cilium.KIND,
            names.server_fqdn_policy(n), cilium.server_fqdn_fill)
    if cilium.wants_gateway_fqdn_policy(shape, known.oidc):
        add("gateway-fqdn-policy", cilium.API_VERSION, cilium.KIND,
            names.gateway_fqdn_policy(n), cilium.gateway_fqdn_fill)

    if hosted and shape.spec.effective_replicas > 1:
        add("server-pdb", "policy/v1", "PodDisruptionBudget", names.server_pdb(n), server_pdb)
    if gateway_replicas(shape) > 1:
        add("gateway-pdb", "policy/v1", "PodDisruptionBudget", names.gateway_pdb(n),
            gateway_pdb)
    return slots


def render(ctx: ServerContext) -> list[Manifest]:
    """Every Kubernetes object of a fully known server, in apply order."""
    return [slot.fill(ctx) for slot in layout(ctx, ctx.known)]
