"""The inspection report's side of the switch check, from real polls (snmpsim) through the
store: a device whose readings are not all readable shows "Not readable" in a row of its own
(not Unknown in "other"), and each switch shows its port errors and discards since the last
inspection, from the cumulative counters the check keeps beside the rates."""

from __future__ import annotations

from datetime import datetime, timezone

from agent.reports.build import build_inspection
from agent.reports.i18n import Translator
from agent.reports.periods import parse_period
from agent.reports.render import render_markdown
from agent.store import Store
from config.reports import ReportsSettings
from inventory.models import Inventory, NetworkDevice, Site
from tests.snmp.conftest import device, run_once

LAST_MONTH = datetime(2025, 12, 20, 8, 0, tzinfo=timezone.utc)   # the previous inspection's period
THIS_MONTH = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


def _report(tmp_path, runs, devices: tuple[NetworkDevice, ...], lang: str = "en"):
    store = Store.open(f"sqlite:///{tmp_path}/store.sqlite", "hq")
    try:
        for run in runs:
            store.record_run(run)
        inventory = Inventory(site=Site(name="hq"), network_devices=devices)
        return build_inspection(store.engine, inventory, "hq", parse_period("2026-01"),
                                now=datetime(2026, 1, 31, tzinfo=timezone.utc), lang=lang,
                                settings=ReportsSettings(), inspected_by="test")
    finally:
        store.close()


def test_port_errors_since_the_last_inspection_and_not_readable_row(tmp_path, snmpsim) -> None:
    state = tmp_path / "state"
    # the same 8-port switch last month (synth/t0) and now (synth/t1: port 3 has 600 more input errors)
    sw = device(snmpsim.port, "synth/t0", name="sw1")
    then = run_once(sw, state, at=LAST_MONTH)
    now = run_once(device(snmpsim.port, "synth/t1", name="sw1"), state, at=THIS_MONTH)
    # a real H3C walk without fan or supply tables: switch.health UNKNOWN, "not readable: fans, power supplies"
    h3c = device(snmpsim.port, "h3c-e528", name="h3c-e528")
    old = run_once(h3c, state, at=THIS_MONTH)
    report = _report(tmp_path, (then, now, old), (sw, h3c))
    sections = {s.name: s for s in report.devices}

    counters = sections["sw1"].port_counters
    assert (counters.errors, counters.discards, counters.ports, counters.restarted) == (600, 0, 8, 0)
    assert sections["h3c-e528"].port_counters is None  # no previous inspection to count from

    cells = {c.row: c for c in sections["h3c-e528"].cells}
    assert cells["readings"].state == "unknown"
    assert all(e.check != "switch.health" for e in cells["other"].evidence)  # "other" holds the neighbours
    assert cells["readings"].evidence[0].summary.startswith("not readable: fans, power supplies")
    assert cells["readings"].evidence[0].check == "switch.health"

    text = render_markdown(report)
    assert "Port errors since the last inspection: 600; discards: 0 (8 ports compared)" in text
    assert "| Readings the device gives (CPU, memory, sensors) | Not readable |" in text
    zh = render_markdown(_report(tmp_path / "zh", (then, now, old), (sw, h3c), lang="zh-CN"))
    assert "自上次巡检以来端口错误：600" in zh and "| 无法读取 |" in zh
    assert Translator("en").cell_state("network_device", "cpu", "unknown") == "Unknown"  # other rows unchanged


def test_a_counter_reset_between_inspections_counts_from_zero(tmp_path, snmpsim) -> None:
    state = tmp_path / "state"
    then = run_once(device(snmpsim.port, "synth/t1", name="sw1"), state, at=LAST_MONTH)
    # synth/reboot: every counter restarted near zero (1 octet, 0 errors)
    sw = device(snmpsim.port, "synth/reboot", name="sw1")
    now = run_once(sw, state, at=THIS_MONTH)
    counters = {s.name: s for s in _report(tmp_path, (then, now), (sw,)).devices}["sw1"].port_counters
    assert (counters.errors, counters.ports) == (0, 8) and counters.restarted == 8
