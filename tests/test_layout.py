"""``builders.layout`` decides a server's objects before anything is read, and
``resolve.settle`` fills them on one path, whenever the data comes: the layout is what
``render`` fills for known data, and data read at deploy time can never disagree with
it (hypothesis, over every valid spec and every source of the referenced ConfigMaps)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_fixtures import build_ctx
from strategies import ServerCase, server_cases, valid_specs

from ome_mcp_components.builders import Slot, layout, render
from ome_mcp_components.models import PermissionProfileSpec
from ome_mcp_components.plan.arguments import ProfileHandle
from ome_mcp_components.plan.context import Kind, NetworkEnforcement
from ome_mcp_components.plan.resolve import ServerPlan, plan_server

kinds: st.SearchStrategy[Kind] = st.sampled_from(["MCPServer", "ClusterMCPServer"])
enforcements: st.SearchStrategy[NetworkEnforcement] = st.sampled_from(["kubernetes", "cilium"])


def announced(slot: Slot) -> tuple[str, str, str, frozenset[str]]:
    return slot.api_version, slot.kind, slot.name, frozenset(slot.fields)


def actual(obj: dict[str, Any]) -> tuple[str, str, str, frozenset[str]]:
    return (obj["apiVersion"], obj["kind"], obj["metadata"]["name"],
            frozenset(obj) - {"apiVersion", "kind"})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_specs(), kinds, enforcements)
def test_the_layout_is_what_render_fills(spec: dict[str, Any], kind: Kind,
                                         enforcement: NetworkEnforcement) -> None:
    ctx = build_ctx(spec, kind=kind, network_enforcement=enforcement)
    slots = layout(ctx, ctx.known)
    assert [announced(slot) for slot in slots] == [actual(obj) for obj in render(ctx)]
    assert len({slot.role for slot in slots}) == len(slots)


@dataclass(frozen=True)
class ProfileComponent:
    """Stands for a ``PermissionProfile`` component (a ``ProfileSource``) without Pulumi."""

    profile_handle: ProfileHandle


def plans(case: ServerCase) -> tuple[ServerPlan, ServerPlan]:
    """The case's server twice: its ConfigMaps supplied in ``config_maps``, and left to
    be read at deploy time."""
    component = None
    if case.use_profile_component:
        profile = PermissionProfileSpec.model_validate(case.profile_spec())
        component = ProfileComponent(ProfileHandle("shared", case.namespace, profile))
    args = case.arguments(component)
    args.pop("config_maps", None)
    kind = cast(Kind, case.kind)
    supplied = plan_server(kind, "demo", {**args, "config_maps": case.referenced()})
    return supplied, plan_server(kind, "demo", args)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(server_cases())
def test_data_read_later_can_never_disagree_with_the_layout(case: ServerCase) -> None:
    supplied, later = plans(case)
    assert not supplied.reads
    referenced = case.referenced()
    settlement = later.settlement({read.role: referenced[read.config_map]
                                   for read in later.reads})
    ctx = later.context(settlement)
    # one resolution path: the same settings, and the same warnings, whenever data comes
    assert ctx == supplied.context()
    assert Counter(later.warnings + settlement.warnings) == Counter(supplied.warnings)

    slots = layout(later.shape, later.known)
    filled = [slot.fill(ctx) for slot in slots]
    assert [announced(slot) for slot in slots] == [actual(obj) for obj in filled]
    rendered = render(supplied.context())
    # the objects known data renders, in order; beyond them only FQDN policies planned
    # while their data was unread, which allow nothing
    assert [obj for obj in filled if obj in rendered] == rendered
    for extra in (obj for obj in filled if obj not in rendered):
        assert extra["kind"] == "CiliumNetworkPolicy"
        assert extra["spec"]["egress"] == []
