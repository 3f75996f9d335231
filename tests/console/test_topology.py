"""The map's server-side layout and colours (pure functions)."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

from agent.serve.console.topology import build_map, layout
from collectors.base import State

T = datetime(2026, 12, 1, tzinfo=timezone.utc)


def link(device, local, remote, port):
    return SimpleNamespace(device=device, local_port=local, remote_name=remote, remote_port=port)


def test_layout_is_layered_from_the_best_connected_device_and_ignores_input_order():
    edges = [("core", "a1"), ("core", "a2"), ("core", "a3"), ("a1", "pc1"), ("a2", "pc2")]
    first = layout(["pc2", "core", "a2", "pc1", "a1", "a3", "printer"], edges)
    again = layout(["a1", "a2", "a3", "core", "pc1", "pc2", "printer"], list(reversed(edges)))
    assert first == again
    ys = {n: y for n, (_x, y) in first.items()}
    assert ys["core"] < ys["a1"] == ys["a2"] < ys["pc1"] == ys["pc2"] < ys["printer"]


def test_link_is_drawn_once_and_coloured_by_the_worse_port():
    links = [link("sw1", "1", "sw2", "24"), link("sw2", "24", "sw1", "1"), link("sw2", "1", "ap", "eth0")]
    drawn = build_map(links, {"sw1": State.OK, "sw2": State.WARN},
                      {("sw1", "1"): State.OK, ("sw2", "24"): State.CRIT, ("sw2", "1"): State.OK})
    assert [(l.a, l.b, l.state) for l in drawn.links] == [("ap", "sw2", State.OK), ("sw1", "sw2", State.CRIT)]
    assert {n.name: n.state for n in drawn.nodes} == {"ap": None, "sw1": State.OK, "sw2": State.WARN}


def test_state_changes_do_not_move_devices():
    links = [link("sw1", "1", "sw2", "1")]
    before = build_map(links, {"sw1": State.OK}, {("sw1", "1"): State.OK}, ["sw3"])
    after = build_map(links, {"sw1": State.CRIT, "sw3": State.CRIT}, {("sw1", "1"): State.CRIT}, ["sw3"])
    assert [(n.name, n.x, n.y) for n in before.nodes] == [(n.name, n.x, n.y) for n in after.nodes]
