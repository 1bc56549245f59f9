"""ToolHive's ``MCPServer`` manifests, translated to the OEP's spec field by field.

Documents of ``toolhive.stacklok.dev/v1alpha1`` and ``v1beta1`` (the ToolHive operator's
CRDs, read from its ``cmd/thv-operator/api`` types; v1alpha1 fields ToolHive has since
removed, such as ``port``, ``targetPort``, ``tools`` and the inline ``oidcConfig``, are
read too) load through the same loader as OME's, as the ``ome.io/v1beta1`` document
``translate_documents`` turns them into; ``ome-mcp convert`` prints that document.

=================================  ========================================================
ToolHive ``spec``                  OEP ``spec``
=================================  ========================================================
``image``, ``transport``, ``args``  the same
``proxyPort`` (``port``)           ``port``
``mcpPort`` (``targetPort``)       ``targetPort`` (ToolHive's default 8080, written out for
                                   HTTP transports: the OEP's default is ``port``)
``proxyMode``                      ``streamable-http`` only (how the gateway serves stdio)
``env``, ``secrets``               the same (``{name, value}``; ``{name, key,
                                   targetEnvName}``)
``volumes``                        ``volumes`` (``hostPath``) and ``volumeMounts``: the
                                   policy pack's ``pss-host-path-volumes`` refuses them
``resources``, ``serviceAccount``  the same
``podTemplateSpec``                the same (a fragment is fine)
``permissionProfile``              ``builtin`` as is; ``configmap`` ``{name, key}`` as
                                   ``{type: configMap, configMap: {name, key}}`` (key
                                   default ``permissions.json``; the profile JSON is read
                                   as the OEP's, ToolHive's snake_case keys included)
``oidcConfig``                     the same kinds; ``jwksUrl``/``introspectionUrl``/
                                   ``resourceUrl`` spelt ``...URL``; a ConfigMap of
                                   ToolHive's one-setting-per-key layout that is among the
                                   documents becomes inline settings
``oidcConfigRef``                  ``oidcConfig`` built from the ``MCPOIDCConfig`` document
                                   it names (it must be among the documents)
``authzConfig``                    the same; ``entitiesJson`` spelt ``entitiesJSON``
``tools``, ``toolConfigRef``       ``toolsFilter`` (``toolConfigRef``: the ``toolsFilter``
                                   of the ``MCPToolConfig`` document it names)
``backendReplicas``                ``replicas``; ToolHive's ``replicas`` (the proxy's)
                                   must equal it: the gateway runs one pod per server pod
``audit``                          ``enabled: true`` only (the gateway's audit log is on)
=================================  ========================================================

Every other field, and every sub-field listed in ``NO_EQUIVALENT`` messages (client
credentials, CA bundle references, scopes, ...), has no equivalent: it is a
``ManifestError`` naming the field and what to do instead, never dropped. Values
equal to ToolHive's defaults (``trustProxyHeaders: false``, ``proxyMode`` on a transport
that ignores it, ...) are accepted. ``MCPToolConfig`` and ``MCPOIDCConfig`` documents are
used by the servers that name them and otherwise skipped with a note; ToolHive's other
kinds are an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ome_mcp_components.errors import Issue, ManifestError, SpecValidationError
from ome_mcp_components.manifests.documents import OME_API_VERSION, SkippedDocument
from ome_mcp_components.manifests.toolhive.server import Lookups, translate_spec
from ome_mcp_components.vocabulary import defaults

TOOLHIVE_GROUP = "toolhive.stacklok.dev"
TOOLHIVE_API_VERSIONS = (f"{TOOLHIVE_GROUP}/v1alpha1", f"{TOOLHIVE_GROUP}/v1beta1")
#: ToolHive kinds a server may name: used by it, otherwise skipped with a note.
SHARED_KINDS = frozenset({"MCPToolConfig", "MCPOIDCConfig"})
_OTHER_KINDS = {
    "MCPRemoteProxy": "write it as an ome.io/v1beta1 MCPServer with type: Remote and url",
}
_METADATA_KEPT = ("name", "namespace", "labels", "annotations")

Located = tuple[str, Any]


def is_toolhive(document: Any) -> bool:
    """True for a document of ToolHive's API group."""
    return isinstance(document, Mapping) and isinstance(document.get("apiVersion"), str) \
        and document["apiVersion"].split("/")[0] == TOOLHIVE_GROUP


def translate_documents(documents: Iterable[Located]) -> list[Located | SkippedDocument]:
    """``documents`` (``(where, document)`` in file order) with every ToolHive document
    translated: an ``MCPServer`` becomes the ``ome.io/v1beta1`` one, an ``MCPToolConfig``
    or ``MCPOIDCConfig`` a ``SkippedDocument`` unless a server uses it (then it is
    dropped: its content is in that server). Other documents are returned unchanged."""
    items = list(documents)
    lookups = Lookups.of(items, _namespace)
    translated: dict[int, Located] = {}
    for index, (where, document) in enumerate(items):
        if is_toolhive(document):
            _check_kind(where, document)
            if document.get("kind") == "MCPServer":
                translated[index] = (where, translate_server(where, document, lookups))
    result: list[Located | SkippedDocument] = []
    for index, (where, document) in enumerate(items):
        if index in translated:
            result.append(translated[index])
        elif not is_toolhive(document):
            result.append((where, document))
        elif not lookups.used(document["kind"], _namespace(document), _name(document)):
            result.append(SkippedDocument(where, document["kind"], _name(document) or
                                          "<unnamed>", reason="no MCPServer among the "
                                          "documents names it; skipped"))
    return result


def _check_kind(where: str, document: Mapping[str, Any]) -> None:
    version, kind = document["apiVersion"], document.get("kind")
    if version not in TOOLHIVE_API_VERSIONS:
        raise ManifestError(where, Issue("apiVersion", f"{version!r} is not a ToolHive "
                                         f"version ome-mcp reads (expected one of "
                                         f"{', '.join(TOOLHIVE_API_VERSIONS)})"))
    if kind != "MCPServer" and kind not in SHARED_KINDS:
        advice = _OTHER_KINDS.get(str(kind), "ome-mcp loads ToolHive's MCPServer (and the "
                                             "MCPToolConfig and MCPOIDCConfig it names)")
        raise ManifestError(where, Issue("kind", f"ToolHive's {kind} is not loaded: {advice}"))


def translate_server(where: str, document: Mapping[str, Any], lookups: Lookups
                     ) -> dict[str, Any]:
    """The ``ome.io/v1beta1`` ``MCPServer`` document of a ToolHive one."""
    unknown = sorted(str(k) for k in document
                     if k not in ("apiVersion", "kind", "metadata", "spec", "status"))
    if unknown:
        raise ManifestError(where, Issue(unknown[0], "unknown field of a ToolHive MCPServer"))
    metadata = document.get("metadata")
    if not isinstance(metadata, Mapping):
        raise ManifestError(where, Issue("metadata", "field required (a mapping with a name)"))
    spec = document.get("spec")
    if not isinstance(spec, Mapping):
        raise ManifestError(where, Issue("spec", "field required (a mapping)"))
    namespace = _namespace(document)
    kept = {k: metadata[k] for k in _METADATA_KEPT if k in metadata}
    kept.update({k: v for k, v in metadata.items() if k not in _METADATA_KEPT
                 and k not in _SERVER_SET_METADATA})  # unknown ones: refused by the loader
    return {
        "apiVersion": OME_API_VERSION,
        "kind": "MCPServer",
        "metadata": kept,
        "spec": translate_spec(where, spec, namespace, lookups),
    }


_SERVER_SET_METADATA = frozenset({
    "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
    "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "finalizers",
})


def _namespace(document: Mapping[str, Any]) -> str:
    metadata = document.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, Mapping) else None
    return namespace if isinstance(namespace, str) and namespace else \
        defaults.DEFAULT_NAMESPACE


def _name(document: Mapping[str, Any]) -> str:
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return name if isinstance(name, str) else ""


def convert(documents: Iterable[Located]) -> tuple[list[dict[str, Any]], list[str]]:
    """``ome-mcp convert``: the documents as OME's (ToolHive ``MCPServer`` translated,
    every other document unchanged), and a note for each ToolHive document left out.

    Each translated spec is validated as the component will validate it, so what is
    printed loads; a ``ManifestError`` naming the document otherwise.
    """
    from ome_mcp_components.models import MCPServerSpec, parse_model

    items = list(documents)
    results = translate_documents(items)
    kept = {item[0]: item[1] for item in results if not isinstance(item, SkippedDocument)}
    skipped = {item.where: item.note for item in results if isinstance(item, SkippedDocument)}
    out: list[dict[str, Any]] = []
    notes: list[str] = []
    for where, original in items:
        if where in skipped:
            notes.append(skipped[where])
        elif where not in kept:
            notes.append(f"{where}: {original['kind']} '{_name(original)}': used by the "
                         f"MCPServer that names it")
        else:
            document = kept[where]
            if is_toolhive(original):
                try:
                    parse_model(MCPServerSpec, document["spec"], root="spec",
                                resource=f"MCPServer '{_name(original)}'")
                except SpecValidationError as error:
                    raise ManifestError(f"{where}: {error.resource}", list(error.issues)
                                        ) from None
            out.append(document)
    return out, notes


__all__ = ["TOOLHIVE_API_VERSIONS", "TOOLHIVE_GROUP", "convert", "is_toolhive",
           "translate_documents"]
