"""Sending queued notifications: in order per channel, within each channel's rate, retried until sent.

A row is claimed (its ``next_attempt_at`` moved past a lease) before it is sent, so two
processes draining the same store do not send it twice. Per channel, rows go oldest
first; once one fails or the channel has used its messages of the last minute, the
channel's later rows wait for the next drain (order kept, platform limits respected:
WeCom and DingTalk allow 20 a minute per robot, Feishu 100). The minute is counted from
the rows sent (``sent_at``), so it holds across processes and restarts.

A platform's own "too fast" answer (DingTalk 130101, WeCom 45009, Feishu 11232) waits
the platform's penalty and does not count as a failed attempt; other failures back off
exponentially. Nothing is dropped: ``patrol notify queue`` shows what waits and why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from agent.notify import message, schema
from agent.notify.channels.base import Channel, ChannelRateLimited, DeliveryFailed

log = logging.getLogger(__name__)
_Q = schema.queue
_LEASE = timedelta(minutes=5)
_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class QueuedRow:
    id: int
    channel: str
    event: str
    dedup: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


@dataclass(frozen=True, slots=True)
class DrainResult:
    sent: int = 0
    failed: int = 0
    rate_limited: int = 0
    waiting: int = 0

    @property
    def outcomes(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "rate_limited": self.rate_limited}


def pending(engine: sa.Engine, site: str, limit: int = 1000) -> list[QueuedRow]:
    query = sa.select(_Q).where(_Q.c.site == site, _Q.c.status == "pending").order_by(_Q.c.id).limit(limit)
    with engine.connect() as conn:
        return [QueuedRow(r.id, r.channel, r.event, r.dedup, r.created_at, r.attempts, r.next_attempt_at, r.last_error)
                for r in conn.execute(query)]


def counts(engine: sa.Engine, site: str) -> dict[tuple[str, str], int]:
    """(channel, status) -> rows; what /metrics and `patrol notify queue` summarise."""
    query = (sa.select(_Q.c.channel, _Q.c.status, sa.func.count()).where(_Q.c.site == site)
             .group_by(_Q.c.channel, _Q.c.status))
    with engine.connect() as conn:
        return {(c, s): n for c, s, n in conn.execute(query)}


class NotifyQueue:
    def __init__(self, engine: sa.Engine, site: str, channels: Mapping[str, Channel], *,
                 clock: Callable[[], datetime], retry_base_s: float = 30, retry_max_s: float = 3600,
                 max_drain_s: float = 20):
        self.engine, self.site, self.channels, self.clock = engine, site, channels, clock
        self.retry_base_s, self.retry_max_s, self.max_drain_s = retry_base_s, retry_max_s, max_drain_s
        self.totals: dict[tuple[str, str], int] = {}  # (channel, outcome) -> count, for metrics

    def take_totals(self) -> list[list[object]]:
        """[[channel, outcome, count], ...] since the previous call (the worker's report sums nothing twice)."""
        totals, self.totals = self.totals, {}
        return [[channel, outcome, n] for (channel, outcome), n in sorted(totals.items())]

    def _count(self, channel: str, outcome: str) -> None:
        self.totals[(channel, outcome)] = self.totals.get((channel, outcome), 0) + 1

    def _sent_in_window(self, conn: sa.Connection, channel: str, now: datetime) -> int:
        return conn.execute(sa.select(sa.func.count()).where(_Q.c.channel == channel, _Q.c.status == "done",
                                                             _Q.c.sent_at > now - _WINDOW)).scalar() or 0

    def drain(self) -> DrainResult:
        started = time.monotonic()
        now = self.clock()
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(_Q).where(_Q.c.site == self.site, _Q.c.status == "pending",
                                                    _Q.c.next_attempt_at <= now).order_by(_Q.c.id).limit(1000)).all()
            # A row waiting for its retry (it failed: last_error set) holds its channel's later
            # rows back, so messages keep their order; a row held for quiet hours does not.
            retrying = dict(conn.execute(
                sa.select(_Q.c.channel, sa.func.min(_Q.c.id)).where(
                    _Q.c.site == self.site, _Q.c.status == "pending", _Q.c.next_attempt_at > now,
                    _Q.c.last_error.is_not(None)).group_by(_Q.c.channel)).all())
        blocked: set[str] = set()
        sent = failed = limited = waiting = 0
        for row in rows:
            behind = row.channel in retrying and row.id > retrying[row.channel]
            if behind or row.channel in blocked or time.monotonic() - started > self.max_drain_s:
                waiting += 1
                continue
            channel = self.channels.get(row.channel)
            if channel is None:  # removed from the config: kept, shown, sent if it comes back
                blocked.add(row.channel)
                waiting += 1
                continue
            now = self.clock()
            with self.engine.begin() as conn:
                if self._sent_in_window(conn, row.channel, now) >= channel.rate_per_minute:
                    blocked.add(row.channel)
                    waiting += 1
                    continue
                claimed = conn.execute(_Q.update().where(_Q.c.id == row.id, _Q.c.status == "pending",
                                                         _Q.c.next_attempt_at == row.next_attempt_at)
                                       .values(next_attempt_at=now + _LEASE)).rowcount
            if not claimed:
                continue  # another process has it
            try:
                channel.send(message.from_json(row.payload))
            except ChannelRateLimited as exc:
                self._retry(row.id, row.attempts, str(exc), now + timedelta(seconds=exc.retry_after_s))
                blocked.add(row.channel)
                limited += 1
                self._count(row.channel, "rate_limited")
                log.warning("notification %s held: %s", row.id, exc)
                continue
            except DeliveryFailed as exc:
                delay = min(self.retry_base_s * 2 ** row.attempts, self.retry_max_s)
                self._retry(row.id, row.attempts + 1, str(exc), now + timedelta(seconds=delay))
                blocked.add(row.channel)
                failed += 1
                self._count(row.channel, "failed")
                log.warning("notification %s not sent (attempt %d, next in %.0f s): %s", row.id, row.attempts + 1,
                            delay, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - a bug in one channel must not stop the others
                delay = min(self.retry_base_s * 2 ** row.attempts, self.retry_max_s)
                self._retry(row.id, row.attempts + 1, f"{type(exc).__name__}: {exc}"[:300],
                            now + timedelta(seconds=delay))
                blocked.add(row.channel)
                failed += 1
                self._count(row.channel, "failed")
                log.exception("notification %s: unexpected error in channel %s", row.id, row.channel)
                continue
            with self.engine.begin() as conn:
                conn.execute(_Q.update().where(_Q.c.id == row.id).values(
                    status="done", sent_at=self.clock(), last_error=None, attempts=row.attempts + 1))
            sent += 1
            self._count(row.channel, "sent")
        return DrainResult(sent, failed, limited, waiting)

    def _retry(self, row_id: int, attempts: int, error: str, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(_Q.update().where(_Q.c.id == row_id).values(attempts=attempts, last_error=error[:500],
                                                                      next_attempt_at=at))
