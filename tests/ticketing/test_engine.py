"""The ticket lifecycle with the builtin backend: one ticket per fingerprint, updates,
recovery, reopen window, rate limits, suppression, storm control, silences, escalation."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from agent.interlock import LockTimeout
from agent.ticketing import queries, schema
from agent.ticketing import service as service_module
from collectors.base import State
from tests.support.proc import lock_holder
from tests.ticketing.conftest import START, inventory_with_switch, settings_with

O, W, C, U = State.OK, State.WARN, State.CRIT, State.UNKNOWN
DISK = ("pc-00", "system.disk", C, "/")


def backend_tickets(h) -> list:
    with h.store.engine.connect() as conn:
        return conn.execute(sa.select(schema.builtin_tickets).order_by(schema.builtin_tickets.c.id)).all()


def comments(h, key: str = "1") -> list[str]:
    return [text for _, text in h.service.backend.comments(key)]


def tickets(h) -> list[queries.Ticket]:
    return queries.tickets_between(h.store, START - timedelta(days=1), START + timedelta(days=30))


def test_failing_check_opens_exactly_one_ticket_and_repeats_add_nothing(make_harness):
    h = make_harness()
    assert not h.cycle(DISK).opened  # open_after = 2
    assert len(h.cycle(DISK).opened) == 1
    for _ in range(10):
        summary = h.cycle(DISK)
        assert not summary.changed, summary.describe()
    assert len(backend_tickets(h)) == 1
    assert comments(h) == []  # nothing changed, nothing said
    [ticket] = tickets(h)
    assert (ticket.status, ticket.priority, ticket.key) == ("open", "serious", "1")
    assert ticket.due_response == ticket.opened_at + timedelta(hours=1)
    assert ticket.due_resolve == ticket.opened_at + timedelta(hours=4)


def test_worsening_comments_and_raises_priority_recovery_resolves(make_harness):
    h = make_harness()
    h.cycle(("pc-00", "system.disk", W, "/"))
    h.cycle(("pc-00", "system.disk", W, "/"))
    assert tickets(h)[0].priority == "general"
    summary = h.cycle(DISK)
    assert summary.updated == ("system.disk [/] on pc-00",)
    assert comments(h)[0].startswith("Worsened: WARN -> CRIT")
    assert tickets(h)[0].priority == "serious" and backend_tickets(h)[0].priority == "serious"
    h.cycle(("pc-00", "system.disk", O, "/"))
    assert tickets(h)[0].status == "open"  # resolve_after = 2
    summary = h.cycle(("pc-00", "system.disk", O, "/"))
    assert summary.resolved == ("system.disk [/] on pc-00",)
    assert backend_tickets(h)[0].status == "resolved"
    assert "Recovered: system.disk [/] on pc-00 is OK since 2026-03-02 08:20 UTC" in comments(h)[-1]
    assert tickets(h)[0].resolved_by == "patrol"


def test_recurrence_inside_window_reopens_outside_opens_new(make_harness):
    h = make_harness(settings_with(reopen_window_s=3600))
    for state in (C, C, O, O):
        h.cycle(("pc-00", "system.disk", state, "/"))
    h.cycle(DISK, minutes=30)
    summary = h.cycle(DISK)
    assert summary.reopened == ("system.disk [/] on pc-00",) and not summary.opened
    assert len(backend_tickets(h)) == 1 and backend_tickets(h)[0].status == "open"
    assert tickets(h)[0].reopen_count == 1
    h.cycle(("pc-00", "system.disk", O, "/"))
    h.cycle(("pc-00", "system.disk", O, "/"))
    h.clock.advance(hours=2)  # past the window
    h.cycle(DISK)
    summary = h.cycle(DISK)
    assert summary.opened and not summary.reopened
    assert [t.status for t in backend_tickets(h)] == ["resolved", "new"]


def test_improvements_are_rate_limited_and_the_last_note_is_sent_later(make_harness):
    h = make_harness(settings_with(comment_interval_s=3600))
    h.cycle(("pc-00", "system.disk", W, "/"))
    h.cycle(("pc-00", "system.disk", W, "/"))
    h.cycle(("pc-00", "system.disk", C, "/"))  # worsening: always a comment
    for state in (W, C, W, C, W):  # worsening again comments; improvements wait
        h.cycle(("pc-00", "system.disk", state, "/"))
    said = comments(h)
    assert sum(text.startswith("Worsened") for text in said) == 3
    assert not any(text.startswith("Improved") for text in said)
    h.clock.advance(hours=1)
    h.cycle(("pc-00", "system.disk", W, "/"))
    assert comments(h)[-1].startswith("Improved: CRIT -> WARN")


def test_flapping_check_gets_one_ticket_marked_flapping(make_harness):
    h = make_harness(settings_with(flap_threshold=4))
    for state in (C, O, C, O, C, O, C, O, C, O, C):
        h.cycle(("pc-00", "system.disk", state, "/"))
    assert len(backend_tickets(h)) == 1
    [ticket] = tickets(h)
    assert ticket.flapping and ticket.status == "open"


def test_switch_down_with_20_hosts_behind_it_gives_one_ticket(make_harness):
    h = make_harness(inventory=inventory_with_switch(20))
    hosts = [(f"pc-{i:02d}", "host.reachability", C) for i in range(20)]
    down = ("sw1", "switch.reachability", C)
    h.cycle(down, *hosts)
    summary = h.cycle(down, *hosts)
    assert len(summary.opened) == 1 and len(summary.suppressed) == 20
    assert len(backend_tickets(h)) == 1
    [ticket] = tickets(h)
    assert ticket.target == "sw1" and ticket.priority == "urgent"  # a failed network device is urgent
    assert ticket.suppressed == tuple(f"pc-{i:02d}" for i in range(20))
    assert "pc-19" in backend_tickets(h)[0].body
    for _ in range(5):
        h.cycle(down, *hosts)
    assert len(backend_tickets(h)) == 1
    # The switch comes back, and so do the hosts behind it: nothing but the switch's ticket closes.
    up = [("sw1", "switch.reachability", O), *((f"pc-{i:02d}", "host.reachability", O) for i in range(20))]
    h.cycle(*up)
    h.cycle(*up)
    assert [t.status for t in backend_tickets(h)] == ["resolved"]
    assert not queries.open_findings(h.store)


def test_dependents_failing_after_the_parent_is_ticketed_are_listed_on_it(make_harness):
    h = make_harness(inventory=inventory_with_switch(5))
    down = ("sw1", "switch.reachability", C)
    h.cycle(down)
    h.cycle(down)
    h.cycle(down, *((f"pc-{i:02d}", "host.reachability", C) for i in range(5)))
    h.cycle(down, *((f"pc-{i:02d}", "host.reachability", C) for i in range(5)))
    assert len(backend_tickets(h)) == 1
    assert "Holding tickets of 5 dependent(s) while sw1 is down: pc-00, pc-01, pc-02, pc-03, pc-04" in comments(h)


def test_a_down_host_holds_its_own_other_checks(make_harness):
    h = make_harness()
    state = [("pc-00", "host.reachability", C), ("pc-00", "system.disk", U, "/"), ("pc-00", "system.cpu", U)]
    for _ in range(8):
        h.cycle(*state)
    assert [t.check for t in tickets(h)] == ["host.reachability"]
    assert tickets(h)[0].suppressed == ("pc-00 system.cpu", "pc-00 system.disk")


def test_storm_control_opens_k_tickets_and_one_summary(make_harness):
    h = make_harness(settings_with(storm_limit=3))
    failing = [("pc-00", "system.disk", C, f"/d{i}") for i in range(8)]
    h.cycle(*failing)
    summary = h.cycle(*failing)
    assert len(summary.opened) == 4 and len(summary.grouped) == 5  # 3 tickets + 1 summary
    rows = backend_tickets(h)
    assert len(rows) == 4 and "Alert storm at site acme" in rows[-1].subject
    assert rows[-1].body.count("\n- ") == 5
    ok = [("pc-00", "system.disk", O, f"/d{i}") for i in range(8)]
    h.cycle(*ok)
    h.cycle(*ok)
    assert {t.status for t in backend_tickets(h)} == {"resolved"}


def test_silence_holds_new_tickets_until_it_expires_and_is_audited(make_harness):
    until = (START + timedelta(minutes=30)).isoformat()
    h = make_harness(settings_with(silences=[{"target": "pc-*", "check": "system.*", "until": until,
                                              "reason": "disk swap, change #42"}]))
    for _ in range(4):
        summary = h.cycle(DISK)
    assert summary.held and not backend_tickets(h)
    [entry] = h.store.audit_entries(action="ticket.hold")
    assert "disk swap, change #42" in entry.detail["reason"]
    for _ in range(4):
        h.cycle(DISK)
    assert len(backend_tickets(h)) == 1  # the silence expired; the problem did not


def test_maintenance_window_holds_matching_targets_only(make_harness):
    window = {"name": "switch firmware", "targets": ["pc-0[0-1]"], "start": START.isoformat(),
              "end": (START + timedelta(hours=1)).isoformat()}
    h = make_harness(settings_with(maintenance=[window]))
    pair = (DISK, ("pc-02", "system.disk", C, "/"))
    h.cycle(*pair)
    summary = h.cycle(*pair)
    assert summary.held == ("system.disk [/] on pc-00",)
    assert [r.subject for r in backend_tickets(h)] == ["[acme] CRIT system.disk [/] on pc-02"]
    assert h.store.audit_entries(action="ticket.hold")[0].detail["reason"].startswith("maintenance 'switch firmware'")


def test_missed_deadlines_escalate_with_priority_comment_and_notification(make_harness):
    sent = []
    settings = settings_with(escalation={"webhook_url": "http://127.0.0.1:9/escalate"})
    h = make_harness(settings, notify=sent.append)
    h.cycle(("pc-00", "system.disk", W, "/"))
    h.cycle(("pc-00", "system.disk", W, "/"))  # general: respond 2 h, resolve 8 h
    h.clock.advance(hours=2)
    summary = h.cycle(("pc-00", "system.disk", W, "/"))
    assert summary.escalated == ("system.disk [/] on pc-00",)
    [ticket] = tickets(h)
    assert ticket.response_breached and ticket.priority == "serious" and ticket.escalation_level == 1
    assert "the response deadline" in comments(h)[-1]
    assert sent and sent[0]["missed"] == "response" and sent[0]["tier"] == "serious"
    h.clock.advance(hours=6)
    h.cycle(("pc-00", "system.disk", W, "/"))
    [ticket] = tickets(h)
    assert ticket.resolve_breached and ticket.priority == "urgent" and ticket.escalation_level == 2
    for _ in range(3):
        assert not h.cycle(("pc-00", "system.disk", W, "/")).escalated  # once per deadline


def test_acknowledged_in_time_is_not_escalated_and_actions_are_audited(make_harness):
    h = make_harness()
    h.cycle(DISK)
    h.cycle(DISK)
    h.service.acknowledge("1", "li.wei", "on my way")
    h.service.comment("1", "li.wei", "replacing the disk")
    h.clock.advance(hours=1)
    assert not h.cycle(DISK).escalated
    [ticket] = tickets(h)
    assert ticket.status == "acknowledged" and ticket.acknowledged_by == "li.wei" and not ticket.response_breached
    h.service.resolve("1", "li.wei", "disk replaced")
    assert backend_tickets(h)[0].status == "resolved"
    actions = [(e.action, e.actor) for e in h.store.audit_entries() if e.actor == "li.wei"]
    assert sorted(actions) == [("ticket.ack", "li.wei"), ("ticket.comment", "li.wei"), ("ticket.resolve", "li.wei")]
    # Still failing after a manual resolve: a new episode needs open_after results, then reopens.
    assert not h.cycle(DISK).reopened
    assert h.cycle(DISK).reopened


def test_a_whole_collector_failure_tickets_only_after_longer(make_harness):
    h = make_harness()
    failure = ("pc-00", "system", U, "")  # the runner's single UNKNOWN result
    opened_at = [i for i in range(8) if h.cycle(failure).opened]
    assert opened_at == [5]  # open_after 2 x unknown_open_factor 3 = 6th result
    [ticket] = tickets(h)
    assert ticket.severity is State.UNKNOWN and ticket.priority == "general"


def test_unknown_can_be_switched_off(make_harness):
    h = make_harness(settings_with(ticket_unknown=False))
    for _ in range(10):
        assert not h.cycle(("pc-00", "system", U, "")).changed


def test_per_family_open_after_is_used(make_harness):
    settings = settings_with()
    data = settings.model_dump(mode="json")
    data["checks"]["system"]["findings"] = {"open_after": 4, "resolve_after": 1}
    h = make_harness(type(settings).model_validate(data))
    opened_at = [i for i in range(6) if h.cycle(DISK).opened]
    assert opened_at == [3]
    assert h.cycle(("pc-00", "system.disk", O, "/")).resolved


def test_state_survives_a_restart_of_the_service(make_harness, tmp_path):
    h = make_harness()
    h.cycle(DISK)
    again = make_harness(db=tmp_path / "patrol.sqlite", clock=h.clock)
    assert len(again.cycle(DISK).opened) == 1  # the first bad result was remembered
    assert len(backend_tickets(again)) == 1


def test_storm_ticket_closed_and_a_new_one_opened_in_the_same_cycle_are_both_saved(make_harness):
    # Found by the property test: the old summary ticket's resolve was sent but not saved locally.
    settings = settings_with(storm_limit=1, reopen_window_s=0)
    data = settings.model_dump(mode="json")
    data["checks"]["system"]["findings"] = {"open_after": 1, "resolve_after": 2}
    h = make_harness(type(settings).model_validate(data))
    a, b = ("pc-01", "system.disk", W, "/"), ("pc-02", "system", W)
    h.cycle(b)
    h.cycle(b)
    h.cycle(("pc-00", "system.cpu", W), a, b)  # one ticket, one into the storm summary
    h.cycle(("pc-00", "system.cpu", W), ("pc-01", "system.disk", O, "/"), ("pc-02", "system", O))
    h.cycle(("pc-00", "system.cpu", O), ("pc-01", "system.disk", O, "/"), ("pc-02", "system", O))
    summary = h.cycle(("pc-00", "system.cpu", O), a, b, minutes=1)  # the summary closes, a new one opens
    assert len(summary.grouped) == 1 and "Alert storm at site acme: more than 1 new findings" in summary.resolved
    local = Counter(t.fingerprint for t in queries.open_tickets(h.store))
    assert set(local.values()) == {1}


def test_router_down_behind_which_a_switch_is_down_gives_one_ticket_listing_all(make_harness):
    from inventory.models import Host, Inventory, NetworkDevice

    inventory = Inventory(
        hosts=(Host(name="collector-1", local=True),
               *(Host(name=f"pc-{i:02d}", depends_on=("sw1",)) for i in range(3))),
        network_devices=(NetworkDevice(name="rt1"), NetworkDevice(name="sw1", depends_on=("rt1",))))
    h = make_harness(inventory=inventory)
    down = [("rt1", "switch.reachability", C), ("sw1", "switch.reachability", C),
            *((f"pc-{i:02d}", "host.reachability", C) for i in range(3))]
    h.cycle(*down)
    summary = h.cycle(*down)
    assert len(summary.opened) == 1 and len(summary.suppressed) == 4
    [ticket] = tickets(h)
    assert ticket.target == "rt1" and ticket.suppressed == ("pc-00", "pc-01", "pc-02", "sw1")


def test_a_failed_collector_finding_resolves_when_the_collector_works_again(make_harness):
    h = make_harness(settings_with(reopen_window_s=0))
    for _ in range(6):
        h.cycle(("pc-00", "system", U, ""))  # the runner's single UNKNOWN for a failed collector
    assert [t.check for t in queries.open_tickets(h.store)] == ["system"]
    h.cycle(("pc-00", "system.disk", O, "/"))
    summary = h.cycle(("pc-00", "system.disk", O, "/"))
    assert summary.resolved == ("system on pc-00",)
    assert "system works again" in comments(h)[-1]


def test_an_item_that_is_no_longer_reported_resolves(make_harness):
    h = make_harness()
    h.cycle(DISK, ("pc-00", "system.disk", O, "/data"))
    h.cycle(DISK, ("pc-00", "system.disk", O, "/data"))
    assert len(queries.open_tickets(h.store)) == 1
    h.cycle(("pc-00", "system.disk", O, "/data"))  # "/" was unmounted: the run no longer reports it
    assert h.cycle(("pc-00", "system.disk", O, "/data")).resolved
    assert "no longer reported by system (removed or renamed?)" in comments(h)[-1]


def test_a_finding_nothing_reports_on_any_more_is_closed_with_its_ticket(make_harness):
    h = make_harness(settings_with(stale_after_s=86400))
    h.cycle(DISK)
    h.cycle(DISK)
    h.cycle(("pc-01", "system.disk", O, "/"), minutes=60 * 23)  # pc-00 left the inventory
    assert queries.open_tickets(h.store)
    summary = h.cycle(("pc-01", "system.disk", O, "/"), minutes=60 * 2)
    assert summary.resolved == ("system.disk [/] on pc-00",)
    assert comments(h)[-1].startswith("Closed: nothing has reported on system.disk [/] on pc-00 since")
    assert not queries.open_findings(h.store)


def test_the_engine_waits_for_another_process_deciding(make_harness, tmp_path, monkeypatch):
    """Two `patrol run` workers (or a worker and `patrol tickets ack`) never decide at once."""
    h = make_harness()
    lock = h.service.lock_path
    assert lock == tmp_path / "patrol.sqlite.ticket-engine.lock"
    other = lock_holder(lock, 30)
    try:
        monkeypatch.setattr(service_module, "ENGINE_LOCK_TIMEOUT_S", 0.3)
        with pytest.raises(LockTimeout):
            h.cycle(DISK)
    finally:
        other.kill()
        other.wait(10)
    assert not h.cycle(DISK).opened and len(h.cycle(DISK).opened) == 1  # free again: it decides as before


def test_a_ticket_reopened_at_another_tier_sends_the_new_priority(make_harness):
    # WARN (general) resolves, comes back as CRIT (serious) inside the reopen window: the backend
    # must be told, not only the local record.
    h = make_harness(settings_with(reopen_window_s=3600))
    for state in (W, W, O, O):
        h.cycle(("pc-00", "system.disk", state, "/"))
    assert backend_tickets(h)[0].priority == "general"
    h.cycle(DISK)
    assert h.cycle(DISK).reopened
    assert tickets(h)[0].priority == "serious"
    assert (backend_tickets(h)[0].status, backend_tickets(h)[0].priority) == ("open", "serious")


def test_a_reopened_ticket_escalates_again_when_it_misses_its_new_deadline(make_harness):
    h = make_harness(settings_with(reopen_window_s=24 * 3600))
    h.cycle(DISK)
    h.cycle(DISK)  # serious: respond within 1 h
    h.clock.advance(hours=1)
    assert h.cycle(DISK).escalated
    for state in (O, O, C):
        h.cycle(("pc-00", "system.disk", state, "/"))
    assert h.cycle(DISK).reopened
    [ticket] = tickets(h)
    assert not ticket.response_breached and not ticket.resolve_breached  # a new episode, new deadlines
    h.clock.advance(hours=1)
    assert h.cycle(DISK).escalated  # and it escalates again when it misses them
