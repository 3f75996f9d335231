"""The read interface for reports: windows over findings, tickets and their history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.ticketing import queries
from agent.ticketing.engine import CycleSummary
from collectors.base import State
from tests.ticketing.conftest import START

C, O = State.CRIT, State.OK


@pytest.fixture
def history(make_harness):
    """One finding opened at 08:10 and resolved at 08:25; a second still pending at the end."""
    h = make_harness()
    for state in (C, C, C, O, O):  # 08:05 .. 08:25
        h.cycle(("pc-00", "system.disk", state, "/"), ("pc-01", "system.cpu", O))
    h.cycle(("pc-01", "system.cpu", C))  # 08:30, pending only
    return h


@pytest.mark.parametrize("start_min, end_min, expected", [
    (0, 5, 0),      # before it was first seen (08:05)
    (0, 6, 1),      # it was seen in the window
    (20, 60, 1),    # resolved at 08:25, inside
    (26, 60, 0),    # resolved before the window starts
], ids=["before", "first-seen-inside", "resolved-inside", "after"])
def test_findings_between_windows(history, start_min, end_min, expected):
    found = queries.findings_between(history.store, START + timedelta(minutes=start_min),
                                     START + timedelta(minutes=end_min))
    assert len(found) == expected


def test_finding_and_ticket_fields(history):
    window = (START, START + timedelta(hours=1))
    [finding] = queries.findings_between(history.store, *window)
    assert (finding.status, finding.severity, finding.target, finding.family) == ("resolved", C, "pc-00", "system")
    assert finding.opened_at == START + timedelta(minutes=10) and finding.duration_s == 15 * 60
    assert len(queries.findings_between(history.store, *window, include_pending=True)) == 2
    [ticket] = queries.tickets_between(history.store, *window)
    assert (ticket.tier, ticket.status, ticket.resolved_by, ticket.responded_at) == ("serious", "resolved", "patrol", None)
    assert not ticket.is_open and not ticket.response_breached
    kinds = [e.kind for e in queries.finding_events_between(history.store, *window)]
    assert kinds == ["opened", "ticket_opened", "resolved", "ticket_resolved"]


@pytest.mark.parametrize("summary, line", [
    (CycleSummary(), "tickets: no change"),
    (CycleSummary(opened=("a",), suppressed=("b", "c")), "tickets: 1 opened, 2 suppressed"),
    (CycleSummary(resolved=("a",), outbox_waiting=3), "tickets: 1 resolved; 3 backend call(s) waiting in the outbox"),
], ids=["nothing", "opened-and-suppressed", "waiting"])
def test_describe(summary, line):
    assert summary.describe() == line
