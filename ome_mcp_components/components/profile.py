"""``PermissionProfile``: a permission profile many servers can share, as its ConfigMap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from ome_mcp_components.builders.config_maps import profile_config_map
from ome_mcp_components.components import registry, resources
from ome_mcp_components.models import ObjectMetadata, PermissionProfileSpec
from ome_mcp_components.plan.arguments import Declared, ProfileHandle
from ome_mcp_components.plan.resolve import plan_profile
from ome_mcp_components.vocabulary.tokens import PERMISSION_PROFILE_TYPE


@dataclass(frozen=True)
class PermissionProfileArgs:
    """Arguments of ``PermissionProfile``: metadata and the profile."""

    spec: PermissionProfileSpec | Mapping[str, Any]
    metadata: ObjectMetadata | Mapping[str, Any] | None = None


class PermissionProfile(pulumi.ComponentResource):
    """A permission profile many servers can share: ConfigMap ``<p>`` (key
    ``permissions.json``, the OEP's ConfigMap format). A server of the same namespace
    uses it when given the component itself as ``spec["permissionProfile"]``, or when it
    names it (``{"type": "configMap", "configMap": {"name": <p>}}``) and is created after
    it (``registry``)."""

    #: Name of the ConfigMap (``<p>``, the profile's ``metadata.name``).
    config_map_name: pulumi.Output[str]
    #: Namespace of the ConfigMap.
    namespace: pulumi.Output[str]
    #: Where the profile lives and what it holds, known while the program runs.
    profile_handle: ProfileHandle

    def __init__(
        self, name: str, args: PermissionProfileArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        plan = plan_profile(name, args)
        manifest = profile_config_map(
            plan.name, plan.namespace, plan.spec,
            extra_labels=plan.metadata.labels, annotations=plan.metadata.annotations,
        )
        self.profile_handle = plan.handle
        # servers of this program find the profile by name (registry), with no cluster
        # read; raises, before anything is registered, if one already planned to read it
        registry.track()
        registry.current().declare(Declared(
            plan.namespace, plan.name, self, dict(manifest["data"]), plan.resource,
            self.profile_handle))
        super().__init__(PERMISSION_PROFILE_TYPE, name, plan.props(), opts)
        self.config_map = resources.create(
            f"{name}-config-map", manifest["apiVersion"], manifest["kind"],
            resources.fields(manifest), pulumi.ResourceOptions(parent=self),
        )
        self.config_map_name = pulumi.Output.from_input(plan.name)
        self.namespace = pulumi.Output.from_input(plan.namespace)
        self.register_outputs(
            {"config_map_name": self.config_map_name, "namespace": self.namespace}
        )
