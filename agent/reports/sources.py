"""Findings and tickets from the ticketing component (agent/ticketing/queries.py).

Reports read ticketing only through its published queries module and only when the
store holds ticketing's tables; otherwise they still work: findings come from result
history (build.py) and the ticket sections say that no ticket data exists.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True)
class FindingRecord:
    fingerprint: str
    check: str
    target: str
    item: str
    severity: str  # warn | crit | unknown
    title: str
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class TicketRecord:
    key: str  # the ticket system's number as people write it (RT #8); "" before the ticket reached it
    fingerprint: str
    target: str
    title: str
    priority: str  # the SLA tier name
    status: str
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    due_response: datetime | None
    due_resolve: datetime | None


def _queries(store: Any) -> Any | None:
    if store is None:
        return None
    try:
        queries = importlib.import_module("agent.ticketing.queries")
    except ImportError:  # a build without ticketing
        return None
    if not sa.inspect(store.engine).has_table("tickets"):  # store opened without the ticketing component
        return None
    return queries


def findings_between(store: Any, start: datetime, end: datetime) -> list[FindingRecord] | None:
    """Finding episodes active in [start, end), or None when ticketing is absent."""
    queries = _queries(store)
    if queries is None:
        return None
    return [FindingRecord(fingerprint=f.fingerprint, check=f.check, target=f.target, item=f.item,
                          severity=f.severity.value, title=f.title, first_seen=f.first_seen, last_seen=f.last_seen,
                          resolved_at=f.resolved_at)
            for f in queries.findings_between(store, start, end)]


def tickets_between(store: Any, start: datetime, end: datetime) -> list[TicketRecord] | None:
    """Tickets active in [start, end), or None when ticketing is absent."""
    queries = _queries(store)
    if queries is None:
        return None
    # The ticket system's number (RT #8); "" while the open call is still queued. Never Patrol's row id.
    return [TicketRecord(key=t.number or "", fingerprint=t.fingerprint, target=t.target, title=t.title,
                         priority=t.priority, status=t.status, opened_at=t.opened_at,
                         acknowledged_at=t.acknowledged_at, resolved_at=t.resolved_at, due_response=t.due_response,
                         due_resolve=t.due_resolve)
            for t in queries.tickets_between(store, start, end)]
