"""Every Kubernetes object name the components derive, one function each.

Names are deterministic: the in-cluster URL clients use depends on them. ``n`` is the
server's name (``metadata.name``), at most ``MAX_SERVER_NAME`` characters so that every
derived name stays a valid DNS-1035 label (Service names) and the StatefulSet's
``controller-revision-hash`` label (``<n>-<10 chars>``) stays within 63 characters.
"""

from __future__ import annotations

#: Name of the server container: the OEP's podTemplateSpec addresses it by this name,
#: and the gateway of a stdio server attaches to it.
MCP_CONTAINER = "mcp"

#: 63 (label limit) - 11 (``-`` and the 10-character revision hash of a StatefulSet).
MAX_SERVER_NAME = 52


def server_service_account(n: str) -> str:
    """ServiceAccount of the server pods: ``<n>`` (unless ``spec.serviceAccount`` is set)."""
    return n


def gateway_service_account(n: str) -> str:
    """ServiceAccount of the gateway pods: ``<n>-gateway``."""
    return f"{n}-gateway"


def gateway_config_map(n: str) -> str:
    """ConfigMap holding the gateway's RunConfig: ``<n>-gateway``."""
    return f"{n}-gateway"


def authz_config_map(n: str) -> str:
    """ConfigMap holding the inline Cedar configuration: ``<n>-authz``."""
    return f"{n}-authz"


def server_workload(n: str) -> str:
    """Deployment (HTTP transports) or StatefulSet (stdio) of the server: ``<n>``."""
    return n


def stdio_pod(n: str) -> str:
    """The one pod of a stdio server's StatefulSet, which the gateway attaches to: ``<n>-0``."""
    return f"{n}-0"


def backend_service(n: str) -> str:
    """Service to the server pods on ``targetPort``, reachable from the gateway only:
    ``<n>-backend``."""
    return f"{n}-backend"


def gateway_deployment(n: str) -> str:
    """Deployment of the gateway: ``<n>-gateway``."""
    return f"{n}-gateway"


def public_service(n: str) -> str:
    """Service to the gateway on ``port``, the endpoint clients use: ``<n>``."""
    return n


def gateway_role(n: str) -> str:
    """Role and RoleBinding letting the gateway attach to the stdio pod: ``<n>-gateway``."""
    return f"{n}-gateway"


def server_network_policy(n: str) -> str:
    """NetworkPolicy of the server pods: ``<n>-server``."""
    return f"{n}-server"


def gateway_network_policy(n: str) -> str:
    """NetworkPolicy of the gateway pods: ``<n>-gateway``."""
    return f"{n}-gateway"


def server_fqdn_policy(n: str) -> str:
    """CiliumNetworkPolicy with ``toFQDNs`` for host names in the profile: ``<n>-server-fqdn``."""
    return f"{n}-server-fqdn"


def gateway_fqdn_policy(n: str) -> str:
    """CiliumNetworkPolicy with ``toFQDNs`` (and the API server) for the gateway's
    upstreams: ``<n>-gateway-fqdn``."""
    return f"{n}-gateway-fqdn"


def server_pdb(n: str) -> str:
    """PodDisruptionBudget of the server pods: ``<n>``."""
    return n


def gateway_pdb(n: str) -> str:
    """PodDisruptionBudget of the gateway pods: ``<n>-gateway``."""
    return f"{n}-gateway"


def service_monitor(n: str) -> str:
    """ServiceMonitor scraping the gateway's metrics: ``<n>-gateway``."""
    return f"{n}-gateway"


def profile_config_map(p: str) -> str:
    """ConfigMap of a ``PermissionProfile`` component named ``p``: ``<p>``."""
    return p


def cluster_url(service: str, namespace: str, port: int, transport: str) -> str:
    """In-cluster URL of an MCP endpoint: ``/sse`` for SSE, ``/mcp`` otherwise."""
    path = "sse" if transport == "sse" else "mcp"
    return f"http://{service}.{namespace}.svc.cluster.local:{port}/{path}"
