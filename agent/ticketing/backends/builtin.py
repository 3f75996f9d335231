"""The embedded backend: tickets in Patrol's own store (the default, no server needed).

Engineers work them with ``patrol tickets list|show|ack|resolve|comment``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from agent.ticketing import schema
from agent.ticketing.backends.base import NewTicket, RemoteTicket
from collectors.base import utcnow

_T = schema.builtin_tickets
_C = schema.builtin_comments
# Built once with bound parameters (cheaper than literal values per call).
_LATEST = sa.select(_T).where(_T.c.fingerprint == sa.bindparam("fp")).order_by(_T.c.id.desc()).limit(1)
_UPDATE = _T.update().where(_T.c.id == sa.bindparam("_id"))


class BuiltinBackend:
    name = "builtin"

    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.clock = clock

    def find(self, fingerprint: str, *, resolved_since: datetime | None) -> RemoteTicket | None:
        with self.engine.connect() as conn:
            row = conn.execute(_LATEST, {"fp": fingerprint}).first()
        if row is None:
            return None
        if row.status != "resolved":
            return RemoteTicket(str(row.id), "active")
        if resolved_since is not None and row.resolved_at is not None and row.resolved_at >= resolved_since:
            return RemoteTicket(str(row.id), "resolved", resolved_at=row.resolved_at)
        return None

    def open(self, ticket: NewTicket) -> RemoteTicket:
        now = self.clock()
        with self.engine.begin() as conn:
            key = conn.execute(_T.insert(), {
                "fingerprint": ticket.fingerprint, "subject": ticket.subject, "body": ticket.body, "status": "new",
                "priority": ticket.tier, "created_at": now, "updated_at": now}).inserted_primary_key[0]
        return RemoteTicket(str(key), "active")

    def _update(self, key: str, text: str | None, **values: object) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            if values:
                conn.execute(_UPDATE, {"_id": int(key), "updated_at": now, **values})
            if text:
                conn.execute(_C.insert(), {"ticket_id": int(key), "at": now, "text": text})

    def comment(self, key: str, fingerprint: str, text: str) -> None:
        self._update(key, text)

    def set_priority(self, key: str, fingerprint: str, tier: str, level: int) -> None:
        self._update(key, None, priority=tier)

    def resolve(self, key: str, fingerprint: str, text: str) -> None:
        self._update(key, text, status="resolved", resolved_at=self.clock())

    def reopen(self, key: str, fingerprint: str, text: str) -> None:
        self._update(key, text, status="open", resolved_at=None)

    def acknowledge(self, key: str, fingerprint: str, text: str) -> None:
        self._update(key, text, status="open")

    def comments(self, key: str) -> list[tuple[datetime, str]]:
        with self.engine.connect() as conn:
            return [(r.at, r.text) for r in conn.execute(
                sa.select(_C).where(_C.c.ticket_id == int(key)).order_by(_C.c.id))]
