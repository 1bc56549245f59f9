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
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
import yaml
from yaml.constructor import ConstructorError

from ome_mcp_components import defaults, names
from ome_mcp_components.components import ClusterMCPServer, MCPServer, PermissionProfile
from ome_mcp_components.errors import Issue, ManifestError, OmeMcpError
from ome_mcp_components.models import DEFAULT_PROFILE_KEY

#: The API group and version of OME's resources.
OME_API_VERSION = "ome.io/v1beta1"
#: The kinds of ``OME_API_VERSION`` that become components.
SERVER_KINDS = ("MCPServer", "ClusterMCPServer")
PROFILE_KIND = "PermissionProfile"
#: OME's other kinds: not MCP resources, skipped with a note (OME's controllers deploy them).
OME_OTHER_KINDS = frozenset({
    "InferenceService", "ServingRuntime", "ClusterServingRuntime", "BaseModel",
    "ClusterBaseModel", "FineTunedModel", "BenchmarkJob", "InferenceGraph",
    "AcceleratorClass",
})

NETWORK_ENFORCEMENT = "ome.io/network-enforcement"
GATEWAY_IMAGE = "ome.io/gateway-image"
SHARED_NAMESPACE = "ome.io/shared-namespace"
#: Option annotations, by the component argument each sets.
OPTION_ANNOTATIONS: dict[str, str] = {
    NETWORK_ENFORCEMENT: "network_enforcement",
    GATEWAY_IMAGE: "gateway_image",
    SHARED_NAMESPACE: "shared_namespace",
}
_ENFORCEMENT_VALUES = ("kubernetes", "cilium")

#: metadata fields a document may set; the API server's own are ignored.
_METADATA_FIELDS = frozenset({"name", "namespace", "labels", "annotations"})
_SERVER_SET_METADATA = frozenset({
    "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
    "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
})
_OME_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})
_CONFIG_MAP_FIELDS = frozenset({"apiVersion", "kind", "metadata", "data", "binaryData",
                                "immutable"})
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_YAML_SUFFIXES = (".yaml", ".yml")

ServerKind = Literal["MCPServer", "ClusterMCPServer"]


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class ConfigMapDocument:
    """A ``v1 ConfigMap`` document: created as written, its data shared with servers."""

    where: str
    name: str
    namespace: str
    metadata: dict[str, Any]
    data: dict[str, str]
    binary_data: dict[str, str]
    immutable: bool | None

    @property
    def resource_name(self) -> str:
        """The Pulumi resource name: ``<namespace>/<name>``."""
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ProfileDocument:
    """A ``PermissionProfile`` document."""

    where: str
    name: str
    namespace: str
    metadata: dict[str, Any]
    spec: Any

    @property
    def resource_name(self) -> str:
        """The Pulumi resource name: ``<namespace>/<name>``."""
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ServerDocument:
    """An ``MCPServer`` or ``ClusterMCPServer`` document with its option annotations
    turned into component arguments."""

    where: str
    kind: ServerKind
    name: str
    #: The namespace the server's objects go to (the shared one for a ClusterMCPServer).
    namespace: str
    metadata: dict[str, Any]
    spec: Any
    options: dict[str, str] = field(default_factory=dict)

    @property
    def resource_name(self) -> str:
        """The Pulumi resource name: ``<namespace>/<name>``, or ``<name>`` for a
        ClusterMCPServer (cluster-scoped)."""
        return self.name if self.kind == "ClusterMCPServer" else f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class SkippedDocument:
    """A document of OME's that is not an MCP resource."""

    where: str
    kind: str
    name: str

    @property
    def note(self) -> str:
        """The line logged when the program runs."""
        return (f"{self.where}: {self.kind} '{self.name}' ({OME_API_VERSION}) is not an MCP "
                f"resource; skipped (OME deploys it, not ome-mcp)")


@dataclass(frozen=True)
class Manifests:
    """Every document of a set of files, sorted by what it becomes, in file order."""

    config_maps: tuple[ConfigMapDocument, ...] = ()
    profiles: tuple[ProfileDocument, ...] = ()
    servers: tuple[ServerDocument, ...] = ()
    skipped: tuple[SkippedDocument, ...] = ()


# --------------------------------------------------------------------------- reading


def load_manifests(paths: Sequence[Path]) -> Callable[[], None]:
    """The Pulumi program that deploys the OME manifests in ``paths`` (files, or
    directories of ``*.yaml``/``*.yml`` files).

    The files are read and checked now (``ManifestError`` on any problem); the returned
    program creates the ConfigMaps, the PermissionProfiles, then the servers.
    """
    manifests = read_manifests(paths)

    def program() -> None:
        deploy(manifests)

    return program


def read_manifests(paths: Sequence[Path]) -> Manifests:
    """Read and sort every document of ``paths``; ``ManifestError`` on any problem."""
    config_maps: list[ConfigMapDocument] = []
    profiles: list[ProfileDocument] = []
    servers: list[ServerDocument] = []
    skipped: list[SkippedDocument] = []
    for file in _files(paths):
        for where, document in _objects(_documents(file)):
            parsed = _parse(where, document)
            if isinstance(parsed, ConfigMapDocument):
                config_maps.append(parsed)
            elif isinstance(parsed, ProfileDocument):
                profiles.append(parsed)
            elif isinstance(parsed, ServerDocument):
                servers.append(parsed)
            else:
                skipped.append(parsed)
    result = Manifests(tuple(config_maps), tuple(profiles), tuple(servers), tuple(skipped))
    _check_unique(result)
    _check_profile_keys(result)
    return result


def _files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix in _YAML_SUFFIXES)
            if not files:
                raise ManifestError(str(path), "holds no .yaml or .yml files (subdirectories "
                                               "are not read)")
            yield from files
        else:
            yield path


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key repeated in one mapping (which PyYAML would
    silently resolve to the last value, and the API server refuses)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # unhashable: the base class reports it
                continue
            if duplicate:
                raise ConstructorError("while constructing a mapping", node.start_mark,
                                       f"found duplicate key {key!r}", key_node.start_mark)
        return super().construct_mapping(node, deep)


def _documents(file: Path) -> Iterator[tuple[str, Any]]:
    """``(where, document)`` for each non-empty document of ``file``."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(str(file), f"is not UTF-8 text ({error.reason} at byte "
                                       f"{error.start})") from None
    except OSError as error:
        raise ManifestError(str(file), f"cannot be read: {error.strerror}") from None
    loader = _Loader(text)
    number = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # the end of the stream
                break
            number += 1
            document = loader.construct_document(node)
            if document is None:
                continue
            line = node.start_mark.line + 1
            yield f"{file}, document {number} (line {line})", document
    except yaml.MarkedYAMLError as error:
        raise ManifestError(str(file), _yaml_problem(error)) from None
    except yaml.YAMLError as error:
        raise ManifestError(str(file), f"invalid YAML: {error}") from None
    finally:
        loader.dispose()


def _objects(documents: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """Each document, with a ``v1 List`` replaced by its items."""
    for where, document in documents:
        if isinstance(document, dict) and document.get("apiVersion") == "v1" \
                and document.get("kind") == "List":
            items = document.get("items")
            if not isinstance(items, list):
                raise ManifestError(where, Issue("items", "a List needs a list of items"))
            for number, item in enumerate(items, start=1):
                yield f"{where}, item {number}", item
        else:
            yield where, document


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    what = " ".join(part for part in (error.context, error.problem) if part)
    return f"{where}invalid YAML: {what}"


def _parse(
    where: str, document: Any
) -> ConfigMapDocument | ProfileDocument | ServerDocument | SkippedDocument:
    if not isinstance(document, dict):
        raise ManifestError(where, f"a document must be a Kubernetes object (a mapping), "
                                   f"not {_type_name(document)}")
    for required in ("apiVersion", "kind"):
        if not isinstance(document.get(required), str) or not document[required]:
            raise ManifestError(where, Issue(required, "field required (a string)"))
    api_version: str = document["apiVersion"]
    kind: str = document["kind"]
    if api_version == "v1" and kind == "ConfigMap":
        return _config_map(where, document)
    if api_version == OME_API_VERSION and kind in SERVER_KINDS:
        return _server(where, document, "MCPServer" if kind == "MCPServer" else
                       "ClusterMCPServer")
    if api_version == OME_API_VERSION and kind == PROFILE_KIND:
        return _profile(where, document)
    if api_version == OME_API_VERSION and kind in OME_OTHER_KINDS:
        metadata = document.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        return SkippedDocument(where, kind, str(name) if name else "<unnamed>")
    raise ManifestError(where, Issue("kind", _unknown_kind(api_version, kind)))


def _unknown_kind(api_version: str, kind: str) -> str:
    supported = (f"{OME_API_VERSION} MCPServer, ClusterMCPServer or PermissionProfile, "
                 f"or a v1 ConfigMap")
    if api_version == "v1" and kind == "Secret":
        return ("a Secret cannot be loaded: its values would land in Pulumi state in clear "
                "text; create it outside the stack and reference it by name in "
                "spec.secrets")
    if kind in (*SERVER_KINDS, PROFILE_KIND, *OME_OTHER_KINDS):
        return (f"{kind} with apiVersion {api_version!r} is not supported; "
                f"use apiVersion {OME_API_VERSION!r}")
    return f"{kind} ({api_version}) is not a kind ome-mcp loads; expected {supported}"


def _type_name(value: Any) -> str:
    return "a list" if isinstance(value, list) else f"a {type(value).__name__} value"


def _metadata(where: str, document: dict[str, Any]) -> dict[str, Any]:
    """The document's metadata (name, namespace, labels, annotations), checked."""
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        raise ManifestError(where, Issue("metadata", "field required (a mapping with a name)"))
    unknown = sorted(str(k) for k in metadata
                     if k not in _METADATA_FIELDS and k not in _SERVER_SET_METADATA)
    if unknown:
        raise ManifestError(where, [
            Issue(f"metadata.{key}", "not supported (allowed: name, namespace, labels, "
                                     "annotations)")
            for key in unknown])
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise ManifestError(where, Issue("metadata.name", "field required (a string)"))
    result: dict[str, Any] = {"name": name}
    namespace = metadata.get("namespace")
    if namespace is not None:
        if not isinstance(namespace, str) or len(namespace) > 63 \
                or not _DNS1123_LABEL.match(namespace):
            raise ManifestError(where, Issue("metadata.namespace", f"{namespace!r} is not a "
                                             "valid namespace name (RFC 1123 label)"))
        result["namespace"] = namespace
    for key in ("labels", "annotations"):
        values = metadata.get(key)
        if values is None:
            continue
        if not isinstance(values, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in values.items()):
            raise ManifestError(where, Issue(f"metadata.{key}", "must map strings to strings "
                                             "(quote numbers and booleans)"))
        result[key] = dict(values)
    return result


def _check_fields(where: str, document: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(str(k) for k in document if k not in allowed)
    if unknown:
        raise ManifestError(where, [
            Issue(key, f"unknown field of a {document['kind']}") for key in unknown])


def _config_map(where: str, document: dict[str, Any]) -> ConfigMapDocument:
    _check_fields(where, document, _CONFIG_MAP_FIELDS)
    metadata = _metadata(where, document)
    name = metadata["name"]
    if len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        raise ManifestError(where, Issue("metadata.name", f"{name!r} is not a valid ConfigMap "
                                         "name (lowercase RFC 1123 subdomain)"))
    _no_options(where, metadata)
    resource = f"{where}: ConfigMap '{name}'"
    data = _string_map(resource, document, "data")
    binary_data = _string_map(resource, document, "binaryData")
    both = sorted(set(data) & set(binary_data))
    if both:
        raise ManifestError(resource, Issue("binaryData", f"keys also in data: {both}"))
    immutable = document.get("immutable")
    if immutable is not None and not isinstance(immutable, bool):
        raise ManifestError(resource, Issue("immutable", "must be true or false"))
    return ConfigMapDocument(
        where=where, name=name, namespace=metadata.get("namespace", defaults.DEFAULT_NAMESPACE),
        metadata=metadata, data=data, binary_data=binary_data, immutable=immutable,
    )


def _string_map(where: str, document: dict[str, Any], key: str) -> dict[str, str]:
    values = document.get(key)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ManifestError(where, Issue(key, "must be a mapping of keys to strings"))
    result: dict[str, str] = {}
    for item, value in values.items():
        if not isinstance(item, str) or len(item) > 253 or not _CONFIG_KEY.match(item):
            raise ManifestError(where, Issue(f"{key}.{item}", "not a valid key (letters, "
                                             "digits, '-', '_', '.')"))
        if not isinstance(value, str):
            raise ManifestError(where, Issue(f"{key}.{item}", f"must be a string, not "
                                             f"{_type_name(value)} (quote it)"))
        result[item] = value
    return result


def _no_options(where: str, metadata: Mapping[str, Any]) -> None:
    for key in metadata.get("annotations", {}):
        if key in OPTION_ANNOTATIONS:
            raise ManifestError(where, Issue(f"metadata.annotations.{key}",
                                             "applies to MCPServer and ClusterMCPServer only"))


def _profile(where: str, document: dict[str, Any]) -> ProfileDocument:
    _check_fields(where, document, _OME_FIELDS)
    metadata = _metadata(where, document)
    _no_options(where, metadata)
    return ProfileDocument(
        where=where, name=metadata["name"],
        namespace=metadata.get("namespace", defaults.DEFAULT_NAMESPACE),
        metadata=metadata, spec=document.get("spec"),
    )


def _server(where: str, document: dict[str, Any], kind: ServerKind) -> ServerDocument:
    _check_fields(where, document, _OME_FIELDS)
    metadata = _metadata(where, document)
    annotations: dict[str, str] = metadata.pop("annotations", {})
    options: dict[str, str] = {}
    kept: dict[str, str] = {}
    for key, value in annotations.items():
        if key in OPTION_ANNOTATIONS:
            options[OPTION_ANNOTATIONS[key]] = _option(where, kind, key, value)
            continue
        if key.startswith("ome.io/"):
            close = difflib.get_close_matches(key, OPTION_ANNOTATIONS, n=1, cutoff=0.85)
            if close:
                raise ManifestError(where, Issue(f"metadata.annotations.{key}",
                                                 f"unknown option; did you mean {close[0]}?"))
        kept[key] = value
    if kept:
        metadata["annotations"] = kept
    if kind == "ClusterMCPServer":
        namespace = options.get("shared_namespace") or metadata.get("namespace") \
            or defaults.SHARED_NAMESPACE
    else:
        namespace = metadata.get("namespace", defaults.DEFAULT_NAMESPACE)
    return ServerDocument(where=where, kind=kind, name=metadata["name"], namespace=namespace,
                          metadata=metadata, spec=document.get("spec"), options=options)


def _option(where: str, kind: ServerKind, key: str, value: str) -> str:
    path = f"metadata.annotations.{key}"
    if key == NETWORK_ENFORCEMENT and value not in _ENFORCEMENT_VALUES:
        raise ManifestError(where, Issue(path, f"{value!r} is not allowed: expected "
                                               f"'kubernetes' or 'cilium'"))
    if key == SHARED_NAMESPACE:
        if kind != "ClusterMCPServer":
            raise ManifestError(where, Issue(path, "applies to ClusterMCPServer only"))
        if len(value) > 63 or not _DNS1123_LABEL.match(value):
            raise ManifestError(where, Issue(path, f"{value!r} is not a valid namespace name "
                                                   "(RFC 1123 label)"))
    if key == GATEWAY_IMAGE and (not value.strip() or value != value.strip()):
        raise ManifestError(where, Issue(path, f"{value!r} is not a container image "
                                               "reference"))
    return value


def _check_unique(manifests: Manifests) -> None:
    """No two documents may make the same Kubernetes object."""
    seen: dict[tuple[str, str, str], str] = {}

    def claim(kind: str, namespace: str, name: str, where: str, what: str) -> None:
        key = (kind, namespace, name)
        if key in seen:
            raise ManifestError(where, f"{what} clashes with {seen[key]}: both would create "
                                       f"{kind} {namespace}/{name}")
        seen[key] = where

    for cm in manifests.config_maps:
        claim("ConfigMap", cm.namespace, cm.name, cm.where, f"ConfigMap '{cm.name}'")
    for profile in manifests.profiles:
        claim("ConfigMap", profile.namespace, profile.name, profile.where,
              f"PermissionProfile '{profile.name}'")
    for server in manifests.servers:
        what = f"{server.kind} '{server.name}'"
        # A ClusterMCPServer's objects share its namespace with MCPServers there.
        claim("server", server.namespace, server.name, server.where, what)
        for config_map in _derived_config_maps(server):
            claim("ConfigMap", server.namespace, config_map, server.where, what)


def _derived_config_maps(server: ServerDocument) -> list[str]:
    """The ConfigMaps a server renders of its own (its gateway's, its inline Cedar)."""
    spec = server.spec if isinstance(server.spec, Mapping) else {}
    authz = spec.get("authzConfig", spec.get("authz_config"))
    gateway = spec.get("type", "Hosted") == "Hosted" or any(
        spec.get(k) is not None for k in ("oidcConfig", "oidc_config", "authzConfig",
                                          "authz_config"))
    found = [names.gateway_config_map(server.name)] if gateway else []
    if isinstance(authz, Mapping) and authz.get("type") == "inline":
        found.append(names.authz_config_map(server.name))
    return found


def _profile_ref(spec: Any) -> tuple[str, Any] | None:
    """``(spec key, configMap reference)`` of a configMap permission profile, if any."""
    if not isinstance(spec, Mapping):
        return None
    for key in ("permissionProfile", "permission_profile"):
        ref = spec.get(key)
        if isinstance(ref, Mapping) and ref.get("type") == "configMap":
            config_map = ref.get("configMap", ref.get("config_map"))
            if isinstance(config_map, Mapping) and isinstance(config_map.get("name"), str):
                return key, config_map
    return None


def _check_profile_keys(manifests: Manifests) -> None:
    profiles = {(p.namespace, p.name) for p in manifests.profiles}
    for server in manifests.servers:
        found = _profile_ref(server.spec)
        if found is None:
            continue
        _, ref = found
        if (server.namespace, ref["name"]) in profiles and \
                ref.get("key", DEFAULT_PROFILE_KEY) != DEFAULT_PROFILE_KEY:
            raise ManifestError(server.where, Issue(
                "spec.permissionProfile.configMap.key",
                f"PermissionProfile '{ref['name']}' holds its profile under key "
                f"{DEFAULT_PROFILE_KEY!r}, not {ref['key']!r}"))


def _referenced_config_maps(spec: Any) -> set[str]:
    """Names of the ConfigMaps a spec refers to (profile, OIDC, authz)."""
    found: set[str] = set()
    if not isinstance(spec, Mapping):
        return found
    for key in ("permissionProfile", "permission_profile", "oidcConfig", "oidc_config",
                "authzConfig", "authz_config"):
        ref = spec.get(key)
        if isinstance(ref, Mapping):
            config_map = ref.get("configMap", ref.get("config_map"))
            if isinstance(config_map, Mapping) and isinstance(config_map.get("name"), str):
                found.add(config_map["name"])
    return found


# --------------------------------------------------------------------------- deploying


def deploy(manifests: Manifests) -> None:
    """Create the resources of ``manifests`` (inside a Pulumi program): ConfigMaps,
    PermissionProfiles, then servers, each group in document order."""
    for skipped in manifests.skipped:
        pulumi.log.info(skipped.note)

    config_maps: dict[tuple[str, str], pulumi.Resource] = {}
    for cm in manifests.config_maps:
        config_maps[(cm.namespace, cm.name)] = k8s.core.v1.ConfigMap(
            cm.resource_name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=cm.name, namespace=cm.namespace, labels=cm.metadata.get("labels"),
                annotations=cm.metadata.get("annotations")),
            data=cm.data or None,
            binary_data=cm.binary_data or None,
            immutable=cm.immutable,
        )

    profiles: dict[tuple[str, str], PermissionProfile] = {}
    for doc in manifests.profiles:
        with _located(doc.where):
            profiles[(doc.namespace, doc.name)] = PermissionProfile(
                doc.resource_name, {"metadata": doc.metadata, "spec": doc.spec})

    for server in manifests.servers:
        spec = server.spec
        found = _profile_ref(spec)
        if found is not None and (server.namespace, found[1]["name"]) in profiles:
            spec = {**spec, found[0]: profiles[(server.namespace, found[1]["name"])]}
        data = {cm.name: dict(cm.data) for cm in manifests.config_maps
                if cm.namespace == server.namespace}
        depends_on = [config_maps[(server.namespace, name)]
                      for name in sorted(_referenced_config_maps(server.spec))
                      if (server.namespace, name) in config_maps]
        args = {"metadata": server.metadata, "spec": spec, "config_maps": data,
                **server.options}
        opts = pulumi.ResourceOptions(depends_on=depends_on) if depends_on else None
        component = ClusterMCPServer if server.kind == "ClusterMCPServer" else MCPServer
        with _located(server.where):
            component(server.resource_name, args, opts)


@contextlib.contextmanager
def _located(where: str) -> Iterator[None]:
    """Re-raise the package's errors (same class) with the document they come from in
    front of the resource they name."""
    try:
        yield
    except OmeMcpError as error:
        raise type(error)(f"{where}: {error.resource}", list(error.issues)) from error


__all__ = [
    "GATEWAY_IMAGE",
    "NETWORK_ENFORCEMENT",
    "OME_API_VERSION",
    "OPTION_ANNOTATIONS",
    "SHARED_NAMESPACE",
    "ConfigMapDocument",
    "Manifests",
    "ProfileDocument",
    "ServerDocument",
    "SkippedDocument",
    "deploy",
    "load_manifests",
    "read_manifests",
]
