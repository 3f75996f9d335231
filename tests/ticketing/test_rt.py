"""Against a real Request Tracker 5 (REST2, token auth, fingerprint in a custom field).

Each test uses its own site name, so fingerprints (and thus RT tickets) never collide
between tests sharing the session's RT.
"""

from __future__ import annotations

from typing import Any

import requests
import sqlalchemy as sa

from agent.ticketing import queries, schema
from collectors.base import State
from tests.ticketing.conftest import inventory_with_switch, settings_with

O, W, C = State.OK, State.WARN, State.CRIT
DISK = ("pc-00", "system.disk", C, "/")


def rt_settings(rt, monkeypatch, site: str, **extra: Any):
    monkeypatch.setenv("PATROL_TEST_RT_TOKEN", rt.token)
    return settings_with(site=site, backend="rt", rt={"url": rt.url, "token": "env:PATROL_TEST_RT_TOKEN"}, **extra)


def rt_get(rt, path: str, **params: Any) -> Any:
    reply = requests.get(f"{rt.url}/REST/2.0{path}", params=params, headers=rt.headers, timeout=10)
    reply.raise_for_status()
    return reply.json()


def rt_tickets(rt, fp: str) -> list[dict]:
    data = rt_get(rt, "/tickets", query=f"CF.{{Patrol Fingerprint}} = '{fp}'", fields="Status,Subject,Priority",
                  orderby="id")
    return data["items"]


def rt_history(rt, key: str) -> list[str]:
    """Transaction types of a ticket, oldest first (Create, Comment, Status, Set, CustomField, ...)."""
    data = rt_get(rt, f"/ticket/{key}/history", fields="Type,Field,NewValue", per_page=100)
    return [f"{i['Type']}:{i.get('NewValue') or ''}" if i["Type"] in ("Status", "Set") else i["Type"]
            for i in data["items"]]


def fp_of(h, target="pc-00", check="system.disk", item="/") -> str:
    return h.service.tracker.fingerprint_of(target, check, item)


def test_lifecycle_open_once_comment_resolve_reopen(rt, make_harness, monkeypatch):
    h = make_harness(rt_settings(rt, monkeypatch, "rt-life"))
    fp = fp_of(h)
    h.cycle(("pc-00", "system.disk", W, "/"))
    assert len(h.cycle(("pc-00", "system.disk", W, "/")).opened) == 1
    for _ in range(10):
        h.cycle(("pc-00", "system.disk", W, "/"))
    [ticket] = rt_tickets(rt, fp)
    assert ticket["Subject"] == "[rt-life] WARN system.disk [/] on pc-00"
    key = ticket["id"]
    assert queries.open_tickets(h.store)[0].key == key
    assert queries.open_tickets(h.store)[0].url == f"{rt.url}/Ticket/Display.html?id={key}"

    h.cycle(DISK)  # worsening: a comment and a higher priority, on the same ticket
    [ticket] = rt_tickets(rt, fp)
    assert int(ticket["Priority"]) == 70  # serious
    assert rt_history(rt, key).count("Comment") == 1

    h.cycle(("pc-00", "system.disk", O, "/"))
    h.cycle(("pc-00", "system.disk", O, "/"))
    assert [t["Status"] for t in rt_tickets(rt, fp)] == ["resolved"]

    h.cycle(DISK, minutes=30)
    assert h.cycle(DISK).reopened  # inside the reopen window: the same ticket comes back
    assert [(t["id"], t["Status"]) for t in rt_tickets(rt, fp)] == [(key, "open")]
    assert not h.service.outbox.pending()


def test_lost_local_store_finds_the_existing_ticket(rt, make_harness, monkeypatch, tmp_path):
    settings = rt_settings(rt, monkeypatch, "rt-lost")
    h = make_harness(settings, db=tmp_path / "first.sqlite")
    h.cycle(DISK)
    h.cycle(DISK)
    fp = fp_of(h)
    [ticket] = rt_tickets(rt, fp)
    # The agent is reinstalled: a new, empty store (another file, another folder).
    again = make_harness(settings, db=tmp_path / "reinstalled" / "patrol.sqlite", clock=h.clock)
    again.cycle(DISK)
    assert again.cycle(DISK).opened  # locally it is new...
    assert [t["id"] for t in rt_tickets(rt, fp)] == [ticket["id"]]  # ...but RT has one ticket
    assert queries.open_tickets(again.store)[0].key == ticket["id"]
    assert "Comment" in rt_history(rt, ticket["id"])  # "found this ticket open again"


def test_rt_down_during_a_cycle_then_up_delivers_in_order(rt, make_harness, monkeypatch):
    h = make_harness(rt_settings(rt, monkeypatch, "rt-outage"))
    fp = fp_of(h)
    h.cycle(DISK)
    h.cycle(DISK)
    [ticket] = rt_tickets(rt, fp)
    key = ticket["id"]
    rt.stop()
    try:
        summary = h.cycle(("pc-00", "system.disk", O, "/"))  # carries on with RT gone
        summary = h.cycle(("pc-00", "system.disk", O, "/"))
        assert summary.resolved and summary.outbox_waiting == 1
        h.cycle(DISK)
        summary = h.cycle(DISK)  # reopened locally, queued behind the resolve
        assert summary.reopened and summary.outbox_waiting == 2
        [waiting, *_] = h.service.outbox.pending()
        assert waiting.op == "resolve" and "cannot connect" in waiting.last_error and waiting.attempts >= 1
    finally:
        rt.start()
    h.clock.advance(hours=1)  # past the backoff
    assert h.service.drain_outbox() == 2
    assert not h.service.outbox.pending()
    assert [(t["id"], t["Status"]) for t in rt_tickets(rt, fp)] == [(key, "open")]
    statuses = [entry for entry in rt_history(rt, key) if entry.startswith("Status")]
    assert statuses[-2:] == ["Status:resolved", "Status:open"]  # in the order they were decided
    assert h.service.drain_outbox() == 0  # nothing doubled


def test_switch_down_with_20_hosts_gives_one_rt_ticket(rt, make_harness, monkeypatch):
    h = make_harness(rt_settings(rt, monkeypatch, "rt-storm"), inventory=inventory_with_switch(20))
    hosts = [(f"pc-{i:02d}", "host.reachability", C) for i in range(20)]
    for _ in range(3):
        h.cycle(("sw1", "switch.reachability", C), *hosts)
    data = rt_get(rt, "/tickets", query="Subject LIKE 'on sw1' OR Subject LIKE 'on pc-'", fields="Subject,CF.{Patrol Fingerprint}")
    ours = [t for t in data["items"] if t["id"] in {str(t2.key) for t2 in queries.open_tickets(h.store)}]
    assert len(queries.open_tickets(h.store)) == 1 and len(ours) == 1
    assert ours[0]["Subject"] == "[rt-storm] CRIT switch.reachability on sw1"


def test_a_ticket_taken_in_rt_is_not_escalated(rt, make_harness, monkeypatch):
    h = make_harness(rt_settings(rt, monkeypatch, "rt-taken"))
    h.cycle(DISK)
    h.cycle(DISK)
    [ticket] = queries.open_tickets(h.store)
    reply = requests.put(f"{rt.url}/REST/2.0/ticket/{ticket.key}", json={"Owner": "root"}, headers=rt.headers,
                         timeout=10)
    assert reply.status_code == 200, reply.text
    h.clock.advance(hours=1)  # past the serious tier's 1 h response deadline
    assert not h.cycle(DISK).escalated
    [ticket] = queries.open_tickets(h.store)
    assert (ticket.status, ticket.acknowledged_by, ticket.response_breached) == ("acknowledged", "rt:root", False)


def test_wrong_token_is_a_clear_error_and_the_cycle_goes_on(rt, make_harness, monkeypatch):
    monkeypatch.setenv("PATROL_TEST_RT_TOKEN", "1-99-0123456789abcdef")
    settings = settings_with(site="rt-401", backend="rt", rt={"url": rt.url, "token": "env:PATROL_TEST_RT_TOKEN"})
    h = make_harness(settings)
    h.cycle(DISK)
    summary = h.cycle(DISK)
    assert summary.opened and summary.outbox_waiting == 1
    [op] = h.service.outbox.pending()
    assert op.last_error == "RT GET /tickets: HTTP 401, the token was refused (check rt.token)"
    with h.store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.tickets)).scalar_one() == 1


def test_a_ticket_reopened_at_another_tier_gets_the_new_priority_in_rt(rt, make_harness, monkeypatch):
    h = make_harness(rt_settings(rt, monkeypatch, "rt-reopen-tier", reopen_window_s=3600))
    fp = fp_of(h)
    for state in (W, W, O, O):  # general (40), then resolved
        h.cycle(("pc-00", "system.disk", state, "/"))
    [ticket] = rt_tickets(rt, fp)
    assert (ticket["Status"], int(ticket["Priority"])) == ("resolved", 40)
    h.cycle(DISK)
    assert h.cycle(DISK).reopened  # back as CRIT: serious
    assert not h.service.outbox.pending()
    [ticket] = rt_tickets(rt, fp)
    assert (ticket["Status"], int(ticket["Priority"])) == ("open", 70)


def rt_ticket(rt, key: str) -> dict:
    return rt_get(rt, f"/ticket/{key}")


def test_deadlines_owner_subject_customer_and_queue_in_rt_and_restored_after_a_lost_database(
        rt, make_harness, monkeypatch, tmp_path):
    from datetime import timedelta

    from inventory.models import Site

    monkeypatch.setenv("PATROL_TEST_RT_TOKEN", rt.token)
    settings = settings_with(site="rt-sla", backend="rt", rt={
        "url": rt.url, "token": "env:PATROL_TEST_RT_TOKEN", "customer_field": "Patrol Customer",
        "queue_per_customer": {"Acme Ltd": "Acme Support"}, "users": {"li.wei": "lwei"}})
    inventory = inventory_with_switch(3).model_copy(update={"site": Site(name="rt-sla", customer="Acme Ltd")})
    h = make_harness(settings, inventory=inventory, db=tmp_path / "first.sqlite")
    h.cycle(DISK)
    h.cycle(DISK)
    [local] = queries.open_tickets(h.store)
    ticket = rt_ticket(rt, local.key)
    assert ticket["Subject"] == "[rt-sla] CRIT system.disk [/] on pc-00"
    assert ticket["Queue"]["id"] in ("Acme Support", rt_queue_id(rt, "Acme Support"))
    assert custom_field(ticket, "Patrol Customer") == "Acme Ltd"
    # RT's Starts is the response deadline, Due the resolve deadline (serious: 1 h / 4 h), to the second.
    assert ticket["Starts"] == local.due_response.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ticket["Due"] == local.due_resolve.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert local.due_resolve - local.due_response == timedelta(hours=3)
    assert _owner_name(ticket) == "Nobody"

    h.clock.advance(minutes=20)
    h.service.acknowledge(local.number, "li.wei", "on my way")
    assert _owner_name(rt_ticket(rt, local.key)) == "lwei"

    # The local database is lost; the problem is still there. RT keeps one ticket, and Patrol takes its
    # deadlines and its acknowledgement back from RT instead of starting the SLA again.
    h.clock.advance(minutes=30)
    again = make_harness(settings, inventory=inventory, db=tmp_path / "reinstalled.sqlite", clock=h.clock)
    again.cycle(DISK)
    again.cycle(DISK)
    [restored] = queries.open_tickets(again.store)
    assert restored.key == local.key and len(rt_tickets(rt, local.fingerprint)) == 1
    assert (restored.due_response, restored.due_resolve) == (local.due_response, local.due_resolve)
    # Opened when RT created it (the tests' clock is not RT's: compare with RT's own Created).
    assert restored.opened_at.strftime("%Y-%m-%dT%H:%M:%SZ") == ticket["Created"]
    assert (restored.status, restored.acknowledged_by) == ("acknowledged", "rt:lwei")
    # Acknowledged in time (20 min after opening, respond within 1 h): it is not escalated later.
    again.clock.advance(minutes=30)
    assert not again.cycle(DISK).escalated


def test_a_reopened_ticket_gets_fresh_deadlines_in_rt(rt, make_harness, monkeypatch):
    h = make_harness(rt_settings(rt, monkeypatch, "rt-reopen-dates"))
    h.cycle(DISK)
    h.cycle(DISK)
    [first] = queries.open_tickets(h.store)
    h.cycle(("pc-00", "system.disk", O, "/"))
    h.cycle(("pc-00", "system.disk", O, "/"))
    h.cycle(DISK, minutes=60)
    assert h.cycle(DISK).reopened
    [again] = queries.open_tickets(h.store)
    assert again.due_response > first.due_response
    assert rt_ticket(rt, first.key)["Starts"] == again.due_response.strftime("%Y-%m-%dT%H:%M:%SZ")


def rt_queue_id(rt, name: str) -> str:
    return str(rt_get(rt, f"/queue/{name}")["id"])


def custom_field(ticket: dict, name: str) -> str | None:
    for field in ticket.get("CustomFields", []):
        if field.get("name") == name:
            values = field.get("values") or []
            return values[0] if values else None
    return None


def _owner_name(ticket: dict) -> str:
    owner = ticket["Owner"]
    return owner["id"] if isinstance(owner, dict) else owner


def test_the_issue_scenario_in_rt_one_ticket_through_fix_break_outage_and_a_lost_database(
        rt, make_harness, monkeypatch, tmp_path):
    """The issue's end-to-end run, counted in RT itself: a device with two problems (one ticket, grouping
    device), fixed, broken again (reopened, fresh Starts/Due), an RT outage in the middle (calls wait and go
    in order), then a lost local database (the same RT ticket, its deadlines kept) and an acknowledgement
    that sets the Owner."""
    monkeypatch.setenv("PATROL_TEST_RT_TOKEN", rt.token)
    settings = settings_with(site="rt-e2e", backend="rt", grouping="device",
                             rt={"url": rt.url, "token": "env:PATROL_TEST_RT_TOKEN", "users": {"li.wei": "lwei"}})
    cpu = ("pc-00", "system.cpu", C, "")
    ok_disk, ok_cpu = ("pc-00", "system.disk", O, "/"), ("pc-00", "system.cpu", O, "")

    def ours() -> list[dict]:
        return rt_get(rt, "/tickets", query="Subject LIKE '[rt-e2e]'", fields="Subject,Status,Starts,Due",
                      orderby="id")["items"]

    h = make_harness(settings, db=tmp_path / "first.sqlite")
    h.cycle(DISK, cpu)
    h.cycle(DISK, cpu)
    [ticket] = ours()
    assert ticket["Subject"].startswith("[rt-e2e] CRIT system.")  # opened for one problem, the other joined it
    first_starts = ticket["Starts"]
    h.cycle(ok_disk, ok_cpu)
    h.cycle(ok_disk, ok_cpu)
    assert [t["Status"] for t in ours()] == ["resolved"]
    h.cycle(DISK, ok_cpu, minutes=30)
    assert h.cycle(DISK, ok_cpu).reopened
    [ticket] = ours()
    assert ticket["Status"] == "open" and ticket["Starts"] > first_starts  # fresh deadlines with the reopen
    rt.stop()
    try:
        h.cycle(ok_disk, ok_cpu)
        assert h.cycle(ok_disk, ok_cpu).resolved
        h.cycle(DISK, cpu)
        assert h.cycle(DISK, cpu).outbox_waiting >= 2  # resolve and reopen wait, in order
    finally:
        rt.start()
    h.clock.advance(hours=1)
    h.service.drain_outbox()
    assert not h.service.outbox.pending()
    [ticket] = ours()
    assert ticket["Status"] == "open"
    kept = queries.open_tickets(h.store)[0]
    # The local database is lost.
    again = make_harness(settings, db=tmp_path / "reinstalled.sqlite", clock=h.clock)
    again.cycle(DISK, cpu)
    again.cycle(DISK, cpu)
    assert len(ours()) == 1
    [restored] = queries.open_tickets(again.store)
    assert restored.key == kept.key
    assert (restored.due_response, restored.due_resolve) == (kept.due_response, kept.due_resolve)
    again.service.acknowledge(restored.number, "li.wei")
    assert _owner_name(rt_ticket(rt, restored.key)) == "lwei" and len(ours()) == 1
