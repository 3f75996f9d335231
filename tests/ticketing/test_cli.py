"""`patrol tickets ...` on a store with real decisions in it; actions reach the audit log."""

from __future__ import annotations

import argparse
import json

import pytest
import sqlalchemy as sa

from agent.context import AppContext
from agent.ticketing import cli, cli_args, queries
from collectors.base import State
from tests.ticketing.conftest import settings_with

DISK = ("pc-00", "system.disk", State.CRIT, "/")


@pytest.fixture
def ctx_and_harness(make_harness):
    h = make_harness(settings_with())
    h.cycle(DISK)
    h.cycle(DISK)
    ctx = AppContext(h.service.settings, clock=h.clock, _store=h.store)
    return ctx, h


def tickets(argv: list[str], ctx, capsys) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli_args.add_parser(sub)
    code = cli.main(parser.parse_args(["tickets", *argv]), ctx)
    return code, capsys.readouterr().out


def test_list_and_show(ctx_and_harness, capsys):
    ctx, _ = ctx_and_harness
    code, out = tickets(["list"], ctx, capsys)
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:5] == ["ticket", "fingerprint", "status", "priority", "sev"]
    assert row.split()[0] == "#1" and row.split()[2:5] == ["open", "serious", "CRIT"]
    assert "system.disk [/] on pc-00" in row
    code, out = tickets(["list", "--json"], ctx, capsys)
    [doc] = json.loads(out)
    assert (doc["number"], doc["status"], doc["priority"], doc["severity"]) == ("#1", "open", "serious", "crit")
    assert "id" not in doc  # Patrol's row id is no ticket number
    code, out = tickets(["show", "1"], ctx, capsys)
    assert "Ticket #1  system.disk [/] on pc-00" in out and "ticket_opened" in out


def test_ack_comment_resolve_are_audited_with_the_user(ctx_and_harness, capsys):
    ctx, h = ctx_and_harness
    assert tickets(["ack", "1", "--user", "wang.fang", "--note", "on site at 10:00"], ctx, capsys)[0] == 0
    assert tickets(["comment", "1", "ordered a new disk", "--user", "wang.fang"], ctx, capsys)[0] == 0
    code, out = tickets(["resolve", "1", "--user", "wang.fang"], ctx, capsys)
    assert code == 0 and "resolve recorded as wang.fang" in out
    entries = [(e.action, e.actor) for e in h.store.audit_entries() if e.actor == "wang.fang"]
    assert sorted(entries) == [("ticket.ack", "wang.fang"), ("ticket.comment", "wang.fang"),
                               ("ticket.resolve", "wang.fang")]
    [ticket] = queries.tickets_between(h.store, h.clock.now.replace(year=2020), h.clock.now.replace(year=2030))
    assert ticket.status == "resolved" and ticket.resolved_by == "wang.fang" and ticket.comments == 1
    _, out = tickets(["show", "1"], ctx, capsys)
    assert "wang.fang: ordered a new disk" in out and "Acknowledged by wang.fang." in out
    code, out = tickets(["ack", "1"], ctx, capsys)
    assert code == 1 and "only open tickets can be acknowledged" in out
    code, out = tickets(["show", "999"], ctx, capsys)
    assert code == 1 and out.startswith("patrol tickets show: no ticket '999'")


def diverged(make_harness):
    """Patrol's row ids and the backend's numbers apart, as after a crash: seven older tickets in the backend."""
    from agent.ticketing import schema

    h = make_harness(settings_with())
    with h.store.engine.begin() as conn:
        for n in range(7):
            conn.execute(schema.builtin_tickets.insert().values(
                fingerprint=f"{n:016x}", subject="older", body="", status="resolved", priority="general",
                created_at=h.clock.now, updated_at=h.clock.now))
    h.cycle(DISK)
    h.cycle(DISK)
    return h, AppContext(h.service.settings, clock=h.clock, _store=h.store)


def test_the_backend_number_is_the_only_number(make_harness, capsys):
    """The issue's case: Patrol 1 is backend #8; "ack 1" must not act on anything, "ack 8" acts on #8."""
    h, ctx = diverged(make_harness)
    [ticket] = queries.open_tickets(h.store)
    assert (ticket.id, ticket.key, ticket.number) == (1, "8", "#8")
    code, out = tickets(["ack", "1", "--user", "li.na"], ctx, capsys)
    assert code == 1 and "no ticket '1'" in out
    assert queries.open_tickets(h.store)[0].status == "open"
    code, out = tickets(["ack", "#8", "--user", "li.na"], ctx, capsys)
    assert code == 0 and out.startswith("ticket #8 (system.disk [/] on pc-00): ack recorded as li.na")
    _, out = tickets(["list"], ctx, capsys)
    assert out.splitlines()[1].split()[0] == "#8"
    code, out = tickets(["show", ticket.fingerprint[:8]], ctx, capsys)
    assert code == 0 and "Ticket #8 " in out


def test_a_number_that_fits_two_tickets_is_refused(make_harness, capsys):
    """After a switch from the builtin store to RT, "8" may be builtin #8 and RT #8: Patrol asks which."""
    from agent.ticketing import schema

    h, ctx = diverged(make_harness)
    [ticket] = queries.open_tickets(h.store)
    with h.store.engine.begin() as conn:
        row = conn.execute(sa.select(schema.tickets).where(schema.tickets.c.id == ticket.id)).one()._asdict()
        row.update(id=None, backend="rt", fingerprint="f" * 32, title="switch.ports on sw1", status="resolved")
        conn.execute(schema.tickets.insert().values(**row))
    code, out = tickets(["show", "8"], ctx, capsys)
    assert code == 1 and "'8' is ambiguous" in out and "RT #8" in out and "#8 (fingerprint" in out
    code, out = tickets(["show", "RT #8"], ctx, capsys)
    assert code == 0 and "switch.ports on sw1" in out
    code, out = tickets(["show", "builtin 8"], ctx, capsys)
    assert code == 0 and "system.disk [/] on pc-00" in out


def test_a_queued_ticket_has_no_number_and_is_named_by_fingerprint(make_harness, capsys):
    from agent.ticketing.backends.rt import RtBackend

    h = make_harness(settings_with(), backend=RtBackend("http://127.0.0.1:9", "t", timeout_s=0.5))
    h.cycle(DISK)
    h.cycle(DISK)
    ctx = AppContext(h.service.settings, clock=h.clock, _store=h.store)
    [ticket] = queries.open_tickets(h.store)
    _, out = tickets(["list"], ctx, capsys)
    assert out.splitlines()[1].split()[:2] == ["(queued)", ticket.fingerprint[:12]]
    _, out = tickets(["outbox"], ctx, capsys)
    assert out.splitlines()[1].split()[1:3] == ["queued", ticket.fingerprint[:12]]
    code, out = tickets(["show", ticket.fingerprint[:10]], ctx, capsys)
    assert code == 0 and "Ticket (queued: not in rt yet)" in out


@pytest.mark.parametrize("text, key, backend, prefix", [
    ("RT #8", "8", "rt", None), ("rt#8", "8", "rt", None), ("#8", "8", None, None), ("8", "8", None, None),
    ("builtin 12", "12", "builtin", None), ("123456", "123456", None, "123456"), ("a1b2c3d4", None, None, "a1b2c3d4"),
])
def test_ticket_references(text, key, backend, prefix):
    from agent.ticketing import numbers

    assert numbers.parse(text) == numbers.Ref(key, backend, prefix)


@pytest.mark.parametrize("text", ["", "abc", "RT #", "#8; drop", "xyz123456"])
def test_ticket_references_refused(text):
    from agent.ticketing import numbers

    with pytest.raises(ValueError, match="is not a ticket number"):
        numbers.parse(text)


def test_outbox_lists_waiting_calls_with_their_error(make_harness, capsys):
    from agent.ticketing.backends.rt import RtBackend

    h = make_harness(settings_with(), backend=RtBackend("http://127.0.0.1:9", "t", timeout_s=0.5))
    h.cycle(DISK)
    h.cycle(DISK)
    ctx = AppContext(h.service.settings, clock=h.clock, _store=h.store)
    code, out = tickets(["outbox"], ctx, capsys)
    assert code == 0 and "open" in out and "cannot connect to http://127.0.0.1:9 (Connection refused)" in out
    _, out = tickets(["outbox", "--json"], ctx, capsys)
    assert json.loads(out)["pending"][0]["op"] == "open"


def test_silence_add_list_remove_holds_tickets(make_harness, capsys):
    h = make_harness(settings_with())
    ctx = AppContext(h.service.settings, clock=h.clock, _store=h.store)
    code, out = tickets(["silence", "add", "--target", "pc-00", "--check", "system.*", "--for", "2h",
                         "--reason", "disk swap", "--user", "li.na"], ctx, capsys)
    assert code == 0 and out.startswith("silence 1:")
    for _ in range(3):
        summary = h.cycle(DISK)
    assert summary.held and not summary.opened
    _, out = tickets(["silence", "list", "--json"], ctx, capsys)
    assert json.loads(out)[0]["reason"] == "disk swap"
    assert tickets(["silence", "remove", "1", "--user", "li.na"], ctx, capsys)[0] == 0
    assert h.cycle(DISK).opened
    assert {e.action for e in h.store.audit_entries() if e.actor == "li.na"} == {"silence.add", "silence.remove"}


@pytest.mark.parametrize("text, minutes", [("30m", 30), ("4h", 240), ("2d", 2880), ("1.5h", 90)])
def test_parse_duration(text, minutes):
    assert cli.parse_duration(text).total_seconds() == minutes * 60


def test_parse_duration_refuses_garbage():
    with pytest.raises(ValueError, match="use a number with m, h or d"):
        cli.parse_duration("soon")
