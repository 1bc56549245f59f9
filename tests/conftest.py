"""Shared fixtures: ``make_spec``, ``make_ctx`` and ``pulumi_mocks`` (runs a program under
the offline engine's recording mock monitor; Pulumi's settings reset around each test).
The helpers behind them live in ``server_fixtures``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from server_fixtures import PulumiHarness, build_ctx, build_spec

from ome_mcp_components import sdk_internals
from ome_mcp_components.plan.context import ServerContext


@pytest.fixture(autouse=True)
def _main_thread_event_loop() -> None:
    """``pulumi.runtime.set_mocks`` takes the main thread's event loop; a test that ran an
    asyncio program (the real-gateway tier's MCP client) may have left none set."""
    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


@pytest.fixture
def make_spec() -> Callable[..., dict[str, Any]]:
    """``make_spec(**overrides)``: a valid hosted spec (camelCase) with overrides."""
    return build_spec


@pytest.fixture
def make_ctx() -> Callable[..., ServerContext]:
    """``make_ctx(spec=None, **fields)``: a ``ServerContext`` (see ``build_ctx``)."""
    return build_ctx


@pytest.fixture
def pulumi_mocks() -> Iterator[PulumiHarness]:
    """A ``PulumiHarness``; Pulumi's global settings are reset before and after the test
    (each run also gets fresh settings of its own)."""
    sdk_internals.reset_runtime()
    yield PulumiHarness()
    sdk_internals.reset_runtime()


# --- hypothesis profiles ------------------------------------------------------------------
# ``ci`` (the default) keeps every property test of the suite within a minute or so on two
# cores; ``long`` (HYPOTHESIS_PROFILE=long) runs twenty times the examples of the tests that
# scale with the profile (``test_properties.examples``). No deadline: run times vary with
# the machine's load, and timings are never asserted.
hypothesis_settings.register_profile(
    "ci", max_examples=100, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
hypothesis_settings.register_profile(
    "long", max_examples=2000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
