"""OME-style YAML manifests as a Pulumi program: ``load_manifests(paths)``.

The files hold YAML documents (``---``-separated), as ``kubectl apply -f`` takes them;
a directory stands for its own ``*.yaml``/``*.yml`` files in name order (not its
subdirectories). Each document is one object:

- ``ome.io/v1beta1`` ``MCPServer``: an ``MCPServer`` (namespace ``default`` unless
  given);
- ``ome.io/v1beta1`` ``ClusterMCPServer``: a ``ClusterMCPServer`` (in the shared
  namespace);
- ``ome.io/v1beta1`` ``PermissionProfile``: a ``PermissionProfile`` (``spec``: the
  OEP's ``PermissionProfileSpec``);
- ``v1`` ``ConfigMap``: a ``kubernetes:core/v1:ConfigMap`` resource, as written;
- ``v1`` ``List``: its ``items``, each as above;
- ToolHive's ``toolhive.stacklok.dev`` ``MCPServer`` (``v1alpha1``, ``v1beta1``):
  translated to the ``ome.io/v1beta1`` one field by field, with the ``MCPToolConfig`` and
  ``MCPOIDCConfig`` documents it names (``manifests.toolhive``; ``ome-mcp convert``
  prints the translation);
- OME's other kinds (``InferenceService``, ``ServingRuntime``, ... in
  ``OME_OTHER_KINDS``): skipped, with an info line naming the document (OME deploys
  those, these components do not);
- anything else: ``ManifestError``.

A namespaced document without ``metadata.namespace`` is in ``default``.

``spec`` is passed to the component unchanged (the OEP's camelCase), so the components'
validation applies and its errors name the document as well as the field
(``servers.yaml, document 2 (line 31): MCPServer 'x': spec.replicas: ...``).

**References resolve offline.** The data of every ``ConfigMap`` document is handed to
the servers of the same namespace (the components' ``config_maps`` argument), so a
permission profile, OIDC or authz ConfigMap defined alongside a server is used as
written, with no cluster read (the server component also records a dependency on the
ConfigMaps it names). A ``PermissionProfile`` document named by a server's
``permissionProfile: {type: configMap, configMap: {name: <p>}}`` in the same namespace
is passed to it as the component itself (its key is ``permissions.json``; another key
is an error). A ConfigMap no document defines is read from the cluster at deploy time,
as the components always do.

**Component options as annotations** (on ``MCPServer``/``ClusterMCPServer``
documents; they are taken off ``metadata.annotations``, so they do not land on every
rendered object):

- ``ome.io/network-enforcement``: ``network_enforcement``, ``kubernetes`` (the
  default) or ``cilium`` (adds CiliumNetworkPolicies with ``toFQDNs`` for the host names
  the permission profile allows);
- ``ome.io/gateway-image``: ``gateway_image``, another build of the gateway;
- ``ome.io/shared-namespace``: ``shared_namespace`` (``ClusterMCPServer`` only; default
  ``ome-mcp-system``).

An option annotation on a document it does not apply to, an invalid value, or an
``ome.io/`` annotation that looks like a misspelt option is a ``ManifestError``.

**Pulumi resource names**: ``<namespace>/<name>`` for namespaced documents (as
pulumi-kubernetes names the objects of YAML files), ``<name>`` for a
``ClusterMCPServer``; so a document keeps its URN when other documents come and go.

**Errors.** Every problem found while reading is one ``ManifestError`` naming the file,
the document (1-based, with its first line) and the field; YAML syntax errors name the
line and column. Nothing is registered when the files cannot be read. Fields the API
server fills in (``status``, ``metadata.uid``, ``resourceVersion``, ...) are ignored, so
``kubectl get -o yaml`` output loads; other unknown fields are errors.

Modules: ``documents`` (what a document becomes), ``reading`` (files to documents),
``parsing``, ``fields`` and ``options`` (one document, checked), ``references`` and
``checks`` (across documents), ``deploy`` (documents to components).
"""

from ome_mcp_components.manifests.deploy import deploy, load_manifests
from ome_mcp_components.manifests.documents import (
    OME_API_VERSION,
    OME_OTHER_KINDS,
    PROFILE_KIND,
    SERVER_KINDS,
    ConfigMapDocument,
    Manifests,
    ProfileDocument,
    ServerDocument,
    ServerKind,
    SkippedDocument,
)
from ome_mcp_components.manifests.options import (
    GATEWAY_IMAGE,
    NETWORK_ENFORCEMENT,
    OPTION_ANNOTATIONS,
    SHARED_NAMESPACE,
)
from ome_mcp_components.manifests.reading import read_documents, read_manifests

__all__ = [
    "GATEWAY_IMAGE",
    "NETWORK_ENFORCEMENT",
    "OME_API_VERSION",
    "OME_OTHER_KINDS",
    "OPTION_ANNOTATIONS",
    "PROFILE_KIND",
    "SERVER_KINDS",
    "SHARED_NAMESPACE",
    "ConfigMapDocument",
    "Manifests",
    "ProfileDocument",
    "ServerDocument",
    "ServerKind",
    "SkippedDocument",
    "deploy",
    "load_manifests",
    "read_documents",
    "read_manifests",
]
