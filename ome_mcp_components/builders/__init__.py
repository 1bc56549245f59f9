"""The objects (layer 3): pure builders, a planned server in, plain Kubernetes manifests out.

One builder per owned object, each in the module named after the object. ``layout``
decides which objects a server has from what is known before any ConfigMap is read
(``layout.Slot``: role, kind, name, and the builder that fills it); ``render`` fills
them from a fully resolved server, in apply order. Manifests are plain dicts in the API
server's camelCase; nothing here imports Pulumi, reads files or the environment, or logs.

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
                                                (or a profile read at deploy time)
CiliumNetworkPolicy       ``<n>-gateway-fqdn``  a gateway, cilium, names or API server
                                                (or OIDC read at deploy time)
PodDisruptionBudget       ``<n>``               hosted, more than one replica
PodDisruptionBudget       ``<n>-gateway``       a gateway with more than one replica
========================  ====================  =========================================

Hosted servers always have a gateway; a Remote one only with OIDC or authz in its spec,
and without them renders nothing.
"""

from __future__ import annotations

from ome_mcp_components.builders.layout import Manifest, Slot, layout, render

__all__ = ["Manifest", "Slot", "layout", "render"]
