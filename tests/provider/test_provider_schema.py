"""The package schema of the component provider: valid, typed, and the models' own.

``pulumi_package_metaschema.json`` beside this file is Pulumi's metaschema for package
schemas (``pkg/codegen/schema/pulumi.json`` of github.com/pulumi/pulumi/pkg/v3 v3.274.1,
Apache-2.0), copied as is; its Go-style named groups are read as Python's.
"""

from __future__ import annotations

import importlib
import json
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import jsonschema
import pytest
from pydantic import BaseModel

from ome_mcp_components.components.status import Condition, ServerStatus
from ome_mcp_components.models import MCPServerSpec, ObjectMetadata, PermissionProfileSpec
from ome_mcp_components.plan.arguments import CLUSTER_ARG_KEYS, SERVER_ARG_KEYS
from ome_mcp_components.provider.schema import (
    ENUM_NAMES,
    OPTIONS,
    PACKAGE,
    SchemaError,
    _Builder,
    package,
)

METASCHEMA = Path(__file__).with_name("pulumi_package_metaschema.json")
SERVER = f"{PACKAGE}:index:MCPServer"
CLUSTER = f"{PACKAGE}:index:ClusterMCPServer"
PROFILE = f"{PACKAGE}:index:PermissionProfile"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return package("1.2.3").schema


def metaschema_errors(document: dict[str, Any]) -> list[str]:
    meta = json.loads(METASCHEMA.read_text().replace("(?<", "(?P<"))
    validator = jsonschema.validators.validator_for(meta)(meta)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def resolve(schema: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref", "")
    return schema["types"][ref.removeprefix("#/types/")] if ref.startswith("#/types/") else prop


def models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """``root`` and every model its fields reach."""
    found: list[type[BaseModel]] = []

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp not in found:
                found.append(tp)
                for info in tp.model_fields.values():
                    visit(info.annotation)
            return
        for arg in get_args(tp):
            visit(arg)

    visit(root)
    return found


# --- the document --------------------------------------------------------------------------


def test_the_schema_is_a_valid_pulumi_package_schema(schema: dict[str, Any]) -> None:
    assert metaschema_errors(schema) == []


def test_the_metaschema_check_finds_what_is_wrong(schema: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(schema))
    spec = broken["types"][f"{PACKAGE}:index:MCPServerSpec"]["properties"]
    spec["port"]["type"] = "int"  # not a schema type
    spec["transport"]["enum"] = ["stdio"]  # enums belong to types, not properties
    assert len(metaschema_errors(broken)) >= 1


def test_the_schema_is_the_same_every_time() -> None:
    assert json.dumps(package("1.2.3").schema) == json.dumps(package("1.2.3").schema)


def test_name_version_and_the_three_components(schema: dict[str, Any]) -> None:
    assert schema["name"] == "ome-mcp"
    assert schema["version"] == "1.2.3"
    assert sorted(schema["resources"]) == sorted([SERVER, CLUSTER, PROFILE])
    for resource in schema["resources"].values():
        assert resource["isComponent"] is True
        assert resource["requiredInputs"] == ["spec"]
        assert resource["description"]


# --- inputs --------------------------------------------------------------------------------


@pytest.mark.parametrize(("token", "spec_model"), [
    (SERVER, MCPServerSpec), (CLUSTER, MCPServerSpec), (PROFILE, PermissionProfileSpec)])
def test_metadata_and_spec_are_the_models(
    schema: dict[str, Any], token: str, spec_model: type[BaseModel]
) -> None:
    inputs = schema["resources"][token]["inputProperties"]
    assert inputs["metadata"]["$ref"] == f"#/types/{PACKAGE}:index:{ObjectMetadata.__name__}"
    assert inputs["spec"]["$ref"] == f"#/types/{PACKAGE}:index:{spec_model.__name__}"


@pytest.mark.parametrize("model", models(MCPServerSpec) + models(PermissionProfileSpec)
                         + models(ObjectMetadata), ids=lambda m: m.__name__)
def test_every_model_field_is_in_the_schema_under_its_wire_name(
    schema: dict[str, Any], model: type[BaseModel]
) -> None:
    declared = schema["types"][f"{PACKAGE}:index:{model.__name__}"]
    wire = {info.alias or name: info for name, info in model.model_fields.items()}
    assert sorted(declared["properties"]) == sorted(wire)
    assert sorted(declared.get("required", [])) == sorted(
        alias for alias, info in wire.items() if info.is_required())
    for alias, info in wire.items():
        description = declared["properties"][alias]["description"]
        assert description.startswith((info.description or "").replace("``", "")), alias
        assert description, f"{model.__name__}.{alias} has no description"


def test_the_oep_spelling_is_kept(schema: dict[str, Any]) -> None:
    types = schema["types"]
    assert "oidcConfig" in types[f"{PACKAGE}:index:MCPServerSpec"]["properties"]
    assert "targetEnvName" in types[f"{PACKAGE}:index:SecretRef"]["properties"]
    for name, key in (("KubernetesOIDCConfig", "jwksURL"), ("InlineOIDCConfig", "thvCABundlePath"),
                      ("InlineOIDCConfig", "jwksAllowPrivateIP"),
                      ("InlineAuthzConfig", "entitiesJSON"), ("OIDCConfigRef", "resourceURL")):
        assert key in types[f"{PACKAGE}:index:{name}"]["properties"], (name, key)


def test_nested_spec_types_are_typed_with_descriptions(schema: dict[str, Any]) -> None:
    spec = schema["types"][f"{PACKAGE}:index:MCPServerSpec"]["properties"]
    assert spec["replicas"]["type"] == "integer"
    assert spec["secrets"] == {**spec["secrets"], "type": "array",
                               "items": {"$ref": f"#/types/{PACKAGE}:index:SecretRef"}}
    profile = resolve(schema, spec["permissionProfile"])
    inline = resolve(schema, profile["properties"]["inline"])
    network = resolve(schema, inline["properties"]["network"])
    outbound = resolve(schema, network["properties"]["outbound"])
    assert outbound["properties"]["allowPort"]["items"] == {"type": "integer"}
    assert outbound["properties"]["allowHost"]["description"].startswith("Hosts the server")
    assert resolve(schema, spec["transport"])["enum"] == [
        {"name": "Stdio", "value": "stdio"},
        {"name": "StreamableHttp", "value": "streamable-http"},
        {"name": "Sse", "value": "sse"}]


@pytest.mark.parametrize(("owner", "field"), sorted(ENUM_NAMES))
def test_each_literal_is_an_enum_of_its_values(
    schema: dict[str, Any], owner: str, field: str
) -> None:
    model = next(m for m in all_models() if m.__name__ == owner)
    info = model.model_fields[field]
    prop = resolve(schema, schema["types"][f"{PACKAGE}:index:{owner}"]["properties"][
        info.alias or _camel(field)])
    if prop.get("type") == "array":
        prop = resolve(schema, prop["items"])
    assert [member["value"] for member in prop["enum"]] == list(literal_values(info.annotation))


def literal_values(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    for arg in get_args(annotation):
        if values := literal_values(arg):
            return values
    return ()


def all_models() -> list[type[BaseModel]]:
    found = models(MCPServerSpec) + models(PermissionProfileSpec) + models(ObjectMetadata)
    for option in OPTIONS.values():
        if isinstance(option.type, str):
            module, _, name = option.type.partition(":")
            found += models(getattr(importlib.import_module(module), name))
    return found


def test_every_component_argument_is_in_the_schema(schema: dict[str, Any]) -> None:
    for token, keys in ((SERVER, SERVER_ARG_KEYS), (CLUSTER, CLUSTER_ARG_KEYS)):
        inputs = schema["resources"][token]["inputProperties"]
        names = package("1.2.3").names[token]
        assert sorted(names.values()) == sorted(keys)
        assert sorted(names) == sorted(inputs)
        for key in keys - {"metadata", "spec"}:
            assert inputs[_camel(key)]["description"] == OPTIONS[key].description
    assert "sharedNamespace" in schema["resources"][CLUSTER]["inputProperties"]
    assert "sharedNamespace" not in schema["resources"][SERVER]["inputProperties"]


def test_an_argument_without_a_schema_entry_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from ome_mcp_components.provider import schema as module

    monkeypatch.setattr(module, "SERVER_ARG_KEYS", SERVER_ARG_KEYS | {"new_option"})
    with pytest.raises(SchemaError, match="'new_option' has no entry"):
        module.package("1.2.3")


def test_types_the_schema_cannot_express_are_refused() -> None:
    with pytest.raises(SchemaError, match="union"):
        _Builder().property(int | str, "X.y", enum_name="XY")
    with pytest.raises(SchemaError, match="map keys"):
        _Builder().property(dict[int, str], "X.y", enum_name="XY")


# --- outputs -------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [SERVER, CLUSTER])
def test_server_outputs(schema: dict[str, Any], token: str) -> None:
    outputs = schema["resources"][token]["properties"]
    assert sorted(outputs) == sorted(
        ["url", "namespace", "serviceName", "serviceAccountName", "status"])
    assert schema["resources"][token]["required"] == ["namespace", "status", "url"]
    assert outputs["status"]["$ref"] == f"#/types/{PACKAGE}:index:ServerStatus"
    assert all(prop["description"] for prop in outputs.values())


@pytest.mark.parametrize("typed", [ServerStatus, Condition], ids=lambda t: t.__name__)
def test_the_status_types_are_the_components(schema: dict[str, Any], typed: Any) -> None:
    declared = schema["types"][f"{PACKAGE}:index:{typed.__name__}"]
    hints = typing.get_type_hints(typed)
    assert sorted(declared["properties"]) == sorted(hints)
    assert sorted(declared.get("required", [])) == sorted(typed.__required_keys__)
    assert all(prop["description"] for prop in declared["properties"].values())
    if typed is ServerStatus:
        assert declared["properties"]["replicas"]["type"] == "integer"
        assert declared["properties"]["conditions"]["items"] == {
            "$ref": f"#/types/{PACKAGE}:index:Condition"}


def test_profile_outputs(schema: dict[str, Any]) -> None:
    outputs = schema["resources"][PROFILE]["properties"]
    assert sorted(outputs) == ["configMapName", "namespace"]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)
