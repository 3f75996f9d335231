"""A silent printer's reachability reaches the inspection report's reachability row as CRIT,
not "not checked": real poll (nobody listening) -> store -> report model."""

from __future__ import annotations

from datetime import datetime, timezone

from agent.reports.build import build_inspection
from agent.reports.periods import parse_period
from agent.store import Store
from config.checks.printer_snmp import PrinterSnmpParams
from config.reports import ReportsSettings
from inventory.models import Inventory, Printer, SnmpCredentials, Site
from tests.printer_snmp.test_snmpsim import poll
from tests.support.proc import free_port


def test_down_printer_is_crit_in_the_reachability_row(tmp_path, snmpsim) -> None:
    port = free_port("udp")
    down = poll(port, "nobody", PrinterSnmpParams(recheck_after_s=0), timeout_s=0.2)
    up = poll(snmpsim.port, "healthy-laser")
    store = Store.open(f"sqlite:///{tmp_path}/store.sqlite", "hq")
    try:
        store.record_run(down)
        store.record_run(up)
        inventory = Inventory(site=Site(name="hq"), printers=(
            Printer(name=down.target, address="127.0.0.1", snmp=SnmpCredentials(community="env:X", port=port)),
            Printer(name=up.target, address="127.0.0.1", snmp=SnmpCredentials(community="env:X"))))
        now = datetime.now(timezone.utc)
        report = build_inspection(store.engine, inventory, "hq", parse_period(f"{now:%Y-%m}"), now=now, lang="en",
                                  settings=ReportsSettings(), inspected_by="test")
    finally:
        store.close()
    cells = {(s.name, c.row): c.state for s in report.devices for c in s.cells}
    assert cells[(down.target, "reachability")] == "crit"
    assert cells[(up.target, "reachability")] == "ok"
