"""The Pulumi components: ``MCPServer``, ``ClusterMCPServer`` and ``PermissionProfile``.

Each constructor first validates everything (``resolve.plan_server``), so bad input
raises ``SpecValidationError`` before any resource - the component included - is
registered. It then registers itself with its validated spec as inputs, and turns the
pure builders' manifests (``builders.render``) into Kubernetes resources, each a child
(``parent=self``) named ``f"{name}-<role>"``:

===========================  ================================================================
role                         object
===========================  ================================================================
``service-account``          ServiceAccount ``<n>`` of the server
``gateway-service-account``  ServiceAccount ``<n>-gateway``
``gateway-config``           ConfigMap ``<n>-gateway`` (the gateway's RunConfig)
``authz-config``             ConfigMap ``<n>-authz`` (inline Cedar policies)
``gateway-role``             Role ``<n>-gateway`` (stdio: attach to ``<n>-0``)
``gateway-role-binding``     RoleBinding ``<n>-gateway``
``server``                   Deployment or StatefulSet ``<n>``
``gateway``                  Deployment ``<n>-gateway``
``backend-service``          Service ``<n>-backend``
``service``                  Service ``<n>`` (the public endpoint)
``service-monitor``          ServiceMonitor ``<n>-gateway`` (when asked for)
``server-network-policy``    NetworkPolicy ``<n>-server``
``gateway-network-policy``   NetworkPolicy ``<n>-gateway``
``server-fqdn-policy``       CiliumNetworkPolicy ``<n>-server-fqdn``
``gateway-fqdn-policy``      CiliumNetworkPolicy ``<n>-gateway-fqdn``
``server-pdb``               PodDisruptionBudget ``<n>``
``gateway-pdb``              PodDisruptionBudget ``<n>-gateway``
``profile-ref``              ConfigMap read from the cluster (``ConfigMap.get``): the profile
``oidc-ref``                 ConfigMap read from the cluster: the OIDC configuration
``authz-ref``                ConfigMap read from the cluster: the authz configuration
``config-map``               ConfigMap ``<p>`` of a PermissionProfile
===========================  ================================================================

The objects are the server's layout (``builders.layout``: decided from the spec and
options, before anything is read), one resource per slot. When every reference is known
(builtin, inline, ``config_maps``, a ``PermissionProfile`` component, or a ConfigMap or
PermissionProfile the program declared before the server, found by name through
``registry``), each slot is filled now, from plain dicts, depending on the resources that
declared them. Otherwise the ConfigMaps are read at deploy time (from the cluster, after
whatever the component's ``depends_on`` names, or from the output of the program's own
ConfigMap), the plan is settled with their data along the same path known data took
(``resolve.settle``), and each slot's fields are outputs filled from that one result; no
resource is created inside ``apply``.
"""

from ome_mcp_components.components.profile import PermissionProfile, PermissionProfileArgs
from ome_mcp_components.components.resources import RESOURCE_CLASSES
from ome_mcp_components.components.server import (
    ClusterMCPServer,
    ClusterMCPServerArgs,
    MCPServer,
    MCPServerArgs,
)

__all__ = [
    "RESOURCE_CLASSES",
    "ClusterMCPServer",
    "ClusterMCPServerArgs",
    "MCPServer",
    "MCPServerArgs",
    "PermissionProfile",
    "PermissionProfileArgs",
]
