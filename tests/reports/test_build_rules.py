"""Report figures on small hand-built stores (seconds, not the demo store's half minute):
SLA compliance with open tickets, the trend's buckets, uninspected devices, the recurring
boundary, the WARN/UNKNOWN order, the first-seen time of a finding (issue 21: each of these
survived a change to agent/reports/build.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from agent.context import store_components
from agent.findings import fingerprint
from agent.reports.build import build_faults, build_inspection
from agent.reports.periods import parse_period
from agent.store import Store
from agent.ticketing import schema as ticketing
from collectors.base import CheckResult, CheckRun, State
from config.reports import ReportsSettings
from inventory.models import Host, Inventory, Site

SITE = "s1"
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
OCTOBER = parse_period("2026-10")
INVENTORY = Inventory(site=Site(name=SITE), hosts=(Host(name="pc-1"), Host(name="pc-2")))


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path}/s.sqlite", SITE, store_components())
    yield store
    store.close()


def record(store: Store, day: int, state: State, *, target: str = "pc-1", check: str = "system.disk",
           item: str = "C:", hour: int = 8, month: int = 10) -> None:
    at = datetime(2026, month, day, hour, tzinfo=timezone.utc)
    store.record_run(CheckRun(check.split(".")[0], target, at, 0.1, (
        CheckResult(check, target, item, state, f"{check} {state.value}", observed_at=at),)))


def ticket(store: Store, key: str, *, tier: str = "serious", opened_day: int = 5, ack_min: int | None = 10,
           resolved_min: int | None = 60, respond_min: int = 60, resolve_min: int = 240) -> None:
    opened = datetime(2026, 10, opened_day, 9, tzinfo=timezone.utc)
    with store.engine.begin() as conn:
        conn.execute(ticketing.tickets.insert().values(
            fingerprint=fingerprint(SITE, "pc-1", "system.disk", key), kind="finding", site=SITE, target="pc-1",
            check="system.disk", item=key, title=f"disk {key}", backend="builtin", key=key, url=None,
            status="resolved" if resolved_min is not None else "open", severity="crit", tier=tier, opened_at=opened,
            acknowledged_at=opened + timedelta(minutes=ack_min) if ack_min is not None else None,
            acknowledged_by="engineer" if ack_min is not None else None,
            resolved_at=opened + timedelta(minutes=resolved_min) if resolved_min is not None else None,
            resolved_by="patrol" if resolved_min is not None else None,
            due_response=opened + timedelta(minutes=respond_min), due_resolve=opened + timedelta(minutes=resolve_min),
            response_breached=False, resolve_breached=False, escalation_level=0, comments=0, reopen_count=0,
            flapping=False, suppressed=[], grouped=[]))


def faults(store: Store, label: str = "2026-10", **settings):
    return build_faults(store.engine, INVENTORY, SITE, parse_period(label), now=NOW, lang="en",
                        settings=ReportsSettings(**settings), store=store)


def inspection(store: Store, inventory: Inventory = INVENTORY):
    return build_inspection(store.engine, inventory, SITE, OCTOBER, now=NOW, lang="en", settings=ReportsSettings(),
                            inspected_by="t", store=store)


def test_sla_compliance_counts_closed_tickets_only(store):
    record(store, 5, State.CRIT)
    ticket(store, "met")                                   # answered and resolved in time
    ticket(store, "late", resolved_min=300)                # resolved after 5 h of a 4 h deadline
    ticket(store, "open", ack_min=None, resolved_min=None, respond_min=60 * 24 * 60, resolve_min=60 * 24 * 60)
    ticket(store, "general", tier="general")
    rows = {r.tier: r for r in faults(store).sla_by_tier}
    assert list(rows) == ["serious", "general"]
    serious = rows["serious"]
    assert (serious.tickets, serious.met, serious.breached, serious.open) == (3, 1, 1, 1)
    assert serious.compliance == 0.5  # open tickets are neither met nor missed yet
    assert rows["general"].compliance == 1.0


def test_a_month_is_trended_per_day_a_quarter_per_week(store):
    for day, state in ((3, State.CRIT), (4, State.OK), (15, State.WARN), (16, State.OK), (29, State.CRIT)):
        record(store, day, state)
    month = faults(store).trend
    assert len(month) == 31 and [p.index for p in month if p.problems] == [2, 14, 28]
    quarter = faults(store, "2026Q4").trend
    assert len(quarter) == 14  # 92 days in weeks
    assert [(p.index, p.problems) for p in quarter if p.problems] == [(0, 1), (2, 1), (4, 1)]


def test_recurring_means_more_starts_than_the_setting(store):
    for day in range(1, 9):  # four problems on C:, three on D:
        record(store, day, State.CRIT if day % 2 else State.OK)
        record(store, day, State.CRIT if day % 2 and day < 7 else State.OK, item="D:")
    report = faults(store, recurring_after=3)
    assert [(r.item, r.occurrences) for r in report.recurring] == [("C:", 4)]
    assert [(r.item, r.occurrences) for r in faults(store, recurring_after=2).recurring] == [("C:", 4), ("D:", 3)]


def test_a_device_without_data_is_listed_but_not_inspected(store):
    record(store, 3, State.OK)
    summary = inspection(store).summary
    assert (summary.devices_total, summary.devices_inspected) == (2, 1)


def test_unknown_ranks_between_warn_and_crit(store):
    record(store, 3, State.WARN, check="system.disk")
    record(store, 3, State.UNKNOWN, check="system.memory", item="")
    record(store, 3, State.WARN, target="pc-2", check="system.disk")
    record(store, 3, State.CRIT, target="pc-2", check="system.memory", item="")
    report = inspection(store)
    assert {d.name: d.state for d in report.devices} == {"pc-1": "unknown", "pc-2": "crit"}
    assert [(f.target, f.severity) for f in report.findings] == [
        ("pc-2", "crit"), ("pc-1", "unknown"), ("pc-1", "warn"), ("pc-2", "warn")]


def test_a_resolved_episode_does_not_give_the_first_seen_time(store):
    """Only an episode still open at the end of the period began when ticketing says; else the results tell."""
    for day in (10, 11):
        record(store, day, State.OK)
    for day in (20, 21):
        record(store, day, State.CRIT)
    old = datetime(2026, 10, 2, 6, tzinfo=timezone.utc)
    with store.engine.begin() as conn:
        conn.execute(ticketing.findings.insert().values(
            fingerprint="fp-old", site=SITE, target="pc-1", check="system.disk", item="C:", status="resolved",
            severity="crit", worst_severity="crit", title="system.disk [C:] on pc-1", summary="", details="",
            first_seen=old, last_seen=old, opened_at=old, resolved_at=old + timedelta(days=3), bad_count=0,
            ok_count=2, ok_since=None, streak_known=True, flapping=False, transitions=[], held_reason=None,
            ticket_fp=None, last_comment_at=None, pending_note=None))
    (finding,) = inspection(store).findings
    assert finding.first_seen == datetime(2026, 10, 20, tzinfo=timezone.utc)  # the streak's first day
    assert finding.fingerprint == fingerprint(SITE, "pc-1", "system.disk", "C:")


def test_findings_of_one_device_and_severity_are_ordered_by_check_then_item(store):
    record(store, 3, State.WARN, check="system.memory", item="")
    record(store, 3, State.WARN, check="system.disk", item="Z:")
    record(store, 3, State.WARN, check="system.disk", item="D:")
    report = inspection(store)
    assert [(f.check, f.item) for f in report.findings] == [
        ("system.disk", "D:"), ("system.disk", "Z:"), ("system.memory", "")]


def test_a_device_that_reports_but_is_not_in_the_inventory_is_still_in_the_report(store):
    record(store, 3, State.WARN, target="pc-9")
    devices = {d.name: d for d in inspection(store).devices}
    assert sorted(devices) == ["pc-1", "pc-2", "pc-9"]
    assert (devices["pc-9"].kind, devices["pc-9"].address, devices["pc-9"].criticality) == ("host", "", "normal")
    assert devices["pc-9"].state == "warn"


def test_a_finding_ticketing_closed_after_its_last_bad_result_is_listed_as_recovered(store):
    """The drive went away: its last stored result stays CRIT, but ticketing resolved it (the system run no
    longer reports it). The report lists it as recovered, with no recommendation, after the open findings."""
    from agent.reports.render import render_markdown
    from agent.ticketing.service import TicketingService
    from config.schema import Settings

    now = [datetime(2026, 10, 10, 8, tzinfo=timezone.utc)]
    service = TicketingService(Settings.model_validate({"agent": {"site": SITE, "name": "c1"}}), store, INVENTORY,
                               lambda: now[0])

    def cycle(day: int, *results: tuple[str, str, State, str]) -> None:
        now[0] = at = datetime(2026, 10, day, 8, tzinfo=timezone.utc)
        run = CheckRun("system", "pc-1", at, 0.1, tuple(
            CheckResult(check, "pc-1", item, state, summary, observed_at=at) for check, item, state, summary in results))
        store.record_run(run)
        service.process([run])

    for day in (10, 11):
        cycle(day, ("system.disk", "E:", State.CRIT, "E: 97% used"), ("system.memory", "", State.WARN, "memory 93%"))
    for day in (12, 13):  # E: is gone (a removed USB drive); memory is still short
        cycle(day, ("system.memory", "", State.WARN, "memory 94%"))
    report = inspection(store)
    assert [(f.check, f.recovered_at) for f in report.findings] == [
        ("system.memory", None), ("system.disk", datetime(2026, 10, 13, 8, tzinfo=timezone.utc))]
    assert [r.id for r in report.recommendations] == ["system.memory"]
    text = render_markdown(report)
    assert "| Recovered 2026-10-13" in text and "| Warning | pc-1 | Memory" in text


def test_ticket_times_are_minutes_to_one_decimal(store):
    record(store, 5, State.CRIT)
    ticket(store, "t1", ack_min=10 + 1 / 3, resolved_min=100 + 2 / 3)  # 10 min 20 s, 100 min 40 s
    [row] = inspection(store).tickets
    assert (row.response_minutes, row.resolve_minutes, row.sla) == (10.3, 100.7, "met")
