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
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from agent.store.bulk import recordset
from agent.store.migrations import Component, Migration, create_tables
from agent.store.types import UTCDateTime

if TYPE_CHECKING:
    import asyncio

metadata = sa.MetaData()
LEFT_OVER_LEASES = 2  # a device overdue by this many lease_s is any replica's, share or not
ANALYZE_AFTER_ROWS = 500  # sync() refreshes the planner's statistics after this many rows came or went
SHARE_TTL_S = 1.0  # a replica counts its share at most this often (agent/serve/polling.py claims after each poll)

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
    # What the next poll needs from this one (SNMP counters for rates, uptime for reboots),
    # JSON; it travels with the device from replica to replica (CarriedPollState).
    sa.Column("poll_state", sa.Text, nullable=True),
    sa.Index("ix_device_leases_due", "site", "family", "due_at"),
)

# The replicas alive now: each `patrol serve` replica with device polling renews its row
# every lease_s / 3 (keep_alive); one not seen for lease_s is gone, and its share of the
# devices goes to the others.
collector_replicas = sa.Table(
    "collector_replicas", metadata,
    sa.Column("site", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("seen_at", UTCDateTime, nullable=False),
)


def _replicas_and_poll_state(conn: sa.Connection) -> None:
    collector_replicas.create(conn, checkfirst=True)
    if "poll_state" not in {c["name"] for c in sa.inspect(conn).get_columns("device_leases")}:
        conn.execute(sa.text("ALTER TABLE device_leases ADD COLUMN poll_state TEXT NULL"))  # a version 1 table


LEASES = Component("leases", [
    Migration(1, "device_leases", create_tables(device_leases)),
    Migration(2, "collector_replicas (live replicas, for fair shares) and device_leases.poll_state",
              _replicas_and_poll_state),
])


@dataclass(frozen=True)
class Claim:
    target: str
    due_at: datetime
    claimed_at: datetime
    poll_state: str | None = None  # the previous poll's state, as the last poller left it


@dataclass(frozen=True)
class Share:
    """One replica's fair share of a family's devices at one moment."""

    live: int      # replicas alive (this one included)
    total: int     # the family's devices
    mine: int      # held by this replica, or polled by it and not due again yet
    quota: int     # ceil(total / live)

    @property
    def room(self) -> int:
        return max(0, self.quota - self.mine)


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
                 clock: Callable[[], datetime], carried: "CarriedPollState | None" = None):
        self.engine = engine
        self.site = site
        self.owner = owner
        self.lease_s = lease_s
        self.clock = clock
        self.carried = carried  # set: each claim hands its poll state over, each complete takes the new one back
        # family -> (when counted, room then minus what we claimed since): a worker claims after
        # every finished poll, so the share is counted at most once per SHARE_TTL_S, not per claim.
        self._room: dict[str, tuple[datetime, int]] = {}

    # --- live replicas ------------------------------------------------------------------------

    def beat(self) -> None:
        """This replica is alive (its device worker may claim a share)."""
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(_upsert_replica(conn.dialect.name), {"site": self.site, "name": self.owner, "seen_at": now})

    def leave(self) -> None:
        """A replica stopping: its share goes to the others at once, not after lease_s."""
        r = collector_replicas.c
        with self.engine.begin() as conn:
            conn.execute(collector_replicas.delete().where(r.site == self.site, r.name == self.owner))

    def live_replicas(self) -> list[str]:
        r = collector_replicas.c
        with self.engine.connect() as conn:
            return sorted(conn.execute(sa.select(r.name).where(
                r.site == self.site, r.seen_at >= self.clock() - timedelta(seconds=self.lease_s))).scalars())

    def share(self, family: str) -> Share:
        with self.engine.connect() as conn:
            return self._share(conn, family, self.clock())

    def _share(self, conn: sa.Connection, family: str, now: datetime, horizon_s: float = 0.0) -> Share:
        t, r = device_leases.c, collector_replicas.c
        others = conn.execute(sa.select(sa.func.count()).select_from(collector_replicas).where(
            r.site == self.site, r.name != self.owner, r.seen_at >= now - timedelta(seconds=self.lease_s))).scalar()
        held = sa.and_(t.owner == self.owner, t.lease_until >= now)
        free = sa.or_(t.owner.is_(None), t.lease_until < now)
        # done this round, not due again yet (within the claim's horizon)
        polled = sa.and_(free, t.last_owner == self.owner, t.due_at > now + timedelta(seconds=horizon_s))
        total, mine = conn.execute(
            sa.select(sa.func.count(), sa.func.count().filter(sa.or_(held, polled)))
            .where(t.site == self.site, t.family == family)).one()
        live = int(others or 0) + 1
        return Share(live, int(total), int(mine), -(-int(total) // live))

    def sync(self, family: str, targets: Iterable[str]) -> None:
        """Add rows for targets new to the inventory (due now); drop rows of targets gone from it."""
        wanted = set(targets)
        t = device_leases.c
        now = self.clock()
        self._room.pop(family, None)  # the share changes with the number of devices
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
        if len(new) + len(gone) >= ANALYZE_AFTER_ROWS and self.engine.dialect.name == "postgresql":
            # Without statistics for the new rows the planner may scan the table for each row a
            # complete() updates (bench/lease_share.py: 4 ms instead of 0.25 ms per device at
            # 10,000 devices) until autovacuum gets to it.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE device_leases"))

    def claim(self, family: str, limit: int, horizon_s: float = 0.0) -> list[Claim]:
        """Claim up to ``limit`` rows due within ``horizon_s`` whose claim is free or expired,
        the most overdue first: as many as this replica's fair share leaves room for, and
        beyond it only rows overdue by more than ``2 * lease_s`` (what the others leave: a
        live replica's devices its worker does not claim, more devices than the shares add up
        to). A dead replica's claims expire after lease_s and its row goes stale after lease_s,
        so its devices go through the others' grown shares first, not to the fastest."""
        if limit <= 0:
            return []
        t = device_leases.c
        now = self.clock()
        free = sa.or_(t.owner.is_(None), t.lease_until < now)

        def due(before: datetime, n: int, skip: Sequence[str] = ()) -> sa.Select:
            return (sa.select(t.target)
                    .where(t.site == self.site, t.family == family, t.due_at <= before, free,
                           *([t.target.not_in(skip)] if skip else []))
                    .order_by(t.due_at).limit(n).with_for_update(skip_locked=True))

        with self.engine.begin() as conn:
            fair = min(limit, self._fair_room(conn, family, now, horizon_s))
            names = list(conn.execute(due(now + timedelta(seconds=horizon_s), fair)).scalars()) if fair else []
            if family in self._room:
                self._room[family] = (self._room[family][0], self._room[family][1] - len(names))
            if len(names) < limit:
                left_before = now - timedelta(seconds=LEFT_OVER_LEASES * self.lease_s)
                names += conn.execute(due(left_before, limit - len(names), names)).scalars()
            if not names:
                return []
            rows = conn.execute(
                device_leases.update()
                .where(t.site == self.site, t.family == family, t.target.in_(names))
                .values(owner=self.owner, lease_until=now + timedelta(seconds=self.lease_s), claimed_at=now)
                .returning(t.target, t.due_at, t.poll_state)).all()
        claims = sorted((Claim(r.target, r.due_at, now, r.poll_state) for r in rows), key=lambda c: c.due_at)
        if self.carried is not None:
            self.carried.hand_over(family, claims)
        return claims

    def _fair_room(self, conn: sa.Connection, family: str, now: datetime, horizon_s: float) -> int:
        """Room in our share, counted again when the last count is SHARE_TTL_S old. Between
        counts the room only shrinks by our own claims; what grows it (our devices falling
        due, a replica gone) waits for the next count, so the cache never claims too much."""
        cached = self._room.get(family)
        if horizon_s or cached is None or not timedelta(0) <= now - cached[0] < timedelta(seconds=SHARE_TTL_S):
            room = self._share(conn, family, now, horizon_s).room
            if not horizon_s:
                self._room[family] = (now, room)
            return room
        return max(0, cached[1])

    def next_free_due_s(self, family: str) -> float | None:
        """Seconds until this replica may claim a row nobody holds (negative: overdue): when it
        falls due while the replica's share has room, ``2 * lease_s`` after that when it has
        none (the row is another replica's to take first); None: no free row."""
        t = device_leases.c
        now = self.clock()
        with self.engine.connect() as conn:
            due = conn.execute(sa.select(sa.func.min(t.due_at)).where(
                t.site == self.site, t.family == family, sa.or_(t.owner.is_(None), t.lease_until < now))).scalar()
            if due is None:
                return None
            if not self._share(conn, family, now, max(0.0, (due - now).total_seconds())).room:  # room by then?
                due += timedelta(seconds=LEFT_OVER_LEASES * self.lease_s)
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
        # A poll that saved no state (an unreachable device) leaves the previous one in place.
        stmt = (device_leases.update()
                .where(t.site == self.site, t.family == family, t.target == sa.bindparam("b_target"),
                       t.owner == self.owner)
                .values(owner=None, lease_until=None, due_at=sa.bindparam("b_due"), last_owner=self.owner,
                        last_polled_at=sa.bindparam("b_polled"),
                        poll_state=sa.func.coalesce(sa.bindparam("b_state", type_=sa.Text), t.poll_state)))
        if not isinstance(schedule, LeaseSchedule):
            schedule = LeaseSchedule(float(schedule))
        states = self.carried.take(family, [c.target for c in claims]) if self.carried is not None else {}
        params = [{"b_target": c.target, "b_due": schedule.next_due(c.due_at, c.claimed_at),
                   "b_polled": (started or {}).get(c.target, c.claimed_at), "b_state": states.get(c.target)}
                  for c in claims]
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                return conn.execute(_COMPLETE_SET, {"site": self.site, "family": family, "owner": self.owner,
                                                    "rows": recordset(params)}).rowcount
            result = conn.execute(stmt, params)
        return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(claims)

    def poll_states(self, family: str, targets: Sequence[str]) -> dict[str, str | None]:
        """The poll state in these devices' lease rows, read without claiming (a confirmation
        re-check outside the leases reads it; only a completed claim writes it)."""
        t = device_leases.c
        out: dict[str, str | None] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(targets)), 500):
                out.update((row.target, row.poll_state) for row in conn.execute(sa.select(t.target, t.poll_state).where(
                    t.site == self.site, t.family == family, t.target.in_(chunk))))
        return out

    def release(self, family: str, targets: Sequence[str]) -> None:
        """Give claims back unpolled (a worker stopping): still due, free for any replica now."""
        t = device_leases.c
        self._room.pop(family, None)
        with self.engine.begin() as conn:
            for chunk in _chunks(sorted(targets), 500):
                conn.execute(device_leases.update().where(
                    t.site == self.site, t.family == family, t.target.in_(chunk), t.owner == self.owner)
                    .values(owner=None, lease_until=None))


# complete() on PostgreSQL: the batch's claims in one statement (each was its own UPDATE,
# parsed, planned and run per device), from the portable form's parameters (bulk.recordset);
# the same rows and row count.
_COMPLETE_SET = sa.text(
    "UPDATE device_leases AS l SET owner = NULL, lease_until = NULL, due_at = v.b_due, last_owner = :owner, "
    "last_polled_at = v.b_polled, poll_state = COALESCE(v.b_state, l.poll_state) "
    "FROM json_to_recordset(CAST(:rows AS json)) AS v(b_target text, b_due timestamp, b_polled timestamp, "
    "b_state text) "
    "WHERE l.site = :site AND l.family = :family AND l.target = v.b_target AND l.owner = :owner")


class CarriedPollState:
    """Poll state that travels with the device's lease instead of staying in one replica's
    state_dir: a claim hands the last poller's state over, the collector's fetch reads and
    saves it here (``io.extra["poll_state"]``, collectors/snmp/pollstate.py), and completing
    the claim writes the new state into the lease row. So the replica that takes a device
    over computes its rates from the previous poll, whoever made it.

    A claim that expired before its complete (taken over meanwhile) writes nothing: the new
    owner's poll is the later one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._given: dict[tuple[str, str], str | None] = {}
        self._saved: dict[tuple[str, str], str] = {}

    def hand_over(self, family: str, claims: Iterable[Claim]) -> None:
        self.seed(family, {claim.target: claim.poll_state for claim in claims})

    def seed(self, family: str, states: Mapping[str, str | None]) -> None:
        with self._lock:
            for device, text in states.items():
                self._given[(family, device)] = text

    def __call__(self, family: str) -> "_FamilyState":
        return _FamilyState(self, family)

    def load(self, family: str, device: str) -> dict[str, Any] | None:
        with self._lock:
            text = self._given.get((family, device))
        if text is None:
            return None
        try:
            data = json.loads(text)
        except ValueError:  # a damaged state is a missing one: the next poll rebuilds it
            return None
        return data if isinstance(data, dict) else None

    def save(self, family: str, device: str, data: Mapping[str, Any]) -> None:
        text = json.dumps(data, separators=(",", ":"))
        with self._lock:
            self._saved[(family, device)] = text
            self._given[(family, device)] = text

    def take(self, family: str, devices: Iterable[str]) -> dict[str, str]:
        """The states saved by these devices' polls, forgotten here (they go to the lease rows)."""
        out = {}
        with self._lock:
            for device in devices:
                self._given.pop((family, device), None)
                text = self._saved.pop((family, device), None)
                if text is not None:
                    out[device] = text
        return out


@dataclass(frozen=True)
class _FamilyState:
    """One family's view, with the load/save of collectors/snmp/pollstate.PollState."""

    carried: CarriedPollState
    family: str

    def load(self, device: str) -> dict[str, Any] | None:
        return self.carried.load(self.family, device)

    def save(self, device: str, data: dict[str, Any]) -> None:
        self.carried.save(self.family, device, data)


async def keep_alive(leases: Leases, stop: "asyncio.Event", *, on_error: Callable[[Exception], None]) -> None:
    """Renew this replica's row in collector_replicas every lease_s / 3 until ``stop``, then
    remove it (its share goes to the others at once). A database error is reported once per
    episode and retried at the next beat; the replica's share goes to the others meanwhile."""
    import asyncio
    import contextlib

    failing = False
    while not stop.is_set():
        try:
            await asyncio.to_thread(leases.beat)
            failing = False
        except Exception as exc:  # noqa: BLE001 - the loop outlives a database cut
            if not failing:
                on_error(exc)
            failing = True
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), leases.lease_s / 3)
    with contextlib.suppress(Exception):
        await asyncio.to_thread(leases.leave)


def _upsert_replica(dialect: str) -> sa.Insert:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(collector_replicas)
    return stmt.on_conflict_do_update(index_elements=["site", "name"], set_={"seen_at": stmt.excluded.seen_at})


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
