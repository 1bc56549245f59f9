"""What the offline engine records of a Pulumi program: one entry per registered resource.

Shared by the recording engine (``engine/``), which fills it, and by the CLI and the
policy-pack client (``analyzer``), which read it. Plain data, no Pulumi imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedResource:
    """A resource as the engine saw it register.

    ``inputs`` are the resource's inputs as the engine received them (pulumi-kubernetes
    objects in the API server's camelCase), with the floats that Pulumi's wire format
    turns whole numbers into made ``int`` again. ``read`` is true for resources read
    with ``.get`` (existing objects the program does not manage).
    """

    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    custom: bool
    read: bool = False
    provider: str | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def is_kubernetes_object(self) -> bool:
        """True for a Kubernetes object the program manages (not a component, not a read)."""
        return self.custom and not self.read and self.type.startswith("kubernetes:")

    def manifest(self) -> dict[str, Any]:
        """The Kubernetes object as a plain manifest (apiVersion, kind, metadata, ...)."""
        return dict(self.inputs)


@dataclass
class Recording:
    """Every resource a program registered, in registration order, and its log lines."""

    resources: list[RecordedResource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def kubernetes_objects(self) -> list[dict[str, Any]]:
        """The managed Kubernetes objects as manifests, in registration (apply) order."""
        return [r.manifest() for r in self.resources if r.is_kubernetes_object]


def urn_type_and_name(urn: str) -> tuple[str, str] | None:
    """The resource's own type (not its parents') and its name, of a URN
    ``urn:pulumi:<stack>::<project>::<parent types$>type::<name>``; None if not a URN."""
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return None
    return parts[2].rsplit("$", 1)[-1], parts[3]
