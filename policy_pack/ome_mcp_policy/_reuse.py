"""Convert a resource's properties once per request, not once per policy.

pulumi-policy's analyzer server (1.21) turns a resource's properties from protobuf into
Python (``json_format.MessageToDict``, ``deserialize_properties``) and wraps them in
read-only proxies (``unknown_checking_proxy``, a deep copy) anew for every policy of the
pack, and in ``AnalyzeStack`` anew for every stack policy and resource. With this pack's
thirty-odd policies that was most of the pack's time (``bench/README.md``).
``install()`` makes the server reuse the converted properties within one ``Analyze`` or
``AnalyzeStack`` call: the cache lives for that call only, on its thread, and is keyed
by the identity of the object converted (which it holds, so the identity stays unique).

What a policy sees does not change: the same values, behind the same read-only proxy
types. The one difference is that the policies of one call share a proxy instead of
each getting a copy, which only a policy writing into its ``props`` could notice; the
policies of this pack only read them (and remediations, which may write, are converted
by the SDK separately and never shared). If the SDK's internals are not as expected
(another pulumi-policy version), ``install()`` changes nothing.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]

_local = threading.local()


def _cache() -> dict[int, tuple[Any, Any]] | None:
    cache: dict[int, tuple[Any, Any]] | None = getattr(_local, "cache", None)
    return cache


def _reused(convert: Callable[..., Any]) -> Callable[..., Any]:
    """``convert(value)`` answered from the current call's cache, by identity of ``value``."""

    @functools.wraps(convert)
    def wrapper(value: Any, *args: Any, **kwargs: Any) -> Any:
        cache = _cache()
        if cache is None or args or kwargs:  # other options (secrets proxying): no reuse
            return convert(value, *args, **kwargs)
        hit = cache.get(id(value))
        if hit is None or hit[0] is not value:
            hit = (value, convert(value))  # holding ``value`` keeps its id unique
            cache[id(value)] = hit
        return hit[1]

    return wrapper


class _JsonFormat:
    """``google.protobuf.json_format`` with a reusing ``MessageToDict``."""

    MessageToDict = staticmethod(_reused(json_format.MessageToDict))

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)


def _per_call(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: Any) -> Any:
        _local.cache = {}
        try:
            return method(self, request, context)
        finally:
            _local.cache = None

    return wrapper


def install() -> bool:
    """Make pulumi-policy's server reuse converted properties; True if it did."""
    from pulumi_policy import policy as sdk

    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    names = ("json_format", "deserialize_properties", "unknown_checking_proxy")
    if servicer is None or not all(hasattr(sdk, n) for n in names) or not all(
        callable(getattr(servicer, m, None)) for m in ("Analyze", "AnalyzeStack")
    ):
        return False
    if getattr(servicer.Analyze, "_ome_mcp_reuse", False):
        return True
    setattr(sdk, "json_format", _JsonFormat())  # noqa: B010 (names the SDK does not export)
    for name in names[1:]:
        setattr(sdk, name, _reused(getattr(sdk, name)))
    for name in ("Analyze", "AnalyzeStack"):
        wrapped = _per_call(getattr(servicer, name))
        wrapped._ome_mcp_reuse = True  # type: ignore[attr-defined]
        setattr(servicer, name, wrapped)
    return True
