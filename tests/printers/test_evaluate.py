"""evaluate(): a PrintSystem in, results out; thresholds and states from the params."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from collectors.base import State
from collectors.printers import PrintersCollector
from collectors.printing.model import PrintJob, PrintQueue, PrintSystem
from config.checks.printers import PrintersParams
from inventory.models import Host

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
HOST = Host(name="pc-17", local=True)


def results(system: PrintSystem, **params):
    return {(r.check, r.item): r for r in PrintersCollector().evaluate(system, PrintersParams(**params), HOST, NOW)}


def one_queue(queue: PrintQueue, *jobs: PrintJob) -> PrintSystem:
    return PrintSystem("CUPS at test", True, "answering", (queue,), jobs)


@pytest.mark.parametrize("queue, state, words", [
    (PrintQueue("q", "idle", True), State.OK, "ready (idle)"),
    (PrintQueue("q", "processing", True, ("cups-waiting-for-job-completed",)), State.OK, "ready (processing)"),
    (PrintQueue("q", "stopped", True, ("paused",), "out of paper in tray 2"), State.CRIT,
     "queue stopped (paused) - out of paper in tray 2"),
    (PrintQueue("q", "idle", False, (), "moving"), State.CRIT, "not accepting jobs"),
    (PrintQueue("q", "idle", True, ("toner-low-report",)), State.WARN, "toner low (toner-low-report)"),
    (PrintQueue("q", "idle", True, ("marker-supply-low-warning",)), State.WARN, "ink or toner low"),
    (PrintQueue("q", "idle", True, ("media-empty-error",)), State.CRIT, "out of paper"),
    (PrintQueue("q", "idle", True, ("media-jam",)), State.CRIT, "paper jam"),
    (PrintQueue("q", "idle", True, ("door-open-error",)), State.CRIT, "door open"),
    (PrintQueue("q", "idle", True, ("offline-report",)), State.CRIT, "printer offline"),
    (PrintQueue("q", "idle", True, ("com.vendor.fuser-ok-report",)), State.OK, "ready"),
    (PrintQueue("q", "idle", True, ("com.vendor.tray-odd-warning",)), State.WARN, "com.vendor.tray-odd-warning"),
    (PrintQueue("q", "idle", True, ("com.vendor.jammed-error",)), State.CRIT, "com.vendor.jammed-error"),
    (PrintQueue("q", "unknown", True), State.UNKNOWN, "queue state not reported"),
], ids=["idle", "benign-cups-reason", "paused", "rejecting", "toner-low", "supply-low", "paper-out", "jam",
        "door", "offline", "unknown-report", "unknown-warning", "unknown-error", "state-missing"])
def test_queue_states(queue: PrintQueue, state: State, words: str) -> None:
    result = results(one_queue(queue))[("printers.queue", "q")]
    assert (result.state, words in result.summary) == (state, True), result.summary


def test_reason_and_queue_states_can_be_overridden() -> None:
    queue = PrintQueue("q", "stopped", False, ("paused", "toner-low"))
    got = results(one_queue(queue), reason_states={"toner-low": "ok"}, stopped_state="warn",
                  not_accepting_state="warn")[("printers.queue", "q")]
    assert got.state is State.WARN


def _job(minutes: float, state: str = "pending", job_id: int = 1) -> PrintJob:
    return PrintJob("q", job_id, state, NOW - timedelta(minutes=minutes))  # type: ignore[arg-type]


@pytest.mark.parametrize("jobs, state, stuck", [
    ((), State.OK, 0),
    ((_job(3),), State.OK, 0),
    ((_job(3), _job(20, job_id=2)), State.WARN, 1),
    ((_job(61, "processing"),), State.CRIT, 1),
    ((_job(500, "held"),), State.OK, 0),
], ids=["none", "fresh", "one-stuck", "stuck-long", "held-on-purpose"])
def test_stuck_jobs(jobs, state: State, stuck: int) -> None:
    result = results(one_queue(PrintQueue("q", "idle", True), *jobs))[("printers.jobs", "q")]
    metrics = {m.name: m.value for m in result.metrics}
    assert (result.state, metrics["stuck_jobs_count"], metrics["queued_jobs_count"]) == (state, stuck, len(jobs))


def test_held_jobs_count_when_asked() -> None:
    system = one_queue(PrintQueue("q", "idle", True), _job(500, "held"))
    assert results(system, count_held_jobs=True)[("printers.jobs", "q")].state is State.CRIT


def test_queue_filters() -> None:
    system = PrintSystem("Windows print spooler", True, "running",
                         (PrintQueue("HP-2F", "idle", True), PrintQueue("Microsoft Print to PDF", "idle", True),
                          PrintQueue("OneNote for Windows 10", "idle", True), PrintQueue("Canon-3F", "idle", True)))
    assert {i for c, i in results(system) if c == "printers.queue"} == {"HP-2F", "Canon-3F"}
    assert {i for c, i in results(system, queues=("HP*",)) if c == "printers.queue"} == {"HP-2F"}


@pytest.mark.parametrize("system, state, words", [
    (PrintSystem("CUPS at x", None, "no CUPS on this computer"), State.OK, "no print system"),
    (PrintSystem("CUPS at x", False, "refused"), State.CRIT, "print spooler not running"),
    (PrintSystem("Windows print spooler", False, "Spooler service status 1"), State.CRIT, "not running"),
], ids=["absent", "cups-down", "windows-spooler-stopped"])
def test_spooler(system: PrintSystem, state: State, words: str) -> None:
    got = results(system)
    assert list(got) == [("printers.spooler", "")]
    assert got[("printers.spooler", "")].state is state and words in got[("printers.spooler", "")].summary


def test_only_a_crit_limit() -> None:
    result = results(one_queue(PrintQueue("q", "idle", True), _job(70)), stuck_job_minutes={"warn": None, "crit": 60})
    got = result[("printers.jobs", "q")]
    assert got.state is State.CRIT and got.summary == "q: 1 job(s) stuck, oldest waiting 70 min (crit 60 min)"
