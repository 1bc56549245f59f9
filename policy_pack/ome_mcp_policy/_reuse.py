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
by the SDK separately and never shared). The SDK's private names this needs are reached
through ``ome_mcp_components.sdk_internals`` (tested there); if they are not as expected
(another pulumi-policy version), ``install()`` changes nothing.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from ome_mcp_components import sdk_internals

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
    return sdk_internals.patch_policy_analyzer(per_call=_per_call, reuse=_reused)
