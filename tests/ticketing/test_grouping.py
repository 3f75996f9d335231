"""Grouping: one ticket per device problem by default (a printer low on two toners and reporting its status gets
one ticket, the other problems added and cleared as comments), or per device and check, or per finding."""

from __future__ import annotations

import pytest

from agent.ticketing import queries
from collectors.base import State
from tests.ticketing.conftest import settings_with
from tests.ticketing.test_engine import backend_tickets, comments, tickets

STATUS = ("prn-1", "printer_snmp.status", State.WARN, "")
BLACK = ("prn-1", "printer_snmp.supply", State.WARN, "black toner")
CYAN = ("prn-1", "printer_snmp.supply", State.CRIT, "cyan toner")


def ok(key: tuple) -> tuple:
    return (key[0], key[1], State.OK, key[3])


def grouped(make_harness, grouping: str = "device"):
    data = settings_with(grouping=grouping).model_dump(mode="json")
    data["checks"]["printer_snmp"]["findings"] = {"open_after": 1, "resolve_after": 1}
    return make_harness(type(settings_with()).model_validate(data))


def test_a_printer_low_on_two_toners_gets_one_ticket(make_harness):
    h = grouped(make_harness)
    summary = h.cycle(STATUS, BLACK, CYAN)
    assert len(summary.opened) == 1 and len(backend_tickets(h)) == 1
    [ticket] = queries.open_tickets(h.store)
    # Opened for the most urgent problem (the cyan CRIT); the other two are comments on it.
    assert ticket.kind == "group" and ticket.priority == "serious" and "cyan toner" in ticket.title
    notes = comments(h)
    assert sum(n.startswith("Also failing: ") for n in notes) == 2
    assert any("black toner" in n for n in notes) and any("printer_snmp.status on prn-1" in n for n in notes)
    # One toner is replaced: a comment, the ticket stays open for the rest.
    summary = h.cycle(STATUS, ok(BLACK), CYAN)
    assert not summary.resolved and queries.open_tickets(h.store)[0].status == "open"
    assert comments(h)[-1].startswith("Cleared: Recovered: printer_snmp.supply [black toner] on prn-1")
    assert "2 problem(s) of this ticket remain" in comments(h)[-1]
    # The toner runs low again: back on the same ticket, no second one.
    h.cycle(STATUS, BLACK, CYAN)
    assert len(backend_tickets(h)) == 1 and comments(h)[-1].startswith("Also failing: WARN printer_snmp.supply")
    # Everything fixed: resolved once, with the last one.
    summary = h.cycle(ok(STATUS), ok(BLACK), ok(CYAN))
    assert len(summary.resolved) == 1 and not queries.open_tickets(h.store)
    assert backend_tickets(h)[0].status == "resolved"
    assert "Every problem of this ticket has cleared" in comments(h)[-1]


@pytest.mark.parametrize("grouping, expected", [("device", 1), ("device_check", 2), ("finding", 3)])
def test_grouping_is_configurable(make_harness, grouping, expected):
    h = grouped(make_harness, grouping)
    h.cycle(STATUS, BLACK, CYAN)
    assert len(backend_tickets(h)) == expected == len(queries.open_tickets(h.store))


def test_two_devices_keep_their_own_tickets(make_harness):
    h = grouped(make_harness)
    h.cycle(STATUS, ("prn-2", "printer_snmp.status", State.WARN, ""))
    assert sorted(t.target for t in queries.open_tickets(h.store)) == ["prn-1", "prn-2"]


def test_a_lost_database_finds_the_device_ticket_again(make_harness, tmp_path):
    h = grouped(make_harness)
    h.cycle(STATUS, BLACK)
    data = settings_with(grouping="device").model_dump(mode="json")
    data["checks"]["printer_snmp"]["findings"] = {"open_after": 1, "resolve_after": 1}
    # A new local database, the same backend (the builtin backend's tables move with it: copy them over).
    again = make_harness(type(settings_with()).model_validate(data), db=tmp_path / "fresh.sqlite", clock=h.clock,
                         backend=h.service.backend)
    again.cycle(STATUS, BLACK, CYAN)
    assert len(backend_tickets(h)) == 1  # found by the device's fingerprint in the backend, not opened twice
    assert len(tickets(again)) == 1 and tickets(again)[0].key == "1"


def test_a_more_urgent_problem_joining_raises_the_device_ticket(make_harness):
    h = grouped(make_harness)
    h.cycle(STATUS)
    assert queries.open_tickets(h.store)[0].priority == "general"
    h.cycle(STATUS, CYAN)
    [ticket] = queries.open_tickets(h.store)
    assert ticket.priority == "serious" and ticket.severity is State.CRIT
    assert backend_tickets(h)[0].priority == "serious"
