"""`patrol tickets ...` on a store with real decisions in it; actions reach the audit log."""

from __future__ import annotations

import argparse
import json

import pytest

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
    assert header.split()[:5] == ["id", "key", "status", "priority", "sev"]
    assert row.split()[:5] == ["1", "1", "open", "serious", "CRIT"] and "system.disk [/] on pc-00" in row
    code, out = tickets(["list", "--json"], ctx, capsys)
    [doc] = json.loads(out)
    assert (doc["id"], doc["status"], doc["priority"], doc["severity"]) == (1, "open", "serious", "crit")
    code, out = tickets(["show", "1"], ctx, capsys)
    assert "Ticket 1  system.disk [/] on pc-00" in out and "ticket_opened" in out


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
    assert tickets(["show", "999"], ctx, capsys) == (1, "patrol tickets show: no ticket '999'\n")


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
