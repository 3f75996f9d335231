"""Loading and saving the engine's state: live findings, tickets, outbox rows, events.

One cycle's decisions are saved in one transaction: the finding rows, the ticket rows,
the outbox operations that carry them to the backend, the history events and the audit
entries are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.findings import FindingRecord
from agent.store import core
from agent.ticketing import numbers, schema
from agent.ticketing.engine import Audit, Event, Op, SilenceRule, TicketRecord
from collectors.base import State

_F = schema.findings
_T = schema.tickets

# FindingRecord attribute -> column, where the names differ.
_FINDING_COLUMNS = ("fingerprint", "site", "target", "check", "item", "status", "summary", "details", "first_seen",
                    "last_seen", "opened_at", "resolved_at", "bad_count", "ok_count", "ok_since", "streak_known",
                    "flapping", "held_reason", "ticket_fp", "last_comment_at", "pending_note")
_TICKET_COLUMNS = ("fingerprint", "kind", "site", "target", "check", "item", "title", "backend", "key", "url", "status",
                   "tier", "opened_at", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by",
                   "due_response", "due_resolve", "response_breached", "resolve_breached", "escalation_level",
                   "comments", "reopen_count", "flapping")


def _finding_row(record: FindingRecord) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in _FINDING_COLUMNS}
    row.update(severity=record.severity.value, worst_severity=record.worst.value, title=record.title,
               transitions=[t.isoformat() for t in record.transitions])
    return row


def _record_from_row(row: Any) -> FindingRecord:
    record = FindingRecord(
        fingerprint=row.fingerprint, site=row.site, target=row.target, check=row.check, item=row.item,
        status=row.status, severity=State(row.severity), worst=State(row.worst_severity), summary=row.summary,
        details=row.details, first_seen=row.first_seen, last_seen=row.last_seen, bad_count=row.bad_count,
        ok_count=row.ok_count, ok_since=row.ok_since, streak_known=bool(row.streak_known),
        flapping=bool(row.flapping), transitions=[datetime.fromisoformat(t) for t in row.transitions or ()],
        opened_at=row.opened_at, resolved_at=row.resolved_at, held_reason=row.held_reason, ticket_fp=row.ticket_fp,
        last_comment_at=row.last_comment_at, pending_note=row.pending_note, id=row.id)
    record.dirty = False
    return record


def _ticket_row(ticket: TicketRecord) -> dict[str, Any]:
    row = {name: getattr(ticket, name) for name in _TICKET_COLUMNS}
    row.update(severity=ticket.severity.value, suppressed=list(ticket.suppressed), grouped=list(ticket.grouped))
    return row


def ticket_from_row(row: Any) -> TicketRecord:
    values = {name: getattr(row, name) for name in _TICKET_COLUMNS}
    values.update(severity=State(row.severity), suppressed=list(row.suppressed or ()), grouped=list(row.grouped or ()),
                  response_breached=bool(row.response_breached), resolve_breached=bool(row.resolve_breached),
                  flapping=bool(row.flapping), id=row.id, dirty=False)
    return TicketRecord(**values)


def load_findings(engine: sa.Engine, site: str) -> list[FindingRecord]:
    query = sa.select(_F).where(_F.c.site == site, _F.c.status.in_(("pending", "open")))
    with engine.connect() as conn:
        return [_record_from_row(r) for r in conn.execute(query)]


def load_tickets(engine: sa.Engine, site: str, now: datetime, reopen_window_s: float) -> dict[str, TicketRecord]:
    """The latest ticket of every fingerprint that is active or closed within the reopen window."""
    since = now - timedelta(seconds=reopen_window_s)
    query = (sa.select(_T).where(_T.c.site == site, sa.or_(_T.c.status != "resolved", _T.c.resolved_at >= since))
             .order_by(_T.c.id))
    out: dict[str, TicketRecord] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            out[row.fingerprint] = ticket_from_row(row)  # later ids win
    return out


def load_ticket(engine: sa.Engine, site: str, ref: str) -> TicketRecord:
    """The ticket an engineer named: the backend's number (``RT #8``, ``#8``, ``8``) or a fingerprint prefix.

    Patrol's own row id is not accepted (it is not the number anyone sees). ``LookupError``
    when nothing matches, or when the text fits more than one ticket (``8`` being RT #8 and
    builtin #8, or a digit string that also begins another ticket's fingerprint): the
    engineer is asked to say which instead of Patrol guessing.
    """
    wanted = numbers.parse(ref)
    found: dict[int, Any] = {}
    with engine.connect() as conn:
        if wanted.key is not None:
            query = sa.select(_T).where(_T.c.site == site, _T.c.key == wanted.key)
            if wanted.backend is not None:
                query = query.where(_T.c.backend == wanted.backend)
            latest: dict[str, Any] = {}  # one ticket per backend: the newest row that carries the number
            for row in conn.execute(query.order_by(_T.c.id)):
                latest[row.backend] = row
            found.update((row.id, row) for row in latest.values())
        if wanted.fingerprint_prefix is not None:
            query = sa.select(_T).where(_T.c.site == site, _T.c.fingerprint.startswith(wanted.fingerprint_prefix))
            newest: dict[str, Any] = {}
            for row in conn.execute(query.order_by(_T.c.id)):
                newest[row.fingerprint] = row
            found.update((row.id, row) for row in newest.values())
    if not found:
        raise LookupError(f"no ticket {ref!r} (give the ticket system's number, e.g. RT #8, or a fingerprint "
                          f"prefix of {numbers.FINGERPRINT_PREFIX_MIN}+ characters)")
    if len(found) > 1:
        names = sorted(f"{numbers.label(r.backend, r.key, r.fingerprint)} (fingerprint {r.fingerprint[:12]}, "
                       f"{r.title})" for r in found.values())
        raise LookupError(f"{ref!r} is ambiguous, it could be: {'; '.join(names)}. Give the number with its "
                          "system (RT #8) or a longer fingerprint prefix")
    return ticket_from_row(next(iter(found.values())))


def load_silences(engine: sa.Engine, site: str, now: datetime) -> list[SilenceRule]:
    s = schema.silences
    query = sa.select(s).where(s.c.site == site, s.c.removed_at.is_(None), s.c.until > now)
    with engine.connect() as conn:
        return [SilenceRule(r.target, r.check, r.item, r.until, r.reason, r.starts_at) for r in conn.execute(query)]


def save(engine: sa.Engine, site: str, *, changed: Sequence[FindingRecord], finished: Sequence[FindingRecord],
         tickets: Iterable[TicketRecord], ops: Sequence[Op], events: Sequence[Event], audits: Sequence[Audit],
         now: datetime) -> None:
    dirty_tickets = [t for t in tickets if t.dirty]
    with engine.begin() as conn:
        _save_findings(conn, [*changed, *(r for r in finished if r.status != "discarded")])
        gone = [r.id for r in finished if r.status == "discarded" and r.id is not None]
        if gone:
            conn.execute(_F.delete().where(_F.c.id.in_(gone)))
        new = [t for t in dirty_tickets if t.id is None]
        if new:
            ids = conn.execute(_T.insert().returning(_T.c.id, sort_by_parameter_order=True),
                               [_ticket_row(t) for t in new]).scalars().all()
            for ticket, id_ in zip(new, ids):
                ticket.id = id_
        fresh = {id(t) for t in new}
        updates = [{"_id": t.id, **_ticket_row(t)} for t in dirty_tickets if id(t) not in fresh]
        if updates:
            # ``key``/``url`` are left out: the outbox sets them, maybe in another process.
            conn.execute(_T.update().where(_T.c.id == sa.bindparam("_id")),
                         [{k: v for k, v in u.items() if k not in ("key", "url")} for u in updates])
        if ops:
            conn.execute(schema.outbox.insert(), [{
                "site": site, "fingerprint": op.ticket.fingerprint, "ticket_id": op.ticket.id, "op": op.op,
                "payload": dict(op.payload), "created_at": now, "status": "pending", "attempts": 0,
                "next_attempt_at": now} for op in ops])
        if events:
            conn.execute(schema.events.insert(), [{
                "site": site, "fingerprint": e.fingerprint, "at": e.at, "kind": e.kind, "target": e.target,
                "check": e.check, "item": e.item, "detail": dict(e.detail)} for e in events])
        if audits:
            conn.execute(core.audit.insert(), [{
                "at": now, "site": site, "actor": a.actor, "action": a.action, "subject": a.subject,
                "detail": dict(a.detail)} for a in audits])
    for ticket in dirty_tickets:
        ticket.dirty = False


def _save_findings(conn: sa.Connection, records: Sequence[FindingRecord]) -> None:
    new = [r for r in records if r.id is None]
    old = [r for r in records if r.id is not None]
    if new:
        ids = conn.execute(_F.insert().returning(_F.c.id, sort_by_parameter_order=True),
                           [_finding_row(r) for r in new]).scalars().all()
        for record, id_ in zip(new, ids):
            record.id = id_
    if old:
        conn.execute(_F.update().where(_F.c.id == sa.bindparam("_id")),
                     [{"_id": r.id, **_finding_row(r)} for r in old])
