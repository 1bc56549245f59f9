"""The SDK internals ``ome_mcp_components.sdk_internals`` relies on are still there, in the
shape it uses them: names, signatures and, where cheap, the behaviour.

A failure names the SDK, its installed version and the name that changed, so that an SDK
upgrade that breaks the guard module says so here instead of somewhere deep in a run.
When one fails: adapt ``sdk_internals`` to the new SDK, then widen the pin in
``pyproject.toml`` to the versions these tests have passed with.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import importlib.metadata
import inspect
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
from packaging.requirements import Requirement
from pulumi.runtime import mocks as pulumi_mocks

from ome_mcp_components import sdk_internals

ROOT = Path(__file__).resolve().parents[1]


def _broken(distribution: str, name: str, what: str) -> str:
    version = importlib.metadata.version(distribution)
    return (f"{distribution} {version} broke {name}: {what}. ome_mcp_components.sdk_internals "
            f"relies on it; adapt it to {distribution} {version}, then widen the pin in "
            f"pyproject.toml")


def _attribute(distribution: str, dotted: str) -> Any:
    """``module.attr[.attr...]`` imported, or a failure naming the SDK and its version."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            if not hasattr(value, part):
                pytest.fail(_broken(distribution, dotted, f"there is no {part!r}"))
            value = getattr(value, part)
        return value
    pytest.fail(_broken(distribution, dotted, "the module cannot be imported"))


def _parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


# name, the parameters it is called with (in order; None: not checked), the SDK
SIGNATURES = [
    ("pulumi.runtime.settings.get_root_resource", [], "pulumi"),
    ("pulumi.runtime.settings.get_monitor", [], "pulumi"),
    ("pulumi.runtime.settings.configure", ["settings"], "pulumi"),
    ("pulumi.runtime.settings.reset_options",
     ["project", "stack", "root_directory", "parallel", "engine_address", "monitor_address",
      "preview", "organization"], "pulumi"),
    ("pulumi.runtime.config.set_all_config", ["config", "secret_keys"], "pulumi"),
    ("pulumi.runtime.stack.run_in_stack", ["func"], "pulumi"),
    ("pulumi.runtime.mocks.MockSettings", None, "pulumi"),
    ("pulumi.runtime._grpc_settings._GRPC_CHANNEL_OPTIONS", None, "pulumi"),
    ("pulumi.provider.server.ProviderServicer", ["provider", "args", "engine_address"],
     "pulumi"),
    ("pulumi.provider.server.ProviderServicer._construct_inputs",
     ["inputs", "input_dependencies"], "pulumi"),
    ("pulumi.provider.server.ProviderServicer._construct", ["self", "request", "context"],
     "pulumi"),
    ("pulumi.provider.server.ProviderServicer.Construct", ["self", "request", "context"],
     "pulumi"),
    ("pulumi.output.Unknown", None, "pulumi"),
    ("pulumi.resource.DependencyResource", ["urn"], "pulumi"),
    ("pulumi_policy.policy._PolicyAnalyzerServicer.Analyze", ["self", "request", "_context"],
     "pulumi-policy"),
    ("pulumi_policy.policy._PolicyAnalyzerServicer.AnalyzeStack",
     ["self", "request", "_context"], "pulumi-policy"),
    ("pulumi_policy.policy.json_format.MessageToDict", None, "pulumi-policy"),
    ("pulumi_policy.policy.deserialize_properties", ["props", "proxy_secrets"],
     "pulumi-policy"),
    ("pulumi_policy.policy.unknown_checking_proxy", ["props"], "pulumi-policy"),
    ("pulumi_policy.proxy.unknown_checking_proxy", ["props"], "pulumi-policy"),
]


@pytest.mark.parametrize(("name", "parameters", "distribution"), SIGNATURES,
                         ids=[name for name, _, _ in SIGNATURES])
def test_the_name_exists_with_the_signature_used(
    name: str, parameters: list[str] | None, distribution: str
) -> None:
    value = _attribute(distribution, name)
    if parameters is not None:
        found = _parameters(value)
        assert found == parameters, _broken(distribution, name, f"its parameters are {found}, "
                                            f"not {parameters}")


def test_the_grpc_options_are_name_value_pairs() -> None:
    options = sdk_internals.grpc_channel_options()
    assert options, _broken("pulumi", "_GRPC_CHANNEL_OPTIONS", "it is empty")
    assert all(isinstance(k, str) and k.startswith("grpc.") for k, _ in options), _broken(
        "pulumi", "_GRPC_CHANNEL_OPTIONS", f"not (grpc.option, value) pairs: {options}")


def test_the_unknown_and_dependency_stand_ins_are_what_the_sdk_makes() -> None:
    assert sdk_internals.is_unknown(_attribute("pulumi", "pulumi.output.Unknown")())
    assert not sdk_internals.is_unknown(None)
    dependency = sdk_internals.dependency_on("urn:pulumi:s::p::t::n")
    assert isinstance(dependency, pulumi.Resource), _broken(
        "pulumi", "pulumi.resource.DependencyResource", "it is not a pulumi.Resource")


class _MarkerError(ValueError):
    """What the program below raises while its resource's inputs are serialized."""


class _Echo(pulumi_mocks.Mocks):
    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def _run_under_mock_runtime(program: Callable[[], None]) -> tuple[list[str], BaseException | None]:
    """Run ``program`` the way the offline engine does, with the SDK's own mock monitor;
    the types it registered and what it raised."""
    registered: list[str] = []

    class Monitor(pulumi_mocks.MockMonitor):
        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method)
            registered.append(request.type)
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    def run() -> BaseException | None:
        sdk_internals.reset_runtime(project="probe", stack="dev", preview=False,
                                    organization="organization")
        sdk_internals.install_mock_runtime(
            monitor=Monitor(_Echo()), engine=pulumi_mocks.MockEngine(None),
            project="probe", stack="dev", organization="organization",
            config={"probe:greeting": "hello", "probe:token": "t0k3n"},
            secret_keys=["probe:token"])
        assert pulumi.get_project() == "probe", _broken("pulumi", "MockSettings", "project")
        assert pulumi.get_stack() == "dev", _broken("pulumi", "MockSettings", "stack")
        assert sdk_internals.root_resource() is None

        async def entrypoint() -> None:
            assert sdk_internals.root_resource() is not None, _broken(
                "pulumi", "run_in_stack", "no root stack resource while the program runs")
            program()

        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(sdk_internals.run_in_stack(entrypoint))
        except Exception as error:
            return error
        finally:
            loop.close()
        return None

    try:
        error = contextvars.copy_context().run(run)
    finally:
        sdk_internals.reset_runtime()
    return registered, error


def test_a_program_runs_in_a_stack_with_its_config_under_the_mock_runtime() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        config = pulumi.Config()
        seen["greeting"] = config.get("greeting")
        seen["secret"] = pulumi.runtime.is_config_secret("probe:token")
        pulumi.CustomResource("test:index:Thing", "thing", {"value": 1})

    registered, error = _run_under_mock_runtime(program)
    assert error is None
    assert registered == ["pulumi:pulumi:Stack", "test:index:Thing"], _broken(
        "pulumi", "run_in_stack", f"registered {registered}")
    assert seen == {"greeting": "hello", "secret": True}, _broken(
        "pulumi", "set_all_config", f"the program saw {seen}")


def test_an_error_in_an_input_comes_wrapped_in_while_processing_and_unwraps() -> None:
    """The SDK awaits an awaitable input while it serializes the inputs; what that raises
    is re-raised as "While processing input/resource: ...", chained to the original."""
    marker = _MarkerError("the program's own error")

    async def fail() -> Any:
        raise marker

    def program() -> None:
        pulumi.CustomResource("test:index:Thing", "thing", {"value": fail()})

    _, error = _run_under_mock_runtime(program)
    assert error is not None, _broken("pulumi", "rpc.serialize_properties", "nothing raised")
    assert error is not marker, _broken("pulumi", "rpc.serialize_properties",
                                        f"the error came unwrapped: {error!r}")
    assert type(error) in sdk_internals.PROCESSING_TYPES, _broken(
        "pulumi", "rpc.serialize_properties", f"wrapped as {type(error).__name__}")
    assert str(error).startswith(sdk_internals.PROCESSING_PREFIX), _broken(
        "pulumi", "rpc.serialize_properties", f"the message is {str(error)[:80]!r}")
    assert sdk_internals.unwrap_processing_error(error) is marker


_PATCH_PROBE = """
from pulumi_policy import policy as sdk
from ome_mcp_components import sdk_internals

calls = []
def per_call(method):
    def wrapper(self, request, context):
        calls.append(method.__name__)
        return method(self, request, context)
    wrapper.__name__ = method.__name__
    return wrapper
def reuse(convert):
    def wrapper(value, *args, **kwargs):
        return convert(value, *args, **kwargs)
    return wrapper
before = {n: getattr(sdk, n) for n in sdk_internals.POLICY_CONVERTERS}
assert sdk_internals.patch_policy_analyzer(per_call=per_call, reuse=reuse)
assert sdk_internals.patch_policy_analyzer(per_call=per_call, reuse=reuse)  # once only
assert all(getattr(sdk, n) is not f for n, f in before.items())
assert sdk.json_format.MessageToDict.__name__ == "wrapper"
assert sdk.json_format.Parse is not None  # the rest of the module still answers
assert sdk._PolicyAnalyzerServicer.Analyze._ome_mcp_patched
assert sdk._PolicyAnalyzerServicer.AnalyzeStack._ome_mcp_patched
"""


def test_the_policy_analyzer_patch_applies_once() -> None:
    done = subprocess.run([sys.executable, "-c", _PATCH_PROBE], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, _broken("pulumi-policy", "_PolicyAnalyzerServicer",
                                         f"the patch failed:\n{done.stderr[-2000:]}")


def test_the_props_proxy_answers_values_and_raises_on_unknowns() -> None:
    deserialize = _attribute("pulumi-policy", "pulumi_policy.policy.deserialize_properties")
    unknown_error = _attribute("pulumi-policy", "pulumi_policy.proxy.UnknownValueError")
    props = sdk_internals.unknown_checking_proxy(
        deserialize({"a": {"b": [1], "later": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}}))
    assert props["a"]["b"][0] == 1, _broken("pulumi-policy", "unknown_checking_proxy",
                                            "it does not answer known values")
    with pytest.raises(unknown_error):
        props["a"]["later"]


@pytest.mark.parametrize("distribution", ["pulumi", "pulumi-policy"])
def test_the_installed_sdk_is_in_the_pinned_range(distribution: str) -> None:
    """The pins say which SDK versions these tests have passed with; an SDK outside them
    was never checked."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = [Requirement(r) for r in requirements if Requirement(r).name == distribution]
    assert pins, f"pyproject.toml does not pin {distribution}"
    version = importlib.metadata.version(distribution)
    for pin in pins:
        assert pin.specifier.contains(version), (
            f"{distribution} {version} is installed, outside the pin {pin}; run these tests "
            f"with it and move the pin")
