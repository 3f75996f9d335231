"""The outbox: every backend call is a row first, sent later, in order, until it succeeds.

A row is written in the same transaction as the engine's decision, so a crash never
loses a call. ``drain()`` sends pending rows oldest first. Rows of one fingerprint keep
their order: while the first is waiting for a retry, the later ones wait behind it
(escalation notices, sent to their own endpoint, form a queue of their own).
A backend that is down (refused, timeout, 5xx) stops the drain and is retried with
exponential backoff; a call the backend refuses (401, 404, garbage) waits with backoff
too, but only its own fingerprint's queue does. Nothing is dropped: a row stays pending,
with its last error, until it goes through (``patrol tickets outbox`` shows them).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.ticketing import liveness, numbers, schema
from agent.ticketing.backends.base import BackendRejected, BackendUnavailable, NewTicket, RemoteTicket, TicketBackend

log = logging.getLogger(__name__)
_O = schema.outbox
_T = schema.tickets
# A claim's lease: longer than any backend call may take (each is cut off at its timeout_s).
# It only matters for a claimer on another host; a dead local one is noticed at once (liveness).
_LEASE = timedelta(minutes=5)
# Statements built once with bound parameters: building them per call with literal values
# cost more than SQLite itself (bench/ticketing.py).
_BY_ID = _O.c.id == sa.bindparam("_id")
_CLAIM = _O.update().where(_BY_ID, _O.c.status == "pending", _O.c.next_attempt_at == sa.bindparam("_seen"))
_DONE = _O.update().where(_BY_ID).values(status="done", last_error=None, claimed_by=None)
_SET_KEY = _T.update().where(_T.c.id == sa.bindparam("_id"))
_TICKET = sa.select(_T).where(_T.c.id == sa.bindparam("_id"))


@dataclass(frozen=True, slots=True)
class PendingOp:
    id: int
    fingerprint: str
    ticket_id: int  # Patrol's row id (internal)
    ticket: str  # the ticket's number in the backend (RT #8), or "queued <fingerprint>"
    op: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


def pending_ops(engine: sa.Engine, site: str, limit: int = 1000) -> list[PendingOp]:
    """Calls waiting to be sent, oldest first (what `patrol tickets outbox` shows)."""
    query = (sa.select(_O, _T.c.backend, _T.c.key).join(_T, _T.c.id == _O.c.ticket_id, isouter=True)
             .where(_O.c.site == site, _O.c.status == "pending").order_by(_O.c.id).limit(limit))
    with engine.connect() as conn:
        return [PendingOp(r.id, r.fingerprint, r.ticket_id, numbers.label(r.backend or "", r.key, r.fingerprint),
                          r.op, r.created_at, r.attempts, r.next_attempt_at, r.last_error)
                for r in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class DrainStats:
    """What one drain did, for the cycle's log line: how many went through, how many of those had
    waited through failures (the backend is back), the longest any of them had waited, and the
    last error of a call that failed."""

    sent: int = 0
    retried: int = 0  # sent after at least one failed attempt
    max_delay_s: float = 0.0  # queued -> sent, the longest among the sent
    failed: int = 0
    last_error: str | None = None


class Outbox:
    def __init__(self, engine: sa.Engine, site: str, backend: TicketBackend, *, clock: Callable[[], datetime],
                 retry_base_s: float = 30, retry_max_s: float = 3600, batch: int = 500,
                 reopen_window_s: float = 86400, notify: Callable[[dict[str, Any]], None] | None = None,
                 max_drain_s: float = 20):
        self.engine = engine
        self.site = site
        self.backend = backend
        self.clock = clock
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self.batch = batch
        self.reopen_window = timedelta(seconds=reopen_window_s)
        self.notify = notify
        self.max_drain_s = max_drain_s
        self.last_drain = DrainStats()
        self._identity: str | None = None
        # (op, outcome) -> count, since the last take_operations(); outcome: sent | unavailable | rejected | error.
        self.operations: Counter[tuple[str, str]] = Counter()

    def take_operations(self) -> dict[tuple[str, str], int]:
        """The call outcomes counted since the last take (a worker reports them, the supervisor sums them)."""
        taken, self.operations = dict(self.operations), Counter()
        return taken

    def oldest_pending_at(self) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.min(_O.c.created_at))
                                .where(_O.c.site == self.site, _O.c.status == "pending")).scalar_one()

    def last_error(self) -> str | None:
        """The most recent error among waiting calls: why the outbox is not moving."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(_O.c.last_error).where(
                _O.c.site == self.site, _O.c.status == "pending", _O.c.last_error.is_not(None))
                .order_by(_O.c.next_attempt_at.desc()).limit(1)).scalar()

    def pending(self, limit: int = 1000) -> list[PendingOp]:
        return pending_ops(self.engine, self.site, limit)

    def count_pending(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(_O)
                                .where(_O.c.site == self.site, _O.c.status == "pending")).scalar_one()

    def drain(self, *, force: bool = False) -> int:
        """Send what is due; returns how many calls went through (details in ``last_drain``). ``force``
        ignores backoff.

        Rows are read ``batch`` at a time (memory stays flat with a long backlog) until
        the queue is worked through or the backend turns out to be down.
        """
        self._stats = {"sent": 0, "retried": 0, "max_delay_s": 0.0, "failed": 0, "last_error": None}
        try:
            return self._drain(force)
        finally:
            self.last_drain = DrainStats(**self._stats)  # type: ignore[arg-type]

    def _outcome(self, row: Any, now: datetime, outcome: str, error: str | None = None) -> None:
        self.operations[(row.op, outcome)] += 1
        stats = self._stats
        if outcome == "sent":
            stats["sent"] += 1
            stats["retried"] += row.attempts > 0
            stats["max_delay_s"] = max(stats["max_delay_s"], (now - row.created_at).total_seconds())
        else:
            stats["failed"] += 1
            stats["last_error"] = error

    def _drain(self, force: bool) -> int:
        now = self.clock()
        stop_at = time.monotonic() + self.max_drain_s  # a slow backend must not hold the cycle
        blocked: set[str] = set()
        liveness_cache: dict[str, bool | None] = {}
        backend_down = False
        sent, last_id = 0, 0
        while time.monotonic() < stop_at:
            query = (sa.select(_O).where(_O.c.site == self.site, _O.c.status == "pending", _O.c.id > last_id)
                     .order_by(_O.c.id).limit(self.batch))
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return sent
            for row in rows:
                if time.monotonic() >= stop_at:
                    return sent
                last_id = row.id
                # Escalation notices go to their own endpoint: a ticket backend outage must not hold them.
                queue = f"notify:{row.fingerprint}" if row.op == "notify" else row.fingerprint
                if queue in blocked or (backend_down and row.op != "notify"):
                    continue
                if row.next_attempt_at > now and not force and not self._abandoned(row, liveness_cache):
                    blocked.add(queue)
                    continue
                if not self._claim(row, now):
                    blocked.add(queue)  # another process (patrol run, the CLI) is sending it
                    continue
                try:
                    opened = self._execute(row, now)
                except BackendUnavailable as exc:
                    self._failed(row, now, str(exc), "unavailable")
                    blocked.add(queue)
                    if row.op != "notify":
                        backend_down = True  # the rest would fail the same way; notices still go
                except BackendRejected as exc:
                    self._failed(row, now, str(exc), "rejected")
                    blocked.add(queue)
                except Exception as exc:  # a bug or an unexpected answer: keep the row, keep going
                    log.debug("outbox %s failed", row.id, exc_info=True)
                    self._failed(row, now, f"{type(exc).__name__}: {exc}", "error")
                    blocked.add(queue)
                else:
                    with self.engine.begin() as conn:  # the backend's key and "done" are kept together
                        if opened is not None:
                            conn.execute(_SET_KEY, {"_id": row.ticket_id, "key": opened.key, "url": opened.url})
                        conn.execute(_DONE, {"_id": row.id, "done_at": now, "attempts": row.attempts + 1})
                    self._outcome(row, now, "sent")
                    sent += 1
        return sent

    @property
    def identity(self) -> str:
        if self._identity is None:
            self._identity = liveness.identity()
        return self._identity

    def _abandoned(self, row: Any, cache: dict[str, bool | None]) -> bool:
        """A row claimed by a process that died mid-call (killed worker): take it over now, not after the lease."""
        claimer = row.claimed_by
        if not claimer or claimer == self.identity:
            return False
        if claimer not in cache:
            cache[claimer] = liveness.alive(claimer)
        if cache[claimer] is False:
            log.info("ticket call %s (%s) was claimed by %s, which is gone: sending it now", row.id, row.op, claimer)
            return True
        return False

    def _claim(self, row: Any, now: datetime) -> bool:
        """Take the row for this process: its next attempt moves a lease ahead and the row names this process,
        only if nobody else moved it meanwhile.

        A process that dies mid-call leaves the row pending and claimed: the next drain elsewhere sees
        the claimer is gone and takes it over (a claimer on another host: when the lease ends).
        """
        with self.engine.begin() as conn:
            return conn.execute(_CLAIM, {"_id": row.id, "_seen": row.next_attempt_at,
                                         "next_attempt_at": now + _LEASE, "claimed_by": self.identity}).rowcount == 1

    def _failed(self, row: Any, now: datetime, message: str, outcome: str) -> None:
        delay = min(self.retry_base_s * (2 ** min(row.attempts, 30)), self.retry_max_s)
        self._outcome(row, now, outcome, message)
        ticket = self._ticket(row.ticket_id)
        name = numbers.label(ticket.backend, ticket.key, row.fingerprint) if ticket is not None else row.fingerprint[:12]
        log.warning("ticket %s %s failed (attempt %d, next in %.0f s): %s",
                    name, row.op, row.attempts + 1, delay, message)
        with self.engine.begin() as conn:
            conn.execute(_O.update().where(_O.c.id == row.id).values(
                attempts=row.attempts + 1, next_attempt_at=now + timedelta(seconds=delay), last_error=message[:500],
                claimed_by=None))

    def _ticket(self, ticket_id: int) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(_TICKET, {"_id": ticket_id}).first()

    def _set_key(self, ticket_id: int, key: str, url: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(_SET_KEY, {"_id": ticket_id, "key": key, "url": url})

    def _execute(self, row: Any, now: datetime) -> RemoteTicket | None:
        """Send one row; returns the backend's ticket when this call opened (or found) it."""
        payload, fp = row.payload, row.fingerprint
        if row.op == "notify":
            if self.notify is not None:
                self.notify(payload)
            return None
        ticket = self._ticket(row.ticket_id)
        if ticket is None:
            raise BackendRejected(f"local ticket {row.ticket_id} is gone")
        remember = getattr(self.backend, "remember", None)
        if remember is not None:  # a backend that repeats the target/check/site on every event
            remember(fp, site=ticket.site, target=ticket.target, check=ticket.check, severity=ticket.severity)
        if row.op == "open":
            return self._open(row, ticket, payload, now)
        key = ticket.key
        if key is None:  # the open went through in an earlier life of this database
            remote = self.backend.find(fp, resolved_since=now - self.reopen_window)
            if remote is None:
                raise BackendRejected(f"no ticket for {fp[:12]} in {self.backend.name} yet")
            key = remote.key
            self._set_key(row.ticket_id, key, remote.url)
        text = payload.get("text", "")
        if row.op == "comment":
            self.backend.comment(key, fp, text)
        elif row.op == "priority":
            self.backend.set_priority(key, fp, payload["tier"], int(payload["level"]))
        elif row.op == "resolve":
            self.backend.resolve(key, fp, text)
        elif row.op == "reopen":
            self.backend.reopen(key, fp, text)
            set_deadlines = getattr(self.backend, "set_deadlines", None)
            if set_deadlines is not None:  # fresh deadlines come with a reopen
                set_deadlines(key, ticket.due_response, ticket.due_resolve)
        elif row.op == "ack":
            self.backend.acknowledge(key, fp, text)
            take = getattr(self.backend, "take", None)
            if take is not None and payload.get("by"):
                take(key, payload["by"])
        else:
            raise BackendRejected(f"unknown outbox operation {row.op!r}")
        return None

    def _open(self, row: Any, ticket: Any, payload: dict[str, Any], now: datetime) -> RemoteTicket:
        fp = row.fingerprint
        # Look in the backend first: a ticket opened before the local database was lost, or
        # an earlier attempt whose answer never arrived, is reused rather than doubled.
        remote = self.backend.find(fp, resolved_since=now - self.reopen_window)
        if remote is not None and remote.status == "active":
            self.backend.comment(remote.key, fp, "Patrol found this ticket open again; the problem persists.\n\n"
                                 + payload["body"])
            self._restore(row.ticket_id, remote, now)
        elif remote is not None:
            self.backend.reopen(remote.key, fp, "Back within the reopen window.\n\n" + payload["body"])
        else:
            remote = self.backend.open(NewTicket(
                fingerprint=fp, subject=payload["subject"], body=payload["body"], tier=payload["tier"],
                level=int(payload["level"]), severity=payload["severity"], site=ticket.site, target=ticket.target,
                check=ticket.check, item=ticket.item, due_response=ticket.due_response,
                due_resolve=ticket.due_resolve))
        return remote

    def _restore(self, ticket_id: int, remote: RemoteTicket, now: datetime) -> None:
        """A ticket found open in the backend (the local database was lost): keep its deadlines, opening time
        and owner, so its SLA does not restart and its acknowledgement is not forgotten."""
        values: dict[str, Any] = {}
        if remote.opened_at is not None:
            values["opened_at"] = remote.opened_at
        if remote.due_response is not None:
            values["due_response"] = remote.due_response
        if remote.due_resolve is not None:
            values["due_resolve"] = remote.due_resolve
        if remote.owner:
            values.update(status="acknowledged", acknowledged_at=remote.taken_at or now,
                          acknowledged_by=f"{self.backend.name}:{remote.owner}")
        if values:
            with self.engine.begin() as conn:
                conn.execute(_T.update().where(_T.c.id == ticket_id, _T.c.status == "open").values(**values))
