"""Engine rules that a broken change could drop silently (each test here failed on such a
change, found by bench/mutation.py or by hand in issue 21): item silences, maintenance
check filters, storm priority and ordering, the comment rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from agent.ticketing import queries, schema
from agent.ticketing.backends.builtin import BuiltinBackend
from agent.ticketing.engine import CycleSummary, _duration
from collectors.base import State
from inventory.models import Host, Inventory, NetworkDevice
from tests.ticketing.conftest import START, settings_with

O, W, C, U = State.OK, State.WARN, State.CRIT, State.UNKNOWN


def backend_tickets(h) -> list:
    with h.store.engine.connect() as conn:
        return conn.execute(sa.select(schema.builtin_tickets).order_by(schema.builtin_tickets.c.id)).all()


def comments(h, key: str = "1") -> list[str]:
    return [text for _, text in h.service.backend.comments(key)]


def twice(h, *states):
    h.cycle(*states)
    return h.cycle(*states)


def test_a_silence_on_one_item_leaves_the_other_items_of_the_check_alone(make_harness):
    until = (START + timedelta(hours=2)).isoformat()
    h = make_harness(settings_with(silences=[{"target": "pc-00", "check": "system.disk", "item": "/",
                                              "until": until, "reason": "disk swap"}]))
    summary = twice(h, ("pc-00", "system.disk", C, "/"), ("pc-00", "system.disk", C, "/data"))
    assert summary.held == ("system.disk [/] on pc-00",)
    assert [r.subject for r in backend_tickets(h)] == ["[acme] CRIT system.disk [/data] on pc-00"]


def test_a_maintenance_window_holds_only_the_checks_it_names(make_harness):
    window = {"name": "BIOS update", "targets": ["pc-00"], "checks": ["system.cpu"], "start": START.isoformat(),
              "end": (START + timedelta(hours=1)).isoformat()}
    h = make_harness(settings_with(maintenance=[window]))
    summary = twice(h, ("pc-00", "system.cpu", C), ("pc-00", "system.disk", C, "/"))
    assert summary.held == ("system.cpu on pc-00",)
    assert [r.subject for r in backend_tickets(h)] == ["[acme] CRIT system.disk [/] on pc-00"]


def test_a_maintenance_window_holds_nothing_after_its_end(make_harness):
    window = {"name": "BIOS update", "targets": ["pc-00"], "start": START.isoformat(),
              "end": (START + timedelta(minutes=10)).isoformat()}  # the second cycle is at its end
    h = make_harness(settings_with(maintenance=[window]))
    summary = twice(h, ("pc-00", "system.disk", C, "/"))
    assert not summary.held and len(backend_tickets(h)) == 1


def test_urgent_findings_joining_a_storm_ticket_raise_its_priority(make_harness):
    h = make_harness(settings_with(storm_limit=1))
    warn = [("pc-00", "system.disk", W, f"/w{i}") for i in range(3)]
    twice(h, *warn)  # one ticket, two findings in a general-tier summary ticket
    storm = backend_tickets(h)[-1]
    assert "Alert storm" in storm.subject and storm.priority == "general"
    crit = [("pc-01", "system.disk", C, f"/c{i}") for i in range(2)]
    summary = twice(h, *warn, *crit)
    assert len(summary.grouped) == 1  # one crit finding got the cycle's ticket, the other joined the storm
    storm = backend_tickets(h)[1]
    assert storm.priority == "serious"
    assert [t.priority for t in queries.open_tickets(h.store) if t.check == "patrol.storm"] == ["serious"]


def test_under_storm_limit_the_down_check_gets_the_ticket_before_more_urgent_findings(make_harness):
    inventory = Inventory(hosts=(Host(name="collector-1", local=True), Host(name="pc-00"),
                                 Host(name="db1", criticality="high")),
                          network_devices=(NetworkDevice(name="sw1"),))
    h = make_harness(settings_with(storm_limit=1, down_tier=None), inventory=inventory)
    # db1's disk (crit on a high-criticality host: urgent) is more urgent than sw1 down (serious),
    # but the down check goes first: its ticket is the one that lists dependents.
    summary = twice(h, ("db1", "system.disk", C, "/"), ("sw1", "switch.reachability", C))
    assert summary.grouped == ("system.disk [/] on db1",)
    assert backend_tickets(h)[0].subject == "[acme] CRIT switch.reachability on sw1"
    assert backend_tickets(h)[0].priority == "serious"


def test_with_open_after_1_a_down_switch_is_ticketed_and_its_dependents_held_in_the_same_cycle(make_harness):
    settings = settings_with()
    data = settings.model_dump(mode="json")
    for family in ("system", "switch"):
        data["checks"][family]["findings"] = {"open_after": 1, "resolve_after": 1}
    h = make_harness(type(settings).model_validate(data))
    summary = h.cycle(("sw1", "switch.reachability", C), ("pc-00", "system.reachability", C),
                      ("pc-01", "system.disk", C, "/"))
    assert summary.opened == ("switch.reachability on sw1",)
    assert sorted(summary.suppressed) == ["system.disk [/] on pc-01", "system.reachability on pc-00"]
    [ticket] = backend_tickets(h)
    assert "Tickets held for 2 dependent(s) while this is down: pc-00, pc-01" in ticket.body
    assert comments(h) == []  # listed in the body already: no "holding tickets of" comment on top


def test_a_switch_still_pending_holds_dependents_that_open_sooner(make_harness):
    settings = settings_with()
    data = settings.model_dump(mode="json")
    data["checks"]["system"]["findings"] = {"open_after": 1, "resolve_after": 1}  # the switch needs 2
    h = make_harness(type(settings).model_validate(data))
    down = ("sw1", "switch.reachability", C)
    summary = h.cycle(down, ("pc-00", "system.reachability", C))
    assert summary.suppressed == ("system.reachability on pc-00",) and not backend_tickets(h)
    summary = h.cycle(down, ("pc-00", "system.reachability", C))
    assert summary.opened == ("switch.reachability on sw1",)
    assert [t.subject for t in backend_tickets(h)] == ["[acme] CRIT switch.reachability on sw1"]


def test_updates_after_a_comment_wait_for_the_comment_interval(make_harness):
    h = make_harness(settings_with(comment_interval_s=3600))
    crit, warn = ("pc-00", "system.disk", C, "/"), ("pc-00", "system.disk", W, "/")

    def improved() -> int:
        return sum(c.startswith("Improved: CRIT -> WARN") for c in comments(h))

    twice(h, crit)
    h.cycle(warn)  # 5 min after the ticket opened: the note waits
    assert improved() == 0
    h.clock.advance(hours=1)
    h.cycle(warn)  # the waiting note goes out now
    assert improved() == 1
    h.cycle(crit)  # worsening: a comment at once, and the interval starts again
    assert comments(h)[-1].startswith("Worsened: WARN -> CRIT")
    h.cycle(warn)
    assert improved() == 1  # this improvement waits for the interval
    h.clock.advance(hours=1)
    h.cycle(warn)
    assert improved() == 2


def test_a_storm_ticket_keeps_every_finding_that_joined_it(make_harness):
    h = make_harness(settings_with(storm_limit=1))
    first = [("pc-00", "system.disk", W, f"/w{i}") for i in range(3)]
    twice(h, *first)
    later = [("pc-01", "system.disk", W, f"/v{i}") for i in range(2)]
    twice(h, *first, *later)
    with h.store.engine.connect() as conn:
        [grouped] = conn.execute(sa.select(schema.tickets.c.grouped).where(schema.tickets.c.check == "patrol.storm")).one()
    assert len(grouped) == 3  # two at first, then one more (the other later one got the cycle's ticket)


def test_a_ticket_counts_its_comments_and_a_flapping_one_says_so_in_its_body(make_harness):
    h = make_harness(settings_with(flap_threshold=4))
    for state in (C, O, C, O, C):  # opens as flapping without two bad results in a row
        h.cycle(("pc-00", "system.disk", state, "/"))
    [row] = backend_tickets(h)
    assert "Flapping: 4 state changes within 1 h 00 min; one ticket is kept open until it is stable." in row.body
    h.cycle(("pc-00", "system.disk", W, "/"))
    h.clock.advance(hours=2)
    h.cycle(("pc-00", "system.disk", C, "/"))
    [ticket] = queries.open_tickets(h.store)
    assert ticket.comments == len(comments(h)) >= 2


@pytest.mark.parametrize("seconds,text", [(59 * 60 + 59, "59 min"), (3600, "1 h 00 min"), (47 * 3600 + 59 * 60,
                                          "47 h 59 min"), (49 * 3600, "2 d 1 h")])
def test_durations_in_comments(seconds, text):
    assert _duration(seconds) == text


def test_a_quiet_cycle_says_no_change():
    assert CycleSummary().describe() == "tickets: no change" and not CycleSummary().changed
    assert CycleSummary(opened=("a",), outbox_waiting=2).describe() == (
        "tickets: 1 opened; 2 backend call(s) waiting in the outbox")


def test_changes_of_a_ticketed_finding_are_recorded_as_events(make_harness):
    h = make_harness()
    for state in (W, W, C, W):
        h.cycle(("pc-00", "system.disk", state, "/"))
    events = [(e.kind, dict(e.detail)) for e in queries.finding_events_between(h.store, START, START + timedelta(days=1))
              if e.kind in ("worsened", "improved")]
    assert events == [("worsened", {"previous": "warn", "severity": "crit"}),
                      ("improved", {"previous": "crit", "severity": "warn"})]


def test_a_note_goes_out_exactly_when_the_comment_interval_has_passed(make_harness):
    h = make_harness(settings_with(comment_interval_s=600))  # cycles are 5 min apart
    twice(h, ("pc-00", "system.disk", C, "/"))  # opened: the interval starts
    h.cycle(("pc-00", "system.disk", W, "/"))  # 300 s later: waits
    assert comments(h) == []
    h.cycle(("pc-00", "system.disk", W, "/"))  # 600 s later: sent
    assert [c.split(" at ")[0] for c in comments(h)] == ["Improved: CRIT -> WARN"]


def test_holds_and_storm_tickets_are_recorded_as_events(make_harness):
    until = (START + timedelta(hours=2)).isoformat()
    h = make_harness(settings_with(storm_limit=1, silences=[{"target": "pc-02", "check": "*", "until": until,
                                                             "reason": "rebuild"}]))
    twice(h, *(("pc-00", "system.disk", C, f"/d{i}") for i in range(3)), ("pc-02", "system.cpu", C))
    events = [(e.kind, e.target, dict(e.detail)) for e in
              queries.finding_events_between(h.store, START, START + timedelta(days=1)) if e.kind in ("held", "ticket_opened")]
    held = [e for e in events if e[0] == "held"]
    assert held == [("held", "pc-02", {"reason": "silenced until 2026-03-02 10:00 UTC: rebuild"})]
    opened = [e for e in events if e[0] == "ticket_opened"]
    assert len(opened) == 2 and opened[1][1] == "*" and opened[1][2]["grouped"] == 2


class TakenBackend(BuiltinBackend):
    """The builtin backend, answering as RT does when an engineer took the ticket there."""

    def taken_by(self, key: str) -> str:
        return "li.wei"


def test_a_ticket_taken_in_the_backend_is_saved_as_acknowledged(make_harness):
    h = make_harness(backend=TakenBackend)
    twice(h, ("pc-00", "system.disk", C, "/"))
    h.clock.advance(hours=1)  # at the response deadline the engine asks the backend
    assert not h.cycle(("pc-00", "system.disk", C, "/")).escalated
    [ticket] = queries.open_tickets(h.store)
    assert (ticket.status, ticket.acknowledged_by) == ("acknowledged", "builtin:li.wei")
    assert [row.status for row in backend_tickets(h)] == ["new"]  # learnt from it: nothing sent back


def test_a_worsening_within_the_same_tier_sends_no_priority_change(make_harness):
    h = make_harness()
    for state in (W, W, U):  # WARN -> UNKNOWN is worse, but both are "general" on a normal host
        h.cycle(("pc-00", "system.disk", state, "/"))
    kinds = [e.kind for e in queries.finding_events_between(h.store, START, START + timedelta(days=1))]
    assert "worsened" in kinds and "priority_raised" not in kinds
    assert backend_tickets(h)[0].priority == "general"


def test_an_open_ticket_that_starts_flapping_is_marked(make_harness):
    h = make_harness(settings_with(flap_threshold=4))
    twice(h, ("pc-00", "system.disk", C, "/"))
    assert not queries.open_tickets(h.store)[0].flapping
    for state in (O, C, O, C):
        h.cycle(("pc-00", "system.disk", state, "/"))
    [ticket] = queries.open_tickets(h.store)
    assert ticket.flapping and any(c.startswith("Flapping: 4 state changes") for c in comments(h))


def test_a_deadline_is_missed_only_once_it_has_passed(make_harness):
    h = make_harness()
    twice(h, ("pc-00", "system.disk", C, "/"))  # serious: resolve within 4 h
    opened = h.clock.now
    h.service.acknowledge("1", "li.wei", "")
    h.clock.advance(minutes=235)
    assert h.clock.now + timedelta(minutes=5) == opened + timedelta(hours=4)
    assert not h.cycle(("pc-00", "system.disk", C, "/")).escalated  # exactly at the deadline: still in time
    assert h.cycle(("pc-00", "system.disk", C, "/")).escalated
    assert "the resolve deadline" in comments(h)[-1]


def test_an_acknowledgement_from_the_cli_is_sent_to_the_backend(make_harness):
    h = make_harness()
    twice(h, ("pc-00", "system.disk", C, "/"))
    h.service.acknowledge("1", "li.wei", "on my way")
    assert "Acknowledged by li.wei.\n\non my way" in comments(h)


def test_changes_of_a_held_finding_are_recorded_as_events_too(make_harness):
    until = (START + timedelta(hours=2)).isoformat()
    h = make_harness(settings_with(silences=[{"target": "pc-00", "check": "*", "until": until, "reason": "rebuild"}]))
    for state in (W, W, C):
        h.cycle(("pc-00", "system.disk", state, "/"))
    assert not backend_tickets(h)
    kinds = [e.kind for e in queries.finding_events_between(h.store, START, START + timedelta(days=1))]
    assert kinds.count("worsened") == 1
