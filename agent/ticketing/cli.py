"""`patrol tickets ...`: list, show, ack, resolve, comment, outbox, silence.

Every engineer action is written to the audit log with the engineer's name (``--user``,
default the login name). Output is a rich table on a terminal, plain columns otherwise,
and JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.textsafe import plain_text, terminal_text
from agent.ticketing import queries, schema, sla
from agent.ticketing.state import load_ticket
from collectors.base import State

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _console() -> Any:
    from rich.console import Console

    return Console()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, State):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _as_json(obj: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _ticket_json(ticket: queries.Ticket) -> dict[str, Any]:
    """A ticket for --json: its number is the ticket system's; Patrol's row id is left out (it is no number)."""
    doc = _as_json(ticket)
    del doc["id"]
    return {"number": ticket.number, **doc}


def _print_table(console: Any, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    if console.is_terminal:
        from rich.table import Table

        table = Table(*headers)
        for row in rows:
            table.add_row(*(terminal_text(cell) for cell in row))  # device text: never markup
        console.print(table)
        return
    rows = [[plain_text(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    for row in (headers, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _sla_note(outcome: str) -> str:
    return {"met": " (met)", "breached": " (missed)"}.get(outcome, "")


def _when(at: datetime | None) -> str:
    """A time with its zone (the store keeps UTC): "2026-11-03 08:15 UTC", never ambiguous."""
    return f"{at:%Y-%m-%d %H:%M} {at.tzname() or 'UTC'}" if at else "-"


def _user(args: argparse.Namespace) -> str:
    return args.user or getpass.getuser()


# --- commands ------------------------------------------------------------------------------

def main(args: argparse.Namespace, ctx: Any) -> int:
    command = args.tickets_command
    try:
        if command == "list":
            return _list(args, ctx)
        if command == "show":
            return _show(args, ctx)
        if command in ("ack", "resolve", "comment"):
            return _act(args, ctx)
        if command == "outbox":
            return _outbox(args, ctx)
        if command == "silence":
            return _silence(args, ctx)
    except (LookupError, ValueError) as exc:
        print(f"patrol tickets {command}: {exc}")
        return EXIT_ERROR
    raise AssertionError(f"unhandled tickets command {command}")


def _list(args: argparse.Namespace, ctx: Any) -> int:
    t = schema.tickets
    query = sa.select(t).where(t.c.site == ctx.store.site)
    if not args.all:
        query = query.where(t.c.status != "resolved")
    with ctx.store.engine.connect() as conn:
        tickets = [queries.ticket_from_row(r) for r in conn.execute(query.order_by(t.c.id.desc()).limit(args.limit))]
    if args.json:
        print(json.dumps([_ticket_json(x) for x in tickets], indent=2, ensure_ascii=False))
        return EXIT_OK
    now = ctx.clock()
    rows = []
    for x in tickets:
        due = x.due_resolve if x.acknowledged_at else x.due_response
        late = " LATE" if x.is_open and now > due else ""
        rows.append([x.number or "(queued)", x.fingerprint[:12], x.status, x.priority, x.severity.value.upper(),
                     x.title, _when(x.opened_at), (_when(due) + late) if x.is_open else _when(x.resolved_at)])
    console = _console()
    if not rows:
        print("no open tickets" if not args.all else "no tickets")
        return EXIT_OK
    _print_table(console, ["ticket", "fingerprint", "status", "priority", "sev", "title", "opened",
                           "due / resolved"], rows)
    return EXIT_OK


def _show(args: argparse.Namespace, ctx: Any) -> int:
    record = load_ticket(ctx.store.engine, ctx.store.site, args.ticket)
    t = schema.tickets
    with ctx.store.engine.connect() as conn:
        ticket = queries.ticket_from_row(conn.execute(sa.select(t).where(t.c.id == record.id)).one())
        e = schema.events
        events = conn.execute(sa.select(e).where(e.c.site == ctx.store.site, e.c.fingerprint == ticket.fingerprint)
                              .order_by(e.c.id)).all()
    comments: list[tuple[datetime, str]] = []
    if ticket.backend == "builtin" and ticket.key:
        from agent.ticketing.backends.builtin import BuiltinBackend

        comments = BuiltinBackend(ctx.store.engine).comments(ticket.key)
    if args.json:
        doc = _ticket_json(ticket) | {
            "events": [{"at": ev.at.isoformat(), "kind": ev.kind, "detail": ev.detail} for ev in events],
            "backend_comments": [{"at": at.isoformat(), "text": text} for at, text in comments]}
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return EXIT_OK
    console = _console()
    status = sla.sla_status(due_response=ticket.due_response, due_resolve=ticket.due_resolve,
                            acknowledged_at=ticket.acknowledged_at, resolved_at=ticket.resolved_at, now=ctx.clock())
    lines = [
        f"Ticket {ticket.number or '(queued: not in ' + ticket.backend + ' yet)'}  {ticket.title}",
        f"  backend {ticket.backend}" + (f"  {ticket.url}" if ticket.url else ""),
        f"  status {ticket.status}  priority {ticket.priority}  severity {ticket.severity.value.upper()}",
        f"  opened {_when(ticket.opened_at)}  respond by {_when(ticket.due_response)}{_sla_note(status.response)}"
        f"  resolve by {_when(ticket.due_resolve)}{_sla_note(status.resolve)}",
        f"  acknowledged {_when(ticket.acknowledged_at)} {ticket.acknowledged_by or ''}".rstrip(),
        f"  resolved {_when(ticket.resolved_at)} {ticket.resolved_by or ''}".rstrip(),
        f"  fingerprint {ticket.fingerprint}  reopened {ticket.reopen_count}x  comments {ticket.comments}"
        + ("  FLAPPING" if ticket.flapping else ""),
    ]
    if ticket.suppressed:
        lines.append(f"  holding tickets of: {', '.join(ticket.suppressed)}")
    for line in lines:
        console.print(plain_text(line), markup=False, highlight=False)
    if events:
        console.print("History:", markup=False)
        for ev in events:
            detail = ", ".join(f"{k}={v}" for k, v in (ev.detail or {}).items() if v not in (None, ""))
            console.print(plain_text(f"  {_when(ev.at)}  {ev.kind}  {detail}"), markup=False, highlight=False)
    if comments:
        console.print("Comments:", markup=False)
        for at, text in comments:
            # plain_text per line: a comment keeps its lines, never an escape sequence
            console.print(f"  {_when(at)}  " + "\n    ".join(plain_text(t) for t in text.split("\n")),
                          markup=False, highlight=False)
    return EXIT_OK


def _act(args: argparse.Namespace, ctx: Any) -> int:
    from agent.ticketing.service import TicketingService

    service = TicketingService.from_context(ctx)
    user = _user(args)
    if args.tickets_command == "ack":
        ticket = service.acknowledge(args.ticket, user, args.note)
    elif args.tickets_command == "resolve":
        ticket = service.resolve(args.ticket, user, args.note)
    else:
        ticket = service.comment(args.ticket, user, args.text)
    waiting = service.outbox.count_pending()
    print(f"ticket {ticket.label} ({plain_text(ticket.title)}): {args.tickets_command} recorded as {user}"
          + (f"; {waiting} backend call(s) waiting in the outbox" if waiting else ""))
    return EXIT_OK


def _outbox(args: argparse.Namespace, ctx: Any) -> int:
    from agent.ticketing.outbox import pending_ops

    sent = None
    if args.drain:
        from agent.ticketing.service import TicketingService

        service = TicketingService.from_context(ctx)
        sent = service.drain_outbox(force=args.force)
        ctx.store.audit("outbox.drain", "outbox", {"sent": sent, "force": args.force}, actor=getpass.getuser())
        pending = service.outbox.pending()
    else:
        pending = pending_ops(ctx.store.engine, ctx.store.site)
    if args.json:
        print(json.dumps({"sent": sent, "pending": [_as_json(p) for p in pending]}, indent=2, ensure_ascii=False))
        return EXIT_OK
    if sent is not None:
        print(f"sent {sent} call(s)")
    if not pending:
        print("outbox empty: nothing waiting")
        return EXIT_OK
    rows = [[str(p.id), p.ticket, p.op, p.fingerprint[:12], _when(p.created_at), str(p.attempts),
             _when(p.next_attempt_at), p.last_error or ""] for p in pending]
    _print_table(_console(), ["call", "ticket", "op", "fingerprint", "queued", "tries", "next try", "last error"], rows)
    return EXIT_OK


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$")


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise ValueError(f"duration {text!r}: use a number with m, h or d (30m, 4h, 2d)")
    value, unit = float(match.group(1)), match.group(2)
    return timedelta(minutes=value) if unit == "m" else timedelta(hours=value) if unit == "h" else timedelta(days=value)


def _silence(args: argparse.Namespace, ctx: Any) -> int:
    s = schema.silences
    now = ctx.clock()
    if args.silence_command == "add":
        if (args.duration is None) == (args.until is None):
            raise ValueError("give exactly one of --for or --until")
        until = now + parse_duration(args.duration) if args.duration else datetime.fromisoformat(args.until)
        if until.tzinfo is None:
            raise ValueError("--until needs a time zone, e.g. 2026-05-01T18:00:00+08:00")
        values = {"site": ctx.store.site, "target": args.target, "check": args.check, "item": args.item,
                  "until": until, "reason": args.reason, "created_by": _user(args), "created_at": now}
        with ctx.store.engine.begin() as conn:
            silence_id = conn.execute(s.insert().values(**values)).inserted_primary_key[0]
        ctx.store.audit("silence.add", f"{args.target} {args.check} {args.item}",
                        {"id": silence_id, "until": until.isoformat(), "reason": args.reason}, actor=_user(args))
        print(f"silence {silence_id}: {args.target} / {args.check} / {args.item} until {_when(until)}")
        return EXIT_OK
    if args.silence_command == "remove":
        with ctx.store.engine.begin() as conn:
            done = conn.execute(s.update().where(s.c.id == args.id, s.c.site == ctx.store.site,
                                                 s.c.removed_at.is_(None)).values(removed_at=now)).rowcount
        if not done:
            raise LookupError(f"no active silence {args.id}")
        ctx.store.audit("silence.remove", str(args.id), {"id": args.id}, actor=_user(args))
        print(f"silence {args.id} removed")
        return EXIT_OK
    with ctx.store.engine.connect() as conn:
        rows = conn.execute(sa.select(s).where(s.c.site == ctx.store.site, s.c.removed_at.is_(None), s.c.until > now)
                            .order_by(s.c.id)).all()
    configured = [c for c in ctx.settings.ticketing.silences if c.until > now]
    if args.json:
        print(json.dumps([{"id": r.id, "target": r.target, "check": r.check, "item": r.item,
                           "from": r.starts_at.isoformat() if r.starts_at else None,
                           "until": r.until.isoformat(), "reason": r.reason, "by": r.created_by} for r in rows]
                         + [{"id": None, "source": "config", **c.model_dump(mode="json")} for c in configured],
                         indent=2, ensure_ascii=False))
        return EXIT_OK
    table = [[str(r.id), r.target, r.check, r.item,
              f"{_when(r.starts_at)} - {_when(r.until)}" if r.starts_at else _when(r.until), r.created_by, r.reason]
             for r in rows]
    table += [["config", c.target, c.check, c.item, _when(c.until), "-", c.reason] for c in configured]
    if not table:
        print("no active silences")
        return EXIT_OK
    _print_table(_console(), ["id", "target", "check", "item", "until", "by", "reason"], table)
    return EXIT_OK
