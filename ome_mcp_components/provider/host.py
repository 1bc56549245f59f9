"""The component provider: the three components served to Pulumi programs in any language.

``pulumi-resource-ome-mcp <engine address>`` (or ``python -m ome_mcp_components.provider``)
starts a gRPC ResourceProvider that answers ``GetSchema`` with ``schema.package()`` and
``Construct`` by building the Python component the program asked for, with its inputs
turned into the arguments a Python program passes (``inputs.component_args``). Its children
are registered by this process, exactly as in a Python program.

What differs from a Python program, and why:

- Inputs arrive as wire values. A value that came from another resource's output is an
  output here; the components need every argument when they run (they validate it all
  before registering anything), so known values are unwrapped, their resources become
  dependencies of the component, and an unknown (a preview before the other resource
  exists) or secret value is an error naming the field.
- A ``PermissionProfile`` cannot travel as a Python object. A server's
  ``spec.permissionProfile`` given as the OEP's reference to the profile's ConfigMap
  (``{type: configMap, configMap: {name: <profile's configMapName>}}``) is served by the
  ``PermissionProfile`` component of the same name and namespace constructed earlier in
  this deployment, exactly as if the component itself had been passed in Python: its
  profile shapes the objects and nothing is read from the cluster. Programs get that
  order by naming the profile's ``configMapName`` output (or ``dependsOn``).
- A validation error is reported as the components' own one-line message (resource,
  field path, rule), not as a Python traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import sys
from collections.abc import Mapping
from typing import Any

import grpc
import grpc.aio
import pulumi
from pulumi.provider import ConstructResult, Provider
from pulumi.runtime.proto import provider_pb2_grpc

from ome_mcp_components import sdk_internals
from ome_mcp_components.components import (
    ClusterMCPServer,
    MCPServer,
    PermissionProfile,
)
from ome_mcp_components.errors import Issue, OmeMcpError, SpecValidationError
from ome_mcp_components.models import ObjectMetadata, parse_model
from ome_mcp_components.plan import arguments
from ome_mcp_components.provider import inputs as wire
from ome_mcp_components.provider.schema import PACKAGE, Package, package
from ome_mcp_components.vocabulary.keys import PROFILE_KEY
from ome_mcp_components.vocabulary.tokens import (
    CLUSTER_MCP_SERVER_TYPE,
    MCP_SERVER_TYPE,
    PERMISSION_PROFILE_TYPE,
)

_KINDS = {MCP_SERVER_TYPE: "MCPServer", CLUSTER_MCP_SERVER_TYPE: "ClusterMCPServer",
          PERMISSION_PROFILE_TYPE: "PermissionProfile"}
#: Keys ``_Servicer`` adds to the inputs for ``construct`` (never schema properties).
_DEPENDENCIES = "__dependencies"
_PROBLEMS = "__problems"


def version() -> str:
    """The package's version: the provider's and its schema's."""
    try:
        return importlib.metadata.version("ome-mcp-components")
    except importlib.metadata.PackageNotFoundError:  # a checkout that was never installed
        return "0.0.0"


class ComponentProvider(Provider):
    """Constructs ``MCPServer``, ``ClusterMCPServer`` and ``PermissionProfile``."""

    def __init__(self) -> None:
        self.package: Package = package(version())
        super().__init__(version(), json.dumps(self.package.schema))
        #: The PermissionProfile components of this deployment, by (namespace, name).
        self._profiles: dict[tuple[str, str], PermissionProfile] = {}

    def construct(
        self, name: str, resource_type: str, inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        kind = _KINDS.get(resource_type)
        if kind is None:
            raise ValueError(f"unknown resource type {resource_type}; this provider serves "
                             f"{', '.join(_KINDS)}")
        raw: dict[str, Any] = dict(inputs)
        dependencies: set[str] = raw.pop(_DEPENDENCIES, set())
        problems: list[Issue] = raw.pop(_PROBLEMS, [])
        if problems:
            raise SpecValidationError(f"{kind} '{name}'", problems)
        args = wire.component_args(self.package, resource_type, raw)
        opts = pulumi.ResourceOptions.merge(options, pulumi.ResourceOptions(
            depends_on=[sdk_internals.dependency_on(urn) for urn in sorted(dependencies)]))
        if kind == "PermissionProfile":
            profile = PermissionProfile(name, args, opts)
            handle = profile.profile_handle
            self._profiles[(handle.namespace, handle.name)] = profile
            return ConstructResult(profile.urn, {"configMapName": profile.config_map_name,
                                                 "namespace": profile.namespace})
        args = self._with_profile(kind, name, args)
        server = (MCPServer if kind == "MCPServer" else ClusterMCPServer)(name, args, opts)
        return ConstructResult(server.urn, {
            "url": server.url,
            "namespace": server.namespace,
            "serviceName": server.service_name,
            "serviceAccountName": server.service_account_name,
            "status": server.status,
        })

    def _with_profile(self, kind: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """``args`` with a reference to the ConfigMap of a PermissionProfile of this
        deployment replaced by that component (what a Python program would pass)."""
        spec = args.get("spec")
        ref = spec.get("permissionProfile") if isinstance(spec, Mapping) else None
        if not (isinstance(ref, Mapping) and ref.get("type") == "configMap"
                and set(ref) <= {"type", "configMap"} and isinstance(ref.get("configMap"),
                                                                     Mapping)):
            return args
        config_map = ref["configMap"]
        if config_map.get("key", PROFILE_KEY) != PROFILE_KEY:
            return args
        try:  # the namespace as the component will work it out; errors are its to report
            resource = f"{kind} '{name}'"
            metadata = parse_model(ObjectMetadata, args.get("metadata") or {},
                                   resource=resource, root="metadata")
            namespace = arguments.server_namespace(kind, metadata, args,  # type: ignore[arg-type]
                                                   resource)
        except OmeMcpError:
            return args
        profile = self._profiles.get((namespace, config_map.get("name")))
        if profile is None:
            return args
        return {**args, "spec": {**spec, "permissionProfile": profile}}  # type: ignore[dict-item]


async def _construct_inputs(values: dict[str, Any]) -> dict[str, Any]:
    """The inputs ``construct`` gets: plain values, with the URNs of the resources they
    came from and the problems met (unknown or secret values) under internal keys."""
    dependencies: set[str] = set()
    problems: list[Issue] = []
    plain = {key: await _plain(value, key, dependencies, problems)
             for key, value in values.items()}
    return {**plain, _DEPENDENCIES: dependencies, _PROBLEMS: problems}


def _as_written(provider: Provider, token: str, error: Exception) -> str | None:
    """Our error's one-line message, its field paths in the schema's names as the program
    wrote them; None for an error not ours (the SDK reports it with its traceback)."""
    if not isinstance(error, OmeMcpError):
        return None
    package = getattr(provider, "package", None)
    if not isinstance(package, Package) or token not in package.names:
        return str(error)
    issues = [Issue(wire.wire_path(package, token, issue.path), issue.message)
              for issue in error.issues]
    return str(type(error)(error.resource, issues))


async def _plain(value: Any, path: str, dependencies: set[str], problems: list[Issue]) -> Any:
    """``value`` with every output replaced by its value (its resources' URNs added to
    ``dependencies``); unknown and secret values are recorded in ``problems``."""
    if isinstance(value, pulumi.Output):
        if not await value.is_known():
            problems.append(Issue(path, "is not known yet (an output of a resource that does "
                                        "not exist before this deployment); the components "
                                        "need every argument when they run"))
            return None
        if await value.is_secret():
            problems.append(Issue(path, "is a secret; no secret value goes into the "
                                        "components' objects (pass Secrets by reference, "
                                        "spec.secrets)"))
            return None
        for resource in await value.resources():
            urn = await resource.urn.future()
            if urn:
                dependencies.add(urn)
        return await _plain(await value.future(), path, dependencies, problems)
    if sdk_internals.is_unknown(value):
        problems.append(Issue(path, "is not known yet; the components need every argument "
                                    "when they run"))
        return None
    if isinstance(value, Mapping):
        return {k: await _plain(v, f"{path}.{k}", dependencies, problems)
                for k, v in value.items()}
    if isinstance(value, list):
        return [await _plain(v, f"{path}[{i}]", dependencies, problems)
                for i, v in enumerate(value)]
    return value


def serve(provider: Provider, argv: list[str]) -> None:
    """Serve ``provider`` as a Pulumi plugin: the engine's address is the first argument;
    the port goes to stdout (the plugin protocol)."""
    parser = argparse.ArgumentParser(prog=f"pulumi-resource-{PACKAGE}",
                                     description="The ome-mcp component provider.")
    parser.add_argument("engine", help="Pulumi engine address")
    parser.add_argument("--logflow", action="store_true", help="ignored")
    parser.add_argument("--logtostderr", action="store_true", help="ignored")
    args, _ = parser.parse_known_args(argv)

    async def run() -> None:
        server = grpc.aio.server(options=sdk_internals.grpc_channel_options())
        servicer = sdk_internals.provider_servicer(
            provider, argv, args.engine, plain_inputs=_construct_inputs,
            input_error=lambda token, error: _as_written(provider, token, error))
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port(address="127.0.0.1:0")
        await server.start()
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


def main() -> None:
    """The ``pulumi-resource-ome-mcp`` console script."""
    serve(ComponentProvider(), sys.argv[1:])
