"""``load_manifests`` and ``deploy``: the checked documents as Pulumi resources."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from ome_mcp_components.components import ClusterMCPServer, MCPServer, PermissionProfile
from ome_mcp_components.errors import OmeMcpError
from ome_mcp_components.manifests.documents import Manifests
from ome_mcp_components.manifests.reading import read_manifests
from ome_mcp_components.manifests.references import profile_ref, referenced_config_maps


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
        found = profile_ref(spec)
        if found is not None and (server.namespace, found[1]["name"]) in profiles:
            spec = {**spec, found[0]: profiles[(server.namespace, found[1]["name"])]}
        data = {cm.name: dict(cm.data) for cm in manifests.config_maps
                if cm.namespace == server.namespace}
        depends_on = [config_maps[(server.namespace, name)]
                      for name in sorted(referenced_config_maps(server.spec))
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
