"""The archive's findings through the real ticket engine: a hardware swap, warranties."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from agent.assets import archive
from agent.assets.diff import diff
from agent.assets.findings import Rules, archive_runs, hardware_result, warranty_result
from agent.context import store_components
from agent.store import Store
from agent.ticketing.backends.builtin import BuiltinBackend
from agent.ticketing.queries import open_findings, open_tickets
from agent.ticketing.service import TicketingService
from collectors.base import State
from config.schema import Settings
from inventory.models import AssetInfo, Host, Inventory, Printer, Site
from tests.assets.test_archive import DAY, T0, pc

SITE = "hq"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def settings() -> Settings:
    return Settings.model_validate({"agent": {"site": SITE, "name": "collector-1"},
                                    "ticketing": {"grouping": "finding"}})


def inventory(warranty_end: date | None = None) -> Inventory:
    return Inventory(site=Site(name=SITE), hosts=(
        Host(name="pc-1", address="192.0.2.21", asset=AssetInfo(number="PC-0001", warranty_end=warranty_end)),
        Host(name="collector-1", local=True)))


@pytest.fixture
def world(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'p.sqlite'}", SITE, store_components())
    clock = Clock(T0)
    s = settings()
    inv = inventory()
    service = TicketingService(s, store, inv, clock, backend=BuiltinBackend(store.engine, clock))
    yield store, clock, service, inv, s
    store.close()


def evaluate(store, clock, service, inv, s, at):
    clock.now = at
    runs = archive_runs(store.engine, SITE, inv, at, Rules.from_params(s.checks.assets))
    for run in runs:
        store.record_run(run)
    service.process(runs)
    return runs


def test_a_memory_swap_is_exactly_one_finding_with_the_diff(world):
    store, clock, service, inv, s = world
    archive.record(store.engine, SITE, "pc-1", pc(T0))
    evaluate(store, clock, service, inv, s, T0 + timedelta(hours=1))
    assert open_findings(store) == []

    base = pc(T0 + DAY)
    swapped = replace(base, memory=(replace(base.memory[0], serial="5F0E9D11"), base.memory[1]),
                      software=base.software[:1])  # and a program removed: history, not the finding
    archive.record(store.engine, SITE, "pc-1", swapped)
    for hours in (1, 2, 30):  # evaluated again and again: still the one finding
        evaluate(store, clock, service, inv, s, T0 + DAY + timedelta(hours=hours))
    (finding,) = open_findings(store)
    assert (finding.target, finding.check, finding.severity) == ("pc-1", "assets.hardware", State.WARN)
    assert "memory ChannelA-DIMM0.serial: 3A1B2C3D -> 5F0E9D11" in finding.evidence
    assert len(open_tickets(store)) == 1
    latest = {r.result.check: r.result for r in store.latest() if r.result.target == "pc-1"}
    assert latest["assets.hardware"].details == \
        '2026-11-03T07:00:00+00:00 memory[ChannelA-DIMM0].serial: "3A1B2C3D" -> "5F0E9D11"'

    # after checks.assets.hardware_change_days the finding resolves; the change stays in the history
    evaluate(store, clock, service, inv, s, T0 + DAY + timedelta(days=7, hours=1))
    assert open_findings(store) == []
    assert [c.path for c in archive.history(store.engine, SITE, "pc-1")] == [
        "memory[ChannelA-DIMM0].serial", "software[WPS Office|HKLM32]"]


def test_a_disk_swap_and_a_cpu_change_in_one_capture_are_one_finding(world):
    store, clock, service, inv, s = world
    archive.record(store.engine, SITE, "pc-1", pc(T0))
    base = pc(T0 + DAY)
    changed = replace(base, disks=(replace(base.disks[0], serial="S4DXNF0M999999"),),
                      cpus=(replace(base.cpus[0], model="Intel(R) Core(TM) i7-8700T CPU @ 2.40GHz"),))
    archive.record(store.engine, SITE, "pc-1", changed)
    evaluate(store, clock, service, inv, s, T0 + DAY + timedelta(hours=1))
    (finding,) = open_findings(store)
    lines = next(r.result.details for r in store.latest() if r.result.check == "assets.hardware").splitlines()
    assert len(lines) == 3
    assert lines[0] == ('2026-11-03T07:00:00+00:00 cpus[U3E1].model: "Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz" -> '
                        '"Intel(R) Core(TM) i7-8700T CPU @ 2.40GHz"')
    assert lines[1].startswith('2026-11-03T07:00:00+00:00 disks[S4DXNF0M123456]: {') and lines[1].endswith("} -> null")
    assert '"serial": "S4DXNF0M123456"' in lines[1]
    assert lines[2].startswith('2026-11-03T07:00:00+00:00 disks[S4DXNF0M999999]: null -> {')
    assert "disks S4DXNF0M123456 removed (SAMSUNG MZVLB256HAHQ-000L7" in finding.evidence


def test_software_and_address_changes_make_no_finding(world):
    store, clock, service, inv, s = world
    archive.record(store.engine, SITE, "pc-1", pc(T0))
    base = pc(T0 + DAY)
    archive.record(store.engine, SITE, "pc-1", replace(base, software=(), monitors=(),
                                                      adapters=(replace(base.adapters[0], ips=("192.0.2.99/24",)),)))
    evaluate(store, clock, service, inv, s, T0 + DAY + timedelta(hours=1))
    assert open_findings(store) == []


@pytest.mark.parametrize("days_left, state", [(120, State.OK), (90, State.WARN), (31, State.WARN), (30, State.CRIT),
                                              (0, State.CRIT), (-1, State.OK)])
def test_warranty_thresholds(days_left, state):
    today = date(2026, 11, 2)
    result = warranty_result("pc-1", today + timedelta(days=days_left), today, T0, Rules())
    assert result.state is state
    if days_left < 0:
        assert result.summary == "out of warranty since 2026-11-01"


def test_warranty_finding_opens_then_worsens(world):
    store, clock, service, inv, s = world
    inv = inventory(warranty_end=(T0 + 60 * DAY).date())
    evaluate(store, clock, service, inv, s, T0)
    (finding,) = open_findings(store)
    assert (finding.check, finding.severity) == ("assets.warranty", State.WARN)
    assert finding.evidence.startswith("warranty ends in 60 days (2027-01-01)")
    evaluate(store, clock, service, inv, s, T0 + 31 * DAY)
    (finding,) = open_findings(store)
    assert finding.severity is State.CRIT


def test_hardware_result_is_pure_and_bounded():
    changes = diff(pc(), replace(pc(), memory=(), disks=(), cpus=()), T0)
    result = hardware_result("pc-1", changes, T0 + DAY, Rules())
    assert result.state is State.WARN and result.summary.endswith("and 1 more")
    assert len(result.details.splitlines()) == 4
    assert hardware_result("pc-1", changes, T0 + 8 * DAY, Rules()).state is State.OK


def test_a_printer_with_no_capture_still_gets_its_warranty_result(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'p.sqlite'}", SITE, store_components())
    inv = Inventory(site=Site(name=SITE), printers=(Printer(name="prn-1", address="192.0.2.50",
                                                            asset=AssetInfo(warranty_end=date(2026, 12, 1))),))
    runs = archive_runs(store.engine, SITE, inv, T0, Rules())
    store.close()
    assert [(r.target, [x.check for x in r.results]) for r in runs] == [("prn-1", ["assets.warranty"])]
    assert runs[0].results[0].state is State.CRIT


def test_after_a_cycle_at_once_with_a_capture_else_hourly(tmp_path):
    from agent.assets.findings import after_cycle
    from agent.context import AppContext
    from collectors.base import CheckRun
    from config.loader import load_settings

    (tmp_path / "site.yaml").write_text("site: {name: hq}\nhosts:\n  - {name: pc-1, asset: {warranty_end: 2026-12-01}}\n")
    config = tmp_path / "patrol.yaml"
    config.write_text("agent: {site: hq, name: pc-1}\npaths: {inventory: site.yaml, state_dir: var}\n")
    clock = Clock(T0)
    ctx = AppContext(load_settings(config), config, clock=clock)
    stored = []

    def record(run):
        ctx.store.record_run(run)
        stored.append(run)

    try:
        assert [r.results[0].check for r in after_cycle(ctx, [], record)] == ["assets.warranty"]
        clock.now = T0 + timedelta(minutes=30)
        assert after_cycle(ctx, [], record) == []  # evaluated 30 minutes ago
        assert len(after_cycle(ctx, [CheckRun("assets", "pc-1", clock.now, 1.0, ())], record)) == 1  # a capture ran
        clock.now = T0 + timedelta(minutes=95)
        assert len(after_cycle(ctx, [], record)) == 1
        assert len(stored) == 3
    finally:
        ctx.close()
