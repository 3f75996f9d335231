"""Device polls shared by collector replicas through the database: one lease row per device.

Each (site, family, target) of a network device has a row with the time it is next due.
A replica's worker claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two
replicas never claim the same row and never wait for each other), polls them, and
completes them: the due time moves on by the interval and the claim is dropped. While it
polls, the worker heartbeats its claims; a claim whose replica died (no heartbeat) expires
after ``lease_s`` and the device, still due, is claimed by the next replica that looks.

So each device is polled once per interval by one replica, and a dead replica's devices
are polled by the others within one interval plus the lease time (the others' workers run
once per interval and take every due row they can).

Times are the replicas' clocks (keep them in NTP sync; a second of skew costs a second of
lease). Only network devices are leased; each replica checks its own machine itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.store.migrations import Component, Migration, create_tables
from agent.store.types import UTCDateTime

metadata = sa.MetaData()

device_leases = sa.Table(
    "device_leases", metadata,
    sa.Column("site", sa.String(128), primary_key=True),
    sa.Column("family", sa.String(64), primary_key=True),
    sa.Column("target", sa.String(128), primary_key=True),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("owner", sa.String(128), nullable=True),  # the replica holding the claim, NULL when free
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("claimed_at", UTCDateTime, nullable=True),
    sa.Column("last_owner", sa.String(128), nullable=True),  # who completed the last poll, and when it started
    sa.Column("last_polled_at", UTCDateTime, nullable=True),
    sa.Index("ix_device_leases_due", "site", "family", "due_at"),
)

LEASES = Component("leases", [Migration(1, "device_leases", create_tables(device_leases))])


@dataclass(frozen=True)
class Claim:
    target: str
    due_at: datetime
    claimed_at: datetime


@dataclass(frozen=True)
class LeaseSchedule:
    """When a family's devices fall due: every ``interval_s`` or, when ``cron`` is set, at
    the cron expression's fire times (local time, as the scheduler of `patrol run` reads
    it; ``timezone`` only for tests)."""

    interval_s: float
    cron: str | None = None
    timezone: str | None = None

    def _fires_after(self, at: datetime) -> datetime:
        fire = _cron_trigger(self.cron or "", self.timezone).get_next_fire_time(None, at + timedelta(microseconds=1))
        if fire is None:  # a crontab always fires again; a guard, not a case
            return at + timedelta(seconds=self.interval_s)
        return fire.astimezone(at.tzinfo)

    def next_due(self, due_at: datetime, claimed_at: datetime) -> datetime:
        if not self.cron:
            return next_due(due_at, claimed_at, self.interval_s)
        # The first fire after the slot polled (or after the claim, when it came late). A late
        # poll (a takeover) skips a fire closer to it than half the gap to the fire after, as
        # the interval grid does: never two polls of a device much closer than the schedule.
        fire = self._fires_after(due_at)
        if claimed_at <= due_at:
            return fire
        if claimed_at < fire:  # late within the slot: keep the next fire unless under half the slot is left
            return fire if fire - claimed_at >= (fire - due_at) / 2 else self._fires_after(fire)
        fire = self._fires_after(claimed_at)  # fires missed (every replica down): the next one, not a catch-up
        after = self._fires_after(fire)
        return fire if fire - claimed_at >= (after - fire) / 2 else after

    def window_s(self, now: datetime) -> float:
        """How long a worker waits for a free device to fall due: the interval, or the time
        to the next cron fire (a worker started at one fire never waits for the next)."""
        if not self.cron:
            return self.interval_s
        return min(self.interval_s, (self._fires_after(now) - now).total_seconds())


@functools.lru_cache(maxsize=64)
def _cron_trigger(cron: str, timezone: str | None) -> Any:
    from agent.scheduler import crontab_trigger  # the scheduler's reading of the expression, fire for fire

    return crontab_trigger(cron, timezone)


def next_due(due_at: datetime, claimed_at: datetime, interval_s: float) -> datetime:
    """When the device is due again. A poll up to half an interval late keeps the device's
    grid (due_at + interval: no drift from a replica's worker start times); a later one (a
    takeover after a replica died, every replica down for a while) starts a new grid at the
    claim, so two polls of one device are never less than half an interval apart and missed
    slots are skipped, not polled back to back."""
    if (claimed_at - due_at).total_seconds() <= interval_s / 2:
        return due_at + timedelta(seconds=interval_s)
    return claimed_at + timedelta(seconds=interval_s)


class Leases:
    """The lease rows of one site, as one replica (``owner``) sees them."""

    def __init__(self, engine: sa.Engine, site: str, owner: str, *, lease_s: float,
                 clock: Callable[[], datetime]):
        self.engine = engine
        self.site = site
        self.owner = owner
        self.lease_s = lease_s
        self.clock = clock

    def sync(self, family: str, targets: Iterable[str]) -> None:
        """Add rows for targets new to the inventory (due now); drop rows of targets gone from it."""
        wanted = set(targets)
        t = device_leases.c
        now = self.clock()
        with self.engine.begin() as conn:
            have = set(conn.execute(sa.select(t.target).where(t.site == self.site, t.family == family)).scalars())
            new = sorted(wanted - have)
            if new:
                conn.execute(_insert_missing(conn.dialect.name),
                             [{"site": self.site, "family": family, "target": n, "due_at": now} for n in new])
            gone = sorted(have - wanted)
            for chunk in _chunks(gone, 500):
                conn.execute(device_leases.delete().where(t.site == self.site, t.family == family,
                                                          t.target.in_(chunk)))

    def claim(self, family: str, limit: int, horizon_s: float = 0.0) -> list[Claim]:
        """Claim up to ``limit`` rows due within ``horizon_s`` whose claim is free or expired,
        the most overdue first."""
        if limit <= 0:
            return []
        t = device_leases.c
        now = self.clock()
        due = (sa.select(t.site, t.family, t.target)
               .where(t.site == self.site, t.family == family, t.due_at <= now + timedelta(seconds=horizon_s),
                      sa.or_(t.owner.is_(None), t.lease_until < now))
               .order_by(t.due_at).limit(limit)
               .with_for_update(skip_locked=True))
        with self.engine.begin() as conn:
            picked = conn.execute(due).all()
            if not picked:
                return []
            names = [row.target for row in picked]
            rows = conn.execute(
                device_leases.update()
                .where(t.site == self.site, t.family == family, t.target.in_(names))
                .values(owner=self.owner, lease_until=now + timedelta(seconds=self.lease_s), claimed_at=now)
                .returning(t.target, t.due_at)).all()
        return sorted((Claim(r.target, r.due_at, now) for r in rows), key=lambda c: c.due_at)

    def next_free_due_s(self, family: str) -> float | None:
        """Seconds until the next row that nobody holds is due (negative: overdue); None: none."""
        t = device_leases.c
        now = self.clock()
        with self.engine.connect() as conn:
            due = conn.execute(sa.select(sa.func.min(t.due_at)).where(
                t.site == self.site, t.family == family, sa.or_(t.owner.is_(None), t.lease_until < now))).scalar()
        if due is None:
            return None
        return (due - now).total_seconds()

    def heartbeat(self, family: str, targets: Sequence[str]) -> int:
        """Extend our claims on ``targets``; returns how many are still ours."""
        if not targets:
            return 0
        t = device_leases.c
        now = self.clock()
        held = 0
        with self.engine.begin() as conn:
            for chunk in _chunks(sorted(targets), 500):
                held += conn.execute(device_leases.update().where(
                    t.site == self.site, t.family == family, t.target.in_(chunk), t.owner == self.owner)
                    .values(lease_until=now + timedelta(seconds=self.lease_s))).rowcount
        return held

    def complete(self, family: str, claims: Sequence[Claim], schedule: LeaseSchedule | float,
                 started: Mapping[str, datetime] | None = None) -> int:
        """Free the claims after their polls: each row is next due one interval on (the next
        cron fire for a family on a cron schedule). Returns how
        many were still ours (a claim that expired meanwhile was taken over; the poll's result
        is stored anyway, only the schedule is the new owner's)."""
        if not claims:
            return 0
        t = device_leases.c
        stmt = (device_leases.update()
                .where(t.site == self.site, t.family == family, t.target == sa.bindparam("b_target"),
                       t.owner == self.owner)
                .values(owner=None, lease_until=None, due_at=sa.bindparam("b_due"), last_owner=self.owner,
                        last_polled_at=sa.bindparam("b_polled")))
        if not isinstance(schedule, LeaseSchedule):
            schedule = LeaseSchedule(float(schedule))
        params = [{"b_target": c.target, "b_due": schedule.next_due(c.due_at, c.claimed_at),
                   "b_polled": (started or {}).get(c.target, c.claimed_at)} for c in claims]
        with self.engine.begin() as conn:
            result = conn.execute(stmt, params)
        return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(claims)

    def release(self, family: str, targets: Sequence[str]) -> None:
        """Give claims back unpolled (a worker stopping): still due, free for any replica now."""
        t = device_leases.c
        with self.engine.begin() as conn:
            for chunk in _chunks(sorted(targets), 500):
                conn.execute(device_leases.update().where(
                    t.site == self.site, t.family == family, t.target.in_(chunk), t.owner == self.owner)
                    .values(owner=None, lease_until=None))


def _insert_missing(dialect: str) -> sa.Insert:
    """INSERT that leaves a row another replica added first alone."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(device_leases).on_conflict_do_nothing()


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
