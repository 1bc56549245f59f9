"""Every name of the pulumi and pulumi-policy SDKs that they do not document as public,
in one place, so that an SDK release that changes one breaks here, named, and nowhere
else. ``tests/test_sdk_internals.py`` checks each of them against the installed SDKs
(names, signatures, the behaviour relied on) and says which SDK version broke which
name; ``pyproject.toml`` pins the SDKs to the versions those tests have passed with.

Light on purpose: a Pulumi program imports this module (``registry`` uses it), so the
SDK modules only the offline tools, the component provider or the policy pack need are
imported inside the functions that use them.

The names, by user:

- ``registry``: ``pulumi.runtime.settings.get_root_resource``, ``get_monitor`` (which
  run is this);
- the offline engine (``offline.engine.run``): ``pulumi.runtime.settings.reset_options``
  and ``configure``, ``pulumi.runtime.mocks.MockSettings`` (``set_mocks`` without its
  eager stack), ``pulumi.runtime.config.set_all_config``, ``pulumi.runtime.stack.
  run_in_stack``, and the ``"While processing "`` errors the SDK wraps a program's
  exceptions in;
- the component provider (``provider.host``): ``pulumi.runtime._grpc_settings.
  _GRPC_CHANNEL_OPTIONS``, ``pulumi.provider.server.ProviderServicer``'s
  ``_construct_inputs`` and ``_construct``, ``pulumi.output.Unknown`` and
  ``pulumi.resource.DependencyResource``;
- the policy pack (``ome_mcp_policy._reuse``): ``pulumi_policy.policy.
  _PolicyAnalyzerServicer`` (``Analyze``, ``AnalyzeStack``) and the converters that
  module calls by its own global names (``json_format``, ``deserialize_properties``,
  ``unknown_checking_proxy``);
- the tests: ``reset_runtime`` (``reset_options``) and ``pulumi_policy.proxy.
  unknown_checking_proxy`` (props as a policy receives them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from pulumi.errors import RunError
from pulumi.runtime import settings as _settings

if TYPE_CHECKING:
    from pulumi.provider import Provider

#: What the SDK's message starts with when it re-raises an error met while serializing a
#: resource's inputs (``rpc.serialize_property``, ``resource._prepare_resource``).
PROCESSING_PREFIX = "While processing "
#: The exception types it re-raises them as.
PROCESSING_TYPES: tuple[type[BaseException], ...] = (ValueError, AssertionError)
#: The pulumi-policy converters that ``_PolicyAnalyzerServicer`` calls once per policy.
POLICY_CONVERTERS = ("deserialize_properties", "unknown_checking_proxy")


# --- which run is this (registry) -------------------------------------------------------


def root_resource() -> Any:
    """The running program's root stack resource, or None outside a running stack."""
    return _settings.get_root_resource()


def monitor() -> Any:
    """The resource monitor in use (under ``set_mocks``, its mock monitor), or None."""
    return _settings.get_monitor()


# --- running a program in-process (offline engine, tests) -------------------------------


def reset_runtime(**options: Any) -> None:
    """Fresh global settings of the SDK (``reset_options``: project, stack,
    root_directory, preview, organization, ...)."""
    _settings.reset_options(**options)


def install_mock_runtime(*, monitor: Any, engine: Any, project: str, stack: str,
                         organization: str, config: dict[str, str],
                         secret_keys: list[str]) -> None:
    """What ``pulumi.runtime.set_mocks`` does, minus the stack it registers at once (the
    caller runs the program in ``run_in_stack``, so that stack outputs are registered
    after the program), plus the program's config."""
    from pulumi.runtime import mocks
    from pulumi.runtime.config import set_all_config

    _settings.configure(
        mocks.MockSettings(  # type: ignore[no-untyped-call]
            monitor=monitor, engine=engine, project=project, stack=stack, dry_run=False,
            organization=organization, callbacks=None,
        )
    )
    set_all_config(config, secret_keys)


def run_in_stack(program: Callable[[], Awaitable[None]]) -> Awaitable[None]:
    """``program`` run inside a ``pulumi:pulumi:Stack``, as the language host runs it."""
    from pulumi.runtime.stack import run_in_stack as sdk_run_in_stack

    return sdk_run_in_stack(program)


def unwrap_processing_error(error: BaseException) -> BaseException:
    """The exception a program raised, out of the wrappers the SDK puts around it.

    The SDK re-raises an error met while serializing a resource's inputs as a new
    ``ValueError``/``AssertionError`` ("While processing input: ...", "While processing
    resource: ..."), chained to the original with ``from``; that may happen twice.
    """
    seen: set[int] = set()
    while (
        type(error) in PROCESSING_TYPES
        and str(error).startswith(PROCESSING_PREFIX)
        and error.__cause__ is not None
        and id(error) not in seen
    ):
        seen.add(id(error))
        error = error.__cause__
    return error


# --- serving the component provider (provider.host) -------------------------------------


def is_unknown(value: Any) -> bool:
    """True for the value the SDK deserializes an unknown input to (``pulumi.output.
    Unknown``, which ``pulumi`` does not export)."""
    from pulumi.output import Unknown

    return isinstance(value, Unknown)


def dependency_on(urn: str) -> Any:
    """A stand-in resource for ``urn`` to name in ``depends_on`` (``pulumi.resource.
    DependencyResource``, which ``pulumi`` does not export)."""
    from pulumi.resource import DependencyResource

    return DependencyResource(urn)


def grpc_channel_options() -> Sequence[tuple[str, Any]]:
    """The gRPC options the SDK's own servers use (its message size limits)."""
    from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS

    return list(_GRPC_CHANNEL_OPTIONS)


class InputError(RunError):
    """Bad input to ``Construct``: reported to the engine as this message alone."""


def provider_servicer(
    provider: Provider, argv: list[str], engine_address: str, *,
    plain_inputs: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    input_error: Callable[[str, Exception], str | None],
) -> Any:
    """The SDK's ResourceProvider servicer for ``provider``, with two hooks into its
    ``Construct``: ``plain_inputs`` gets the inputs the SDK deserialized (outputs
    included) and returns those ``provider.construct`` receives; ``input_error(type,
    error)`` turns an exception of ``construct`` into the one-line message the engine is
    given as an ``INVALID_ARGUMENT`` (None: the SDK reports it as usual)."""
    import grpc
    from pulumi.provider.server import ProviderServicer

    class Servicer(ProviderServicer):
        @staticmethod
        async def _construct_inputs(inputs: Any, input_dependencies: Any) -> Any:
            values = await ProviderServicer._construct_inputs(inputs, input_dependencies)
            return await plain_inputs(values)

        async def _construct(self, request: Any, context: Any) -> Any:
            try:
                return await super()._construct(request, context)
            except Exception as e:
                message = input_error(request.type, e)
                if message is None:
                    raise
                raise InputError(message) from None

        async def Construct(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC's)
            try:
                return await super().Construct(request, context)
            except InputError as e:  # the SDK re-raises RunErrors untouched
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))

    return Servicer(provider, argv, engine_address=engine_address)


# --- the policy pack (ome_mcp_policy._reuse) --------------------------------------------


def patch_policy_analyzer(*, per_call: Callable[[Callable[..., Any]], Callable[..., Any]],
                          reuse: Callable[[Callable[..., Any]], Callable[..., Any]]) -> bool:
    """Wrap pulumi-policy's analyzer server: its ``Analyze`` and ``AnalyzeStack`` in
    ``per_call``, the converters it calls by module-global name (``json_format.
    MessageToDict`` and ``POLICY_CONVERTERS``) in ``reuse``. Once per process; False,
    changing nothing, if the SDK's internals are not as expected."""
    from pulumi_policy import policy as sdk

    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    names = ("json_format", *POLICY_CONVERTERS)
    if servicer is None or not all(hasattr(sdk, n) for n in names) or not all(
        callable(getattr(servicer, m, None)) for m in ("Analyze", "AnalyzeStack")
    ):
        return False
    if getattr(servicer.Analyze, "_ome_mcp_patched", False):
        return True
    json_format = getattr(sdk, names[0])  # the module as pulumi-policy imported it
    setattr(sdk, names[0], _ModuleWith(json_format,
                                       MessageToDict=reuse(json_format.MessageToDict)))
    for name in POLICY_CONVERTERS:
        setattr(sdk, name, reuse(getattr(sdk, name)))
    for name in ("Analyze", "AnalyzeStack"):
        wrapped = per_call(getattr(servicer, name))
        wrapped._ome_mcp_patched = True  # type: ignore[attr-defined]
        setattr(servicer, name, wrapped)
    return True


class _ModuleWith:
    """A module with some attributes replaced."""

    def __init__(self, module: Any, **replaced: Any) -> None:
        self._module = module
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def unknown_checking_proxy(value: Any) -> Any:
    """``value`` behind the read-only proxies pulumi-policy hands a policy its props in."""
    from pulumi_policy.proxy import unknown_checking_proxy as proxy

    return proxy(value)
