"""Read-only access to findings and tickets, for reports and the CLI.

This is the stable interface the reports (inspection report, quarterly fault analysis)
read; the engine writes the tables behind it (agent/ticketing/schema.py).

- ``findings_between(store, start, end)``: every finding episode that was active at some
  point in [start, end) (first_seen < end and (resolved_at is None or resolved_at >= start)),
  oldest first. Pending episodes (not yet opened) are left out unless ``include_pending``.
- ``tickets_between(store, start, end)``: every ticket active in [start, end), oldest first,
  with its SLA figures (tier, deadlines, when it was acknowledged/resolved, breaches).
- ``finding_events_between(store, start, end)``: the ordered history (opened, worsened,
  improved, flapping, suppressed, held, ticket_opened, ticket_reopened, commented,
  escalated, acknowledged, resolved, ...), for "recurring issues by type, device and site".

Times are timezone-aware UTC. Severities are ``collectors.base.State`` values (never
OK). Everything is scoped to ``store.site``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agent.ticketing import numbers, schema
from collectors.base import State


@dataclass(frozen=True, slots=True)
class Finding:
    """One episode of a problem: from the first bad result until it resolved."""

    fingerprint: str
    site: str
    check: str
    target: str
    item: str
    severity: State  # the latest non-OK state
    worst_severity: State
    title: str
    evidence: str  # the latest summary (and details) of the bad result
    first_seen: datetime
    last_seen: datetime
    status: str  # "pending" | "open" | "resolved"
    opened_at: datetime | None
    resolved_at: datetime | None
    flapping: bool
    held_reason: str | None  # why no ticket was opened (suppressed by X, silenced, maintenance, storm)
    ticket_fingerprint: str | None  # the ticket it belongs to (its own, or the storm summary's)

    @property
    def family(self) -> str:
        return self.check.split(".", 1)[0]

    @property
    def duration_s(self) -> float | None:
        if self.opened_at is None or self.resolved_at is None:
            return None
        return (self.resolved_at - self.opened_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket as the engine tracks it, with what SLA reporting needs."""

    id: int  # Patrol's row id: internal, never shown as a ticket number (see ``number``)
    fingerprint: str
    kind: str  # "finding" | "storm" (a summary ticket standing for many findings)
    backend: str  # builtin | rt | webhook
    key: str | None  # the backend's ticket id (None until the open call went through)
    url: str | None
    status: str  # "open" | "acknowledged" | "resolved"
    site: str
    target: str
    check: str
    item: str
    title: str
    severity: State
    priority: str  # the SLA tier name (urgent, serious, general, or configured ones)
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None  # "patrol" when recovery closed it, else the engineer
    due_response: datetime
    due_resolve: datetime
    response_breached: bool
    resolve_breached: bool
    escalation_level: int
    comments: int
    reopen_count: int
    flapping: bool
    suppressed: tuple[str, ...]  # targets whose tickets this one held back (it is their parent)

    @property
    def tier(self) -> str:
        return self.priority

    @property
    def number(self) -> str | None:
        """The ticket system's number as people write it (RT #8, #8 builtin); None while the open call is queued."""
        return numbers.display(self.backend, self.key, self.fingerprint)

    @property
    def label(self) -> str:
        return numbers.label(self.backend, self.key, self.fingerprint)

    @property
    def responded_at(self) -> datetime | None:
        return self.acknowledged_at

    @property
    def is_open(self) -> bool:
        return self.status != "resolved"


@dataclass(frozen=True, slots=True)
class FindingEvent:
    site: str
    fingerprint: str
    at: datetime
    kind: str
    target: str
    check: str
    item: str
    detail: Mapping[str, Any]


def finding_from_row(row: Any) -> Finding:
    evidence = row.summary + (f"\n{row.details}" if row.details else "")
    return Finding(
        fingerprint=row.fingerprint, site=row.site, check=row.check, target=row.target, item=row.item,
        severity=State(row.severity), worst_severity=State(row.worst_severity), title=row.title,
        evidence=evidence, first_seen=row.first_seen, last_seen=row.last_seen, status=row.status,
        opened_at=row.opened_at, resolved_at=row.resolved_at, flapping=bool(row.flapping),
        held_reason=row.held_reason, ticket_fingerprint=row.ticket_fp)


def ticket_from_row(row: Any) -> Ticket:
    return Ticket(
        id=row.id, fingerprint=row.fingerprint, kind=row.kind, backend=row.backend, key=row.key, url=row.url,
        status=row.status, site=row.site, target=row.target, check=row.check, item=row.item, title=row.title,
        severity=State(row.severity), priority=row.tier, opened_at=row.opened_at,
        acknowledged_at=row.acknowledged_at, acknowledged_by=row.acknowledged_by, resolved_at=row.resolved_at,
        resolved_by=row.resolved_by, due_response=row.due_response, due_resolve=row.due_resolve,
        response_breached=bool(row.response_breached), resolve_breached=bool(row.resolve_breached),
        escalation_level=row.escalation_level, comments=row.comments, reopen_count=row.reopen_count,
        flapping=bool(row.flapping), suppressed=tuple(row.suppressed or ()))


def findings_between(store: Any, start: datetime, end: datetime, *, include_pending: bool = False) -> list[Finding]:
    t = schema.findings
    query = sa.select(t).where(t.c.site == store.site, t.c.first_seen < end,
                               sa.or_(t.c.resolved_at.is_(None), t.c.resolved_at >= start))
    if not include_pending:
        query = query.where(t.c.status != "pending")
    with store.engine.connect() as conn:
        return [finding_from_row(r) for r in conn.execute(query.order_by(t.c.first_seen, t.c.id))]


def tickets_between(store: Any, start: datetime, end: datetime) -> list[Ticket]:
    t = schema.tickets
    query = sa.select(t).where(t.c.site == store.site, t.c.opened_at < end,
                               sa.or_(t.c.resolved_at.is_(None), t.c.resolved_at >= start))
    with store.engine.connect() as conn:
        return [ticket_from_row(r) for r in conn.execute(query.order_by(t.c.opened_at, t.c.id))]


def finding_events_between(store: Any, start: datetime, end: datetime) -> Iterator[FindingEvent]:
    t = schema.events
    query = (sa.select(t).where(t.c.site == store.site, t.c.at >= start, t.c.at < end)
             .order_by(t.c.at, t.c.id))
    with store.engine.connect() as conn:
        for r in conn.execute(query):
            yield FindingEvent(r.site, r.fingerprint, r.at, r.kind, r.target, r.check, r.item, r.detail or {})


def open_tickets(store: Any) -> list[Ticket]:
    t = schema.tickets
    query = sa.select(t).where(t.c.site == store.site, t.c.status != "resolved").order_by(t.c.id)
    with store.engine.connect() as conn:
        return [ticket_from_row(r) for r in conn.execute(query)]


def open_findings(store: Any) -> list[Finding]:
    t = schema.findings
    query = sa.select(t).where(t.c.site == store.site, t.c.status == "open").order_by(t.c.id)
    with store.engine.connect() as conn:
        return [finding_from_row(r) for r in conn.execute(query)]
