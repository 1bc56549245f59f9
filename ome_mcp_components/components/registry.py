"""The ConfigMaps a running program declares, found by namespace and name.

A server's reference by name (``{type: configMap, configMap: {name: db-only}}``, the
OEP's spelling) resolves, in this order, to:

1. the data the program passed in ``config_maps=``;
2. a ConfigMap **the same program declares** before the server: a ``PermissionProfile``
   component (it registers itself here), or any ``pulumi_kubernetes``
   ``core.v1.ConfigMap`` with a literal ``metadata.name`` (recorded by a Pulumi stack
   transformation, see below); the server then needs no cluster read, and every object
   it renders from that data depends on the declaring resource, so the first
   ``pulumi up`` of an empty cluster creates the ConfigMap first;
3. otherwise a read from the cluster at deploy time (``ConfigMap.get``), which waits
   for whatever the server's own ``depends_on`` names.

A ConfigMap declared *after* a server has planned to read it from the cluster is an
error (``ConfigReferenceError``): the read would race the creation.

How declarations are seen. A Pulumi program has no index of its resources, so the
package registers a **stack transformation** (``pulumi.runtime.
register_stack_transformation``, the SDK's own hook on every resource registration) that
notes each ConfigMap (namespace, name, the resource, its ``data`` when given as plain
strings) and changes nothing. It is installed once per program run: when the package is
imported inside a running program (the usual ``from ome_mcp_components import ...`` at
the top of ``__main__.py``), again when any component is constructed, and by the offline
engine before each program it runs. A ConfigMap registered before all of these (a
process that runs several programs, such as Automation API inline programs, where the
import happens once) is not seen: pass it in ``config_maps=``, or create a
``PermissionProfile`` and pass the component itself as ``permissionProfile``.

The registry is kept per run: on the run's root stack resource (or, under
``pulumi.runtime.set_mocks`` without a stack, its mock monitor), held weakly, so programs
run one after another in one process never see each other's ConfigMaps.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import pulumi

from ome_mcp_components import sdk_internals
from ome_mcp_components.errors import ConfigReferenceError
from ome_mcp_components.plan.arguments import Declared
from ome_mcp_components.vocabulary.tokens import CONFIG_MAP_TYPE

#: The namespace pulumi-kubernetes gives an object without one (the provider's default).
DEFAULT_NAMESPACE = "default"


class ProgramRegistry:
    """What one program run declared, and which servers read what from the cluster."""

    def __init__(self) -> None:
        self._declared: dict[tuple[str, str], Declared] = {}
        self._reads: dict[tuple[str, str], str] = {}
        self.tracking = False

    def declare(self, entry: Declared) -> None:
        """Note a ConfigMap; the first declaration of a name wins (a PermissionProfile
        declares itself before its own ConfigMap child is registered)."""
        key = (entry.namespace, entry.name)
        reader = self._reads.get(key)
        if reader is not None:
            raise ConfigReferenceError(
                f"ConfigMap {entry.namespace}/{entry.name}",
                f"{reader} was declared before it and reads it from the cluster, which "
                f"would race this creation; create the ConfigMap (or PermissionProfile) "
                f"before the servers that reference it")
        self._declared.setdefault(key, entry)

    def find(self, namespace: str, name: str) -> Declared | None:
        """The ConfigMap ``namespace/name`` if the program declared it."""
        return self._declared.get((namespace, name))

    def reading(self, namespace: str, name: str, reader: str) -> None:
        """Note that ``reader`` (``MCPServer 'x'``) reads ``namespace/name`` from the
        cluster."""
        self._reads.setdefault((namespace, name), reader)


_REGISTRIES: weakref.WeakKeyDictionary[Any, ProgramRegistry] = weakref.WeakKeyDictionary()


def current() -> ProgramRegistry:
    """The registry of the program running now (a fresh one outside any run)."""
    key = sdk_internals.root_resource() or sdk_internals.monitor()
    if key is None:
        return ProgramRegistry()
    registry = _REGISTRIES.get(key)
    if registry is None:
        registry = _REGISTRIES[key] = ProgramRegistry()
    return registry


def track() -> None:
    """Start noting the ConfigMaps this run registers (once per run; nothing outside a
    running stack)."""
    if sdk_internals.root_resource() is None:
        return
    registry = current()
    if registry.tracking:
        return
    pulumi.runtime.register_stack_transformation(_observe)
    registry.tracking = True


def _observe(args: pulumi.ResourceTransformationArgs) -> None:
    """The stack transformation: note a ConfigMap the program creates, change nothing."""
    if args.type_ != CONFIG_MAP_TYPE or args.opts.id is not None:  # not one, or a read
        return
    metadata = args.props.get("metadata")
    name, namespace = _field(metadata, "name"), _field(metadata, "namespace")
    if not isinstance(name, str) or not isinstance(namespace, str | None):
        return  # auto-named, or named by an output: not findable by name now
    data = args.props.get("data")
    plain = dict(data) if isinstance(data, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()) else None
    current().declare(Declared(namespace or DEFAULT_NAMESPACE, name, args.resource,
                               plain, f"ConfigMap resource '{args.name}'"))


def _field(metadata: Any, name: str) -> Any:
    """A field of ``metadata``: a dict, or pulumi-kubernetes' ``ObjectMetaArgs``; None for
    an output (whose attributes would be outputs too, never a name known now)."""
    if isinstance(metadata, Mapping):
        return metadata.get(name)
    if metadata is None or isinstance(metadata, pulumi.Output):
        return None
    return getattr(metadata, name, None)


__all__ = ["ProgramRegistry", "current", "track"]
