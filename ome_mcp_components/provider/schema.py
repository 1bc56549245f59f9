"""The Pulumi package schema of the components, derived from the pydantic models.

Pure (no Pulumi runtime, no I/O). The models stay the single source of truth: every
object type of the schema is a model (``MCPServerSpec``, ``SecretRef``, ...) with its
fields under their wire names (the OEP's camelCase aliases, ``jwksURL`` included), their
descriptions, whether they are required, and each ``Literal`` as a string enum. What the
models cannot say (the components' own options, their outputs) is in the tables below,
and ``package()`` refuses an argument key of the components that has no entry there, so a
new option cannot be left out of the schema silently.

Fields that embed Kubernetes objects (``env``, ``volumes``, ``resources``, ``affinity``,
``podTemplateSpec``, ...) are objects of any shape here: the components check them
against the Kubernetes schema themselves, and a fragment of a pod template would not
pass as a typed ``PodTemplateSpec`` (which requires ``containers``).

``Package.names`` maps each schema property back to the key the components take, so
``inputs.component_args`` can turn what a program in any language sends into the
arguments a Python program would pass.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ome_mcp_components.components.status import ServerStatus
from ome_mcp_components.models import MCPServerSpec, ObjectMetadata, PermissionProfileSpec
from ome_mcp_components.plan.arguments import CLUSTER_ARG_KEYS, SERVER_ARG_KEYS
from ome_mcp_components.plan.context import NetworkEnforcement
from ome_mcp_components.vocabulary.tokens import (
    CLUSTER_MCP_SERVER_TYPE,
    MCP_SERVER_TYPE,
    PERMISSION_PROFILE_TYPE,
)

#: The package (plugin) name: type tokens are ``ome-mcp:index:<Type>``.
PACKAGE = "ome-mcp"
ANY = {"$ref": "pulumi.json#/Any"}

Property = dict[str, Any]

#: Enum type names for Literal fields, where ``<Model><Field>`` would read badly.
ENUM_NAMES: dict[tuple[str, str], str] = {
    ("MCPServerSpec", "type"): "ServerType",
    ("MCPServerSpec", "transport"): "Transport",
    ("OIDCConfigRef", "type"): "OIDCConfigType",
    ("AuthzConfigRef", "type"): "AuthzConfigType",
    ("PermissionProfileRef", "type"): "PermissionProfileType",
    ("PermissionProfileRef", "name"): "BuiltinProfile",
    ("MCPProtocolSpec", "name"): "ProtocolName",
    ("MCPProtocolSpec", "version"): "ProtocolVersion",
    ("AuditOptions", "event_types"): "AuditEventType",
}


@dataclass(frozen=True)
class Option:
    """A component argument besides ``metadata`` and ``spec``: its type (a Python type,
    a model class given as ``"module:Class"`` to import it only when the components take
    the argument, or a schema property) and its description."""

    type: Any
    description: str


#: Every component option, by the key the components take (``arguments.SERVER_ARG_KEYS``).
OPTIONS: dict[str, Option] = {
    "network_enforcement": Option(
        NetworkEnforcement,
        "How egress is enforced: 'kubernetes' (NetworkPolicy only; host names in a "
        "permission profile are then unreachable) or 'cilium' (adds CiliumNetworkPolicies "
        "with toFQDNs). Default: 'kubernetes'.",
    ),
    "gateway_image": Option(
        {"type": "string"},
        "Another build of the gateway (the authenticating MCP proxy). Default: ToolHive's "
        "proxy runner at the pinned release.",
    ),
    "config_maps": Option(
        {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "string"}}},
        "Data of ConfigMaps the program itself creates, by name (each a map of key to "
        "value), so that references to them resolve without reading the cluster.",
    ),
    "audit": Option(
        "ome_mcp_components.models.observability:AuditOptions",
        "The gateway's audit log (on by default; {enabled: false} turns it off).",
    ),
    "telemetry": Option(
        "ome_mcp_components.models.observability:TelemetryOptions",
        "The gateway's metrics and OpenTelemetry export.",
    ),
    "dns": Option(
        "ome_mcp_components.models.dns:DNSOptions",
        "Where cluster DNS runs, the peer of every DNS egress rule. Default: kube-dns "
        "(pods k8s-app=kube-dns in kube-system, port 53).",
    ),
    "shared_namespace": Option(
        {"type": "string"},
        "The namespace a ClusterMCPServer lives in (metadata.namespace may repeat it, not "
        "contradict it). Default: 'ome-mcp-system'.",
    ),
}

#: The outputs of MCPServer and ClusterMCPServer: schema name -> (property, description).
SERVER_OUTPUTS: dict[str, tuple[Property, str, bool]] = {
    "url": ({"type": "string"},
            "In-cluster URL clients use (http://<n>.<ns>.svc.cluster.local:<port>/mcp, or "
            "/sse); a Remote server without gateway: its own spec.url.", True),
    "namespace": ({"type": "string"}, "Namespace of the server's objects.", True),
    "serviceName": ({"type": "string"},
                    "The Service clients connect to (<n>); unset for a Remote server "
                    "without gateway, which has no objects.", False),
    "serviceAccountName": ({"type": "string"},
                           "ServiceAccount of the server pods (<n> or spec.serviceAccount); "
                           "unset for a Remote server, which runs no pods.", False),
    "status": ({"$ref": f"#/types/{PACKAGE}:index:ServerStatus"},
               "The OEP's MCPServerStatus, from the live server workload and gateway "
               "Deployment as pulumi up saw them (Pending in a preview).", True),
}
PROFILE_OUTPUTS: dict[str, tuple[Property, str, bool]] = {
    "configMapName": ({"type": "string"},
                      "Name of the profile's ConfigMap (<p>): what a server's "
                      "spec.permissionProfile.configMap.name names to use it.", True),
    "namespace": ({"type": "string"}, "Namespace of the ConfigMap.", True),
}

#: Descriptions of the status types (``status.ServerStatus`` and its ``Condition``).
STATUS_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "ServerStatus": {
        "": "The OEP's MCPServerStatus as the components report it.",
        "url": "The URL clients use (the component's url).",
        "phase": "Running when every replica of the server and its gateway is ready, "
                 "Failed when a Deployment reports a failure, Pending otherwise.",
        "replicas": "Desired replicas of the server workload (of the gateway for a "
                    "Remote server).",
        "readyReplicas": "Ready replicas of the server workload (of the gateway for a "
                         "Remote server).",
        "conditions": "Ready, Available, ServerReady and GatewayReady.",
        "message": "One line saying what the phase rests on.",
    },
    "Condition": {
        "": "A metav1.Condition (without observedGeneration).",
        "type": "Ready, Available, ServerReady or GatewayReady.",
        "status": "True, False or Unknown.",
        "reason": "A CamelCase reason.",
        "message": "What the condition rests on.",
        "lastTransitionTime": "When the workload reported the change, where it did.",
    },
}

_COMPONENT_DESCRIPTIONS = {
    MCP_SERVER_TYPE: "An MCP server in its own namespace, fronted by an authenticating "
                     "gateway, secure by default (OEP-0005 MCPServer).",
    CLUSTER_MCP_SERVER_TYPE: "An MCP server shared by every namespace: the same objects "
                             "in the shared namespace, its gateway open to all namespaces "
                             "(OEP-0005 ClusterMCPServer).",
    PERMISSION_PROFILE_TYPE: "A permission profile many servers of a namespace can share: "
                             "a ConfigMap <p> with key permissions.json (the OEP's format).",
}
_METADATA = "Name, namespace, labels and annotations (labels and annotations go on every " \
            "object). Default name: the resource name."


@dataclass
class Package:
    """The schema, and for each object type and component the key each schema property
    stands for in the components' arguments."""

    schema: dict[str, Any]
    names: dict[str, dict[str, str]] = field(default_factory=dict)


class SchemaError(RuntimeError):
    """A type the schema cannot express (a bug of ours, found by the tests)."""


class _Builder:
    def __init__(self) -> None:
        self.types: dict[str, dict[str, Any]] = {}
        self.names: dict[str, dict[str, str]] = {}
        self._models: dict[str, type[Any]] = {}

    def ref(self, name: str) -> Property:
        return {"$ref": f"#/types/{PACKAGE}:index:{name}"}

    def model(self, model: type[BaseModel]) -> Property:
        name = model.__name__
        if self._claim(name, model):
            properties: dict[str, Property] = {}
            names: dict[str, str] = {}
            required: list[str] = []
            self.types[_token(name)] = {}  # placeholder: recursive models stop here
            for field_name, info in model.model_fields.items():
                wire = info.alias or _camel(field_name)
                names[wire] = info.alias or field_name
                prop = self.property(info.annotation, f"{name}.{field_name}",
                                     enum_name=ENUM_NAMES.get((name, field_name),
                                                              f"{name}{_pascal(field_name)}"))
                description = _with_default(info.description, info.default)
                if description:
                    prop = {**prop, "description": description}
                properties[wire] = prop
                if info.is_required():
                    required.append(wire)
            self.types[_token(name)] = _object(_doc(model), properties, required)
            self.names[_token(name)] = names
        return self.ref(name)

    def typed_dict(self, typed: type[Any]) -> Property:
        name = typed.__name__
        if self._claim(name, typed):
            descriptions = STATUS_DESCRIPTIONS.get(name, {})
            hints = typing.get_type_hints(typed)
            properties = {}
            for key, hint in hints.items():
                prop = self.property(hint, f"{name}.{key}", enum_name=f"{name}{_pascal(key)}",
                                     output=True)
                properties[key] = {**prop, "description": descriptions.get(key, "")}
            required = sorted(typed.__required_keys__)
            self.types[_token(name)] = _object(descriptions.get("", _doc(typed)), properties,
                                               required)
        return self.ref(name)

    def property(self, tp: Any, where: str, *, enum_name: str, output: bool = False) -> Property:
        tp = _strip(tp)
        origin = get_origin(tp)
        if origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                raise SchemaError(f"{where}: a union of {members} has no schema type")
            return self.property(members[0], where, enum_name=enum_name, output=output)
        if tp is Any:
            return dict(ANY)
        if origin is Literal:
            values = get_args(tp)
            if output:  # an output's closed set is documented, not an enum type
                return {"type": "string"}
            return self.enum(enum_name, values, where)
        if origin in (list, tuple) or tp in (list, tuple):
            (item,) = get_args(tp)[:1] or (Any,)
            return {"type": "array",
                    "items": self.property(item, where, enum_name=enum_name, output=output)}
        if origin in (dict, Mapping) or tp is dict:
            key, value = get_args(tp) or (str, Any)
            if _strip(key) is not str:
                raise SchemaError(f"{where}: map keys must be strings, got {key}")
            return {"type": "object",
                    "additionalProperties": self.property(value, where, enum_name=enum_name,
                                                          output=output)}
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return self.model(tp)
        if isinstance(tp, type) and typing.is_typeddict(tp):
            return self.typed_dict(tp)
        scalar = {str: "string", bool: "boolean", int: "integer", float: "number"}.get(tp)
        if scalar is None:
            raise SchemaError(f"{where}: {tp!r} has no schema type")
        return {"type": scalar}

    def enum(self, name: str, values: tuple[Any, ...], where: str) -> Property:
        if not all(isinstance(v, str) for v in values):
            raise SchemaError(f"{where}: only string literals become enums, got {values}")
        enum = {"type": "string", "enum": [{"name": _enum_member(v), "value": v}
                                           for v in values]}
        for token, known in self.types.items():  # one enum type per set of values
            if known == enum:
                return {"$ref": f"#/types/{token}"}
        existing = self.types.get(_token(name))
        if existing is not None and existing != enum:
            raise SchemaError(f"{where}: enum {name} is already defined with other values")
        self.types[_token(name)] = enum
        return self.ref(name)

    def _claim(self, name: str, tp: type[Any]) -> bool:
        """True the first time a type of this name is seen; a second type of the same
        name is an error (the schema has one namespace of types)."""
        seen = self._models.get(name)
        if seen is tp:
            return False
        if seen is not None:
            raise SchemaError(f"two types are named {name}: {seen} and {tp}")
        self._models[name] = tp
        return True


def package(version: str) -> Package:
    """The package schema at ``version``, and the argument key of every schema property."""
    builder = _Builder()
    resources: dict[str, Any] = {}
    names: dict[str, dict[str, str]] = {}
    for token, keys in ((MCP_SERVER_TYPE, SERVER_ARG_KEYS), (CLUSTER_MCP_SERVER_TYPE,
                                                            CLUSTER_ARG_KEYS)):
        inputs: dict[str, Property] = {
            "metadata": {**builder.model(ObjectMetadata), "description": _METADATA},
            "spec": {**builder.model(MCPServerSpec),
                     "description": "The OEP's MCPServerSpec: every field, default and "
                                    "validation rule of it."},
        }
        mapping = {"metadata": "metadata", "spec": "spec"}
        for key in sorted(keys - {"metadata", "spec"}):
            option = OPTIONS.get(key)
            if option is None:
                raise SchemaError(f"component argument {key!r} has no entry in "
                                  f"provider.schema.OPTIONS")
            inputs[_camel(key)] = {**_option_property(builder, key, option),
                                   "description": option.description}
            mapping[_camel(key)] = key
        resources[token] = _resource(token, inputs, ["spec"], SERVER_OUTPUTS, builder)
        names[token] = mapping
    resources[PERMISSION_PROFILE_TYPE] = _resource(
        PERMISSION_PROFILE_TYPE,
        {"metadata": {**builder.model(ObjectMetadata), "description": _METADATA},
         "spec": {**builder.model(PermissionProfileSpec),
                  "description": "The profile: file system and network permissions."}},
        ["spec"], PROFILE_OUTPUTS, builder)
    names[PERMISSION_PROFILE_TYPE] = {"metadata": "metadata", "spec": "spec"}
    schema = {
        "name": PACKAGE,
        "displayName": "OME MCP components",
        "version": version,
        "description": "Pulumi components that deploy Model Context Protocol servers on "
                       "Kubernetes, secure by default (OEP-0005 MCPServer, ClusterMCPServer, "
                       "permission profiles).",
        "keywords": ["kubernetes", "mcp", "category/infrastructure", "kind/component"],
        "license": "Apache-2.0",
        "resources": resources,
        "types": dict(sorted(builder.types.items())),
        "language": {lang: {"respectSchemaVersion": True}
                     for lang in ("nodejs", "python", "go", "csharp", "java")},
    }
    return Package(schema, {**builder.names, **names})


def _option_property(builder: _Builder, key: str, option: Option) -> Property:
    if isinstance(option.type, dict):
        return dict(option.type)
    tp = option.type
    if isinstance(tp, str):
        module, _, name = tp.partition(":")
        tp = getattr(importlib.import_module(module), name)
    return builder.property(tp, key, enum_name=_pascal(key))


def _resource(
    token: str, inputs: dict[str, Property], required_inputs: list[str],
    outputs: Mapping[str, tuple[Property, str, bool]], builder: _Builder,
) -> dict[str, Any]:
    properties = {}
    for name, (prop, description, _) in outputs.items():
        if prop.get("$ref", "").endswith(":ServerStatus"):
            builder.typed_dict(ServerStatus)
        properties[name] = {**prop, "description": description}
    return {
        "isComponent": True,
        "description": _COMPONENT_DESCRIPTIONS[token],
        "type": "object",
        "inputProperties": inputs,
        "requiredInputs": required_inputs,
        "properties": properties,
        "required": sorted(n for n, (_, _, always) in outputs.items() if always),
    }


def _object(description: str, properties: dict[str, Property], required: list[str]
            ) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "object", "description": description,
                              "properties": properties}
    if required:
        result["required"] = sorted(required)
    return result


def _strip(tp: Any) -> Any:
    """The type without ``Annotated`` metadata (pydantic's constraints and validators)."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        args = tuple(_strip(a) for a in get_args(tp))
        return Union[args]  # noqa: UP007 - built from a tuple
    return tp


def _with_default(description: str | None, default: Any) -> str:
    text = (description or "").strip().replace("``", "")
    if isinstance(default, bool):
        text += f" Default: {str(default).lower()}."
    elif isinstance(default, int | float | str) and default is not PydanticUndefined:
        text += f" Default: {default!r}." if isinstance(default, str) else f" Default: {default}."
    return text.strip()


def _doc(tp: type[Any]) -> str:
    """The first paragraph of a docstring, as plain text."""
    first = inspect.cleandoc(tp.__doc__ or "").split("\n\n", 1)[0]
    return first.replace("\n", " ").replace("``", "")


def _token(name: str) -> str:
    return f"{PACKAGE}:index:{name}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _pascal(name: str) -> str:
    camel = _camel(name)
    return camel[:1].upper() + camel[1:]


def _enum_member(value: str) -> str:
    """A member name for codegen: ``streamable-http`` -> ``StreamableHttp``, ``2.0`` ->
    ``V2_0``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", value) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Empty"
    if name[0].isdigit():
        name = "V" + "_".join(words)
    return name
