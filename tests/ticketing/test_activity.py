"""Ticket activity made visible: the per-cycle line (operations, outbox delays, recovery), the figures a worker
sends to `patrol run`'s /metrics, their exposition (promtool-clean), and the shipped alert rules for a stuck
outbox and SLA deadlines about to pass (promtool unit tests on the rules file itself)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

from prometheus_client import generate_latest

from agent.exporter import Snapshot, build_registry
from agent.wire import decode, encode, ticket_activity_from_json
from collectors.base import State
from tests.support.proc import require_program
from tests.ticketing.conftest import START, FlakyBackend, settings_with

RULES = Path(__file__).resolve().parents[2] / "docs" / "prometheus" / "patrol-rules.yml"
RULE_TESTS = Path(__file__).parent / "rules" / "tickets_test.yml"
DISK = ("pc-00", "system.disk", State.CRIT, "/")


class SwitchableBackend(FlakyBackend):
    message = "RT GET /tickets: cannot connect to http://rt.example:443 (Connection refused)"


def test_the_cycle_line_tells_operations_outbox_delay_and_recovery(make_harness):
    h = make_harness(settings_with(outbox={"retry_base_s": 60}), backend=SwitchableBackend)
    h.service.backend.mode = "down"
    h.cycle(DISK)
    summary = h.cycle(DISK, minutes=5)
    assert summary.describe() == (
        "tickets: 1 opened; 1 backend call(s) waiting in the outbox (oldest 0 s; last error: RT GET /tickets: "
        "cannot connect to http://rt.example:443 (Connection refused))")
    summary = h.cycle(DISK, minutes=5)
    assert summary.describe() == ("tickets: no change; 1 backend call(s) waiting in the outbox (oldest 5 min; "
                                  "last error: RT GET /tickets: cannot connect to http://rt.example:443 "
                                  "(Connection refused))")
    h.service.backend.mode = "up"
    summary = h.cycle(DISK, minutes=7)
    assert summary.describe() == ("tickets: no change; backend reachable again: 1 delayed call(s) delivered, "
                                  "the longest after 12 min")


def test_activity_counts_open_tickets_outbox_operations_and_deadlines(make_harness):
    h = make_harness(settings_with(), backend=SwitchableBackend)
    h.service.backend.mode = "down"
    h.cycle(DISK)
    h.cycle(DISK)
    h.cycle(("sw1", "switch.reachability", State.CRIT))
    h.cycle(("sw1", "switch.reachability", State.CRIT))
    activity = ticket_activity_from_json(decode(encode("outbox", **h.service.activity())).body)
    assert activity.site == "acme" and activity.pending == 2 and activity.open == {"serious": 1, "urgent": 1}
    assert activity.oldest_queued_at == (START + timedelta(minutes=10)).timestamp()
    ops = {(op, outcome): n for op, outcome, n in activity.operations}
    assert ops[("open", "queued")] == 2 and ops[("open", "unavailable")] >= 1
    disk = next(d for d in activity.deadlines if d.tier == "serious")
    assert disk.ticket.startswith("queued ") and {d.deadline for d in activity.deadlines} == {"response", "resolve"}
    # Operations are counts since the previous report: the next one starts from nothing.
    assert h.service.activity()["operations"] == []
    h.service.backend.mode = "up"
    h.clock.advance(hours=1)
    h.service.drain_outbox()
    after = ticket_activity_from_json(h.service.activity())
    assert after.pending == 0 and after.oldest_queued_at is None
    assert {d.ticket for d in after.deadlines} == {"#1", "#2"}
    assert ("open", "sent", 2) in after.operations


def test_metrics_from_worker_reports_pass_promtool(make_harness):
    h = make_harness(settings_with(), backend=SwitchableBackend)
    h.service.backend.mode = "down"
    h.cycle(DISK)
    h.cycle(DISK)
    snapshot = Snapshot("acme")
    snapshot.tickets.update(ticket_activity_from_json(h.service.activity()))
    h.clock.advance(minutes=3)
    h.service.drain_outbox()
    snapshot.tickets.update(ticket_activity_from_json(h.service.activity()))
    now = h.clock.now.timestamp()
    registry = build_registry(snapshot, "9.9", clock=lambda: now + 120)  # scraped two minutes after the report
    text = generate_latest(registry).decode()
    assert 'patrol_tickets_open{site="acme",tier="serious"} 1.0' in text
    assert "patrol_outbox_pending 1.0" in text
    assert "patrol_outbox_oldest_age_seconds 300.0" in text  # queued 3 min before the report, scraped 2 min after
    assert 'patrol_ticket_operations_total{op="open",outcome="queued"} 1.0' in text
    assert 'patrol_ticket_operations_total{op="open",outcome="unavailable"} 2.0' in text  # summed over reports
    assert 'patrol_ticket_deadline_timestamp_seconds{deadline="response",site="acme",ticket="queued ' in text
    lint = subprocess.run([require_program("promtool", "prometheus"), "check", "metrics"], input=text.encode(),
                          capture_output=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_ticket_alert_rules_fire_when_they_should(tmp_path):
    promtool = require_program("promtool", "prometheus")
    shutil.copy(RULES, tmp_path / "patrol-rules.yml")
    shutil.copy(RULE_TESTS, tmp_path / "tickets_test.yml")
    result = subprocess.run([promtool, "test", "rules", "tickets_test.yml"], cwd=tmp_path, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
