"""A daily rollup of check results, kept by the reports component in its own tables.

Why: a quarter of 5-minute results for 500 devices x 20 items is ~260 million rows; no
report can read that in seconds. Reports read one row per (site, target, check, item,
day) instead: sample counts per state, how many problems started that day (a non-OK
state after an OK one), and the last state, summary and metrics of the day (evidence).

The rollup is incremental: ``refresh(engine)`` folds in results with an id above the
stored watermark, so the cost follows the new rows, not the history. Days are calendar
days in the reports time zone (settings ``reports.timezone``), using the zone's UTC
offset in the middle of each batch: in a zone with daylight saving time a result within
an hour of a switch may land on the neighbouring day (China has no DST). Results that
arrive late (an endpoint's outbox flushed after an outage) are merged into their own
day; problem starts are counted in arrival order, which is what an engineer saw.

The watermark is the results table's id: SQLite gives ids in commit order. On PostgreSQL
with several writers a slow transaction can commit a lower id after a higher one and be
missed by the rollup (a known limit; the single-writer site collector does not hit it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from agent.store import core
from agent.store.migrations import Component, Migration, create_tables, migrate
from agent.store.types import UTCDateTime, upsert

metadata = sa.MetaData()

rollup_days = sa.Table(
    "report_rollup_days", metadata,
    sa.Column("site", sa.String(128), primary_key=True),
    sa.Column("target", sa.String(128), primary_key=True),
    sa.Column("check", sa.String(128), primary_key=True),
    sa.Column("item", sa.String(256), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("n_ok", sa.Integer, nullable=False),
    sa.Column("n_warn", sa.Integer, nullable=False),
    sa.Column("n_crit", sa.Integer, nullable=False),
    sa.Column("n_unknown", sa.Integer, nullable=False),
    sa.Column("starts", sa.Integer, nullable=False),
    sa.Column("last_state", sa.String(8), nullable=False),
    sa.Column("last_summary", sa.Text, nullable=False),
    sa.Column("last_metrics", sa.JSON, nullable=False),
    sa.Column("last_observed_at", UTCDateTime, nullable=False),
    sa.Column("last_bad_summary", sa.Text, nullable=True),  # what the day's last problem said
    # The same two as message ids + parameters (core results.message), for reports' languages.
    sa.Column("last_message", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("last_bad_message", sa.JSON(none_as_null=True), nullable=True),
    # Covering index for "problems per day" over a quarter (the trend chart).
    sa.Index("ix_report_rollup_site_day", "site", "day", "starts"),
    # SQLite: the primary key is the table's order, so a period of one key's days is one
    # contiguous read (10x fewer page reads for a quarter than a rowid table); PostgreSQL ignores it.
    sqlite_with_rowid=False,
)

# The last state per key (to count problem starts across batches) and the zone used.
rollup_keys = sa.Table(
    "report_rollup_keys", metadata,
    sa.Column("site", sa.String(128), primary_key=True),
    sa.Column("target", sa.String(128), primary_key=True),
    sa.Column("check", sa.String(128), primary_key=True),
    sa.Column("item", sa.String(256), primary_key=True),
    sa.Column("last_state", sa.String(8), nullable=False),
    sa.Column("last_observed_at", UTCDateTime, nullable=False),
)

rollup_marks = sa.Table(
    "report_rollup_marks", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
)

# Covering index of the counts: a quarter's sums per item read this narrow index instead of
# the table's rows with their summaries and metrics (2x faster for 10,000 items).
counts_index = sa.Index("ix_report_rollup_counts", rollup_days.c.site, rollup_days.c.target, rollup_days.c.check,
                        rollup_days.c.item, rollup_days.c.day, rollup_days.c.n_ok, rollup_days.c.n_warn,
                        rollup_days.c.n_crit, rollup_days.c.n_unknown, rollup_days.c.starts)


def _create_counts_index(conn: sa.Connection) -> None:
    counts_index.create(conn, checkfirst=True)


def _add_messages(conn: sa.Connection) -> None:
    ddl_type = sa.JSON().compile(dialect=conn.dialect)
    existing = {c["name"] for c in sa.inspect(conn).get_columns("report_rollup_days")}
    for column in ("last_message", "last_bad_message"):
        if column not in existing:  # a rollup created at version 3 has them from create_tables
            conn.execute(sa.text(f"ALTER TABLE report_rollup_days ADD COLUMN {column} {ddl_type} NULL"))


REPORTS = Component("reports", [
    Migration(1, "daily rollup of results for reports", create_tables(rollup_days, rollup_keys, rollup_marks)),
    Migration(2, "covering index of the rollup's counts", _create_counts_index),
    Migration(3, "the last and last bad message of a day (reports' languages)", _add_messages),
])

BATCH = 50_000
_COUNT = {"ok": "n_ok", "warn": "n_warn", "crit": "n_crit", "unknown": "n_unknown"}


def ensure_schema(engine: sa.Engine) -> None:
    migrate(engine, [REPORTS])


@dataclass
class _Day:
    n: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNT.values(), 0))
    starts: int = 0
    last_state: str = "ok"
    last_summary: str = ""
    last_metrics: Any = ()
    last_observed_at: datetime | None = None
    last_bad_summary: str | None = None
    last_bad_at: datetime | None = None
    last_message: Any = None
    last_bad_message: Any = None


def _get_mark(conn: sa.Connection, name: str) -> str | None:
    return conn.execute(sa.select(rollup_marks.c.value).where(rollup_marks.c.name == name)).scalar()


def _set_mark(conn: sa.Connection, name: str, value: str) -> None:
    upsert(conn, rollup_marks, [{"name": name, "value": value}], keys=["name"])


def refresh(engine: sa.Engine, zone: str = "UTC", *, portable: bool | None = None) -> int:
    """Fold results newer than the watermark into the rollup; returns how many were read.

    On SQLite the fold is one SQL statement per batch (window functions, upsert): ~20x
    faster than folding rows in Python, which is the portable path used elsewhere
    (``portable=True`` forces it; a test checks both give the same rollup).
    A change of ``zone`` rebuilds the rollup from the raw results still kept.
    """
    if portable is None:
        portable = engine.dialect.name != "sqlite"
    ensure_schema(engine)
    with engine.begin() as conn:
        if _get_mark(conn, "zone") not in (None, zone):
            conn.execute(rollup_days.delete())
            conn.execute(rollup_keys.delete())
            _set_mark(conn, "last_id", "0")
        _set_mark(conn, "zone", zone)
        if _get_mark(conn, "last_id") is None:
            _set_mark(conn, "last_id", "0")
    if not portable:
        return _refresh_sqlite(engine, ZoneInfo(zone))
    total = 0
    while True:
        with engine.begin() as conn:
            # FOR UPDATE: a second refresh (another report, another replica) waits here
            # instead of folding the same results again.
            last_id = int(conn.execute(sa.select(rollup_marks.c.value).where(rollup_marks.c.name == "last_id")
                                       .with_for_update()).scalar() or 0)
            rows = conn.execute(
                sa.select(core.results.c.id, core.results.c.site, core.results.c.target, core.results.c.check,
                          core.results.c.item, core.results.c.state, core.results.c.summary,
                          core.results.c.metrics, core.results.c.observed_at, core.results.c.message)
                .where(core.results.c.id > last_id).order_by(core.results.c.id).limit(BATCH)).all()
            if not rows:
                return total
            _fold(conn, rows, ZoneInfo(zone))
            _set_mark(conn, "last_id", str(rows[-1].id))
            total += len(rows)


SQLITE_BATCH = 500_000
_KEY = 'site, target, "check", item'

# One batch of results (ids in (:lo, :hi]) folded into day rows. prev_state: the state
# before each result, from this batch or the stored last state of its key (a start is
# a non-OK result after an OK one, or the first result ever of a key if it is not OK).
_SQLITE_FOLD = f"""
WITH batch AS (
  -- narrow rows only: the window sorts never carry summaries or metrics
  SELECT r.id, r.site, r.target, r."check", r.item, r.state, r.observed_at, r.day,
         COALESCE(LAG(r.state) OVER (PARTITION BY r.site, r.target, r."check", r.item ORDER BY r.id),
                  k.last_state, 'ok') AS prev_state,
         ROW_NUMBER() OVER (PARTITION BY r.site, r.target, r."check", r.item, r.day, r.state = 'ok'
                            ORDER BY r.observed_at DESC, r.id DESC) AS rn_kind
  FROM (SELECT id, site, target, "check", item, state, observed_at, date(observed_at, :offset) AS day
        FROM results WHERE id > :lo AND id <= :hi) r
  LEFT JOIN report_rollup_keys k
    ON k.site = r.site AND k.target = r.target AND k."check" = r."check" AND k.item = r.item
),
days AS (
  SELECT {_KEY}, day,
         SUM(state = 'ok') AS n_ok, SUM(state = 'warn') AS n_warn, SUM(state = 'crit') AS n_crit,
         SUM(state = 'unknown') AS n_unknown, SUM(state != 'ok' AND prev_state = 'ok') AS starts,
         MAX(observed_at) AS last_observed_at,
         -- the day's last result: the latest of the last OK one and the last bad one
         MAX(CASE WHEN rn_kind = 1 THEN observed_at || '|' || printf('%020d', id) END) AS last_tag,
         MAX(CASE WHEN rn_kind = 1 AND state != 'ok' THEN id END) AS bad_id
  FROM batch GROUP BY {_KEY}, day
)
INSERT INTO report_rollup_days ({_KEY}, day, n_ok, n_warn, n_crit, n_unknown, starts, last_state, last_summary,
                                last_metrics, last_observed_at, last_bad_summary, last_message, last_bad_message)
SELECT d.site, d.target, d."check", d.item, d.day, d.n_ok, d.n_warn, d.n_crit, d.n_unknown, d.starts,
       last.state, last.summary, last.metrics, d.last_observed_at, bad.summary, last.message, bad.message
FROM days d
JOIN results last ON last.id = CAST(substr(d.last_tag, instr(d.last_tag, '|') + 1) AS INTEGER)
LEFT JOIN results bad ON bad.id = d.bad_id
WHERE true
ON CONFLICT ({_KEY}, day) DO UPDATE SET
  n_ok = n_ok + excluded.n_ok, n_warn = n_warn + excluded.n_warn, n_crit = n_crit + excluded.n_crit,
  n_unknown = n_unknown + excluded.n_unknown, starts = starts + excluded.starts,
  last_state = CASE WHEN excluded.last_observed_at >= last_observed_at THEN excluded.last_state ELSE last_state END,
  last_summary = CASE WHEN excluded.last_observed_at >= last_observed_at THEN excluded.last_summary ELSE last_summary END,
  last_metrics = CASE WHEN excluded.last_observed_at >= last_observed_at THEN excluded.last_metrics ELSE last_metrics END,
  last_message = CASE WHEN excluded.last_observed_at >= last_observed_at THEN excluded.last_message ELSE last_message END,
  last_bad_message = CASE WHEN excluded.last_bad_summary IS NOT NULL THEN excluded.last_bad_message ELSE last_bad_message END,
  last_observed_at = MAX(last_observed_at, excluded.last_observed_at),
  last_bad_summary = COALESCE(excluded.last_bad_summary, last_bad_summary)
"""

_SQLITE_KEYS = f"""
INSERT INTO report_rollup_keys ({_KEY}, last_state, last_observed_at)
SELECT {_KEY}, state, observed_at FROM (
  SELECT {_KEY}, state, observed_at,
         ROW_NUMBER() OVER (PARTITION BY {_KEY} ORDER BY id DESC) AS rn
  FROM results WHERE id > :lo AND id <= :hi
) WHERE rn = 1
ON CONFLICT ({_KEY}) DO UPDATE SET last_state = excluded.last_state, last_observed_at = excluded.last_observed_at
"""


@contextmanager
def _immediate(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A write transaction taken before the first read (BEGIN IMMEDIATE).

    Two report processes refreshing at once must not both read the same watermark and
    fold the same results twice, and a read snapshot must not be upgraded to a write
    after the agent committed new results (SQLITE_BUSY_SNAPSHOT). Taking the write lock
    first serialises refreshes; busy_timeout makes the second one wait.
    """
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def _refresh_sqlite(engine: sa.Engine, zone: ZoneInfo) -> int:
    total = 0
    while True:
        with _immediate(engine) as conn:
            lo = int(_get_mark(conn, "last_id") or 0)
            top = conn.execute(sa.select(sa.func.max(core.results.c.id))).scalar() or 0
            if top <= lo:
                return total
            hi = min(top, lo + SQLITE_BATCH)
            middle = conn.execute(sa.select(core.results.c.observed_at).where(core.results.c.id > lo)
                                  .order_by(core.results.c.id).limit(1)).scalar()
            minutes = int((middle.astimezone(zone).utcoffset() or timedelta(0)).total_seconds() // 60)
            params = {"lo": lo, "hi": hi, "offset": f"{minutes:+d} minutes"}
            conn.execute(sa.text(_SQLITE_FOLD), params)
            conn.execute(sa.text(_SQLITE_KEYS), params)
            total += conn.execute(sa.select(sa.func.count()).select_from(core.results)
                                  .where(core.results.c.id > lo, core.results.c.id <= hi)).scalar_one()
            _set_mark(conn, "last_id", str(hi))


def _fold(conn: sa.Connection, rows: list[Any], zone: ZoneInfo) -> None:
    middle = rows[len(rows) // 2].observed_at
    offset = middle.astimezone(zone).utcoffset() or timedelta(0)
    keys = {(r.site, r.target, r.check, r.item) for r in rows}
    last: dict[tuple, tuple[str, datetime]] = {}
    for site in {k[0] for k in keys}:
        for r in conn.execute(sa.select(rollup_keys).where(rollup_keys.c.site == site)):
            key = (r.site, r.target, r.check, r.item)
            if key in keys:
                last[key] = (r.last_state, r.last_observed_at)
    days: dict[tuple, _Day] = {}
    for r in rows:
        key = (r.site, r.target, r.check, r.item)
        day_key = key + ((r.observed_at + offset).date(),)
        bucket = days.get(day_key)
        if bucket is None:
            bucket = days[day_key] = _Day()
        bucket.n[_COUNT[r.state]] += 1
        previous = last.get(key)
        if r.state != "ok" and (previous is None or previous[0] == "ok"):
            bucket.starts += 1
        if bucket.last_observed_at is None or r.observed_at >= bucket.last_observed_at:
            bucket.last_state, bucket.last_summary = r.state, r.summary
            bucket.last_metrics, bucket.last_observed_at = r.metrics, r.observed_at
            bucket.last_message = r.message
        if r.state != "ok" and (bucket.last_bad_at is None or r.observed_at >= bucket.last_bad_at):
            bucket.last_bad_summary, bucket.last_bad_at = r.summary, r.observed_at
            bucket.last_bad_message = r.message
        last[key] = (r.state, r.observed_at)
    _merge_existing(conn, days)
    upsert(conn, rollup_days, [
        {"site": k[0], "target": k[1], "check": k[2], "item": k[3], "day": k[4], **d.n, "starts": d.starts,
         "last_state": d.last_state, "last_summary": d.last_summary, "last_metrics": d.last_metrics,
         "last_observed_at": d.last_observed_at, "last_bad_summary": d.last_bad_summary,
         "last_message": d.last_message, "last_bad_message": d.last_bad_message}
        for k, d in days.items()],
        keys=["site", "target", "check", "item", "day"])
    upsert(conn, rollup_keys, [
        {"site": k[0], "target": k[1], "check": k[2], "item": k[3], "last_state": s, "last_observed_at": at}
        for k, (s, at) in last.items() if k in keys], keys=["site", "target", "check", "item"])


def _merge_existing(conn: sa.Connection, days: dict[tuple, _Day]) -> None:
    """Add what earlier batches already put in the same (key, day) rows."""
    for site, day in {(k[0], k[4]) for k in days}:
        query = sa.select(rollup_days).where(rollup_days.c.site == site, rollup_days.c.day == day)
        for r in conn.execute(query):
            bucket = days.get((r.site, r.target, r.check, r.item, r.day))
            if bucket is None:
                continue
            for column in _COUNT.values():
                bucket.n[column] += getattr(r, column)
            bucket.starts += r.starts
            if bucket.last_observed_at is None or r.last_observed_at > bucket.last_observed_at:
                bucket.last_state, bucket.last_summary = r.last_state, r.last_summary
                bucket.last_metrics, bucket.last_observed_at = r.last_metrics, r.last_observed_at
                bucket.last_message = r.last_message
            if bucket.last_bad_summary is None:  # the batch saw no problem that day; keep the earlier one
                bucket.last_bad_summary, bucket.last_bad_message = r.last_bad_summary, r.last_bad_message


@dataclass(frozen=True, slots=True)
class DayRow:
    site: str
    target: str
    check: str
    item: str
    day: date
    n_ok: int
    n_warn: int
    n_crit: int
    n_unknown: int
    starts: int
    last_state: str
    last_summary: str
    last_metrics: Any
    last_observed_at: datetime
    last_bad_summary: str | None = None
    last_message: Any = None  # JSON of a MessageRef (collectors/messages.py), None for English only
    last_bad_message: Any = None

    @property
    def samples(self) -> int:
        return self.n_ok + self.n_warn + self.n_crit + self.n_unknown


def days_between(engine: sa.Engine, first: date, last: date, *, site: str | None = None) -> Iterable[DayRow]:
    """Rollup rows of days first..last (inclusive), for one site or all sites."""
    query = sa.select(rollup_days).where(rollup_days.c.day >= first, rollup_days.c.day <= last)
    if site is not None:
        query = query.where(rollup_days.c.site == site)
    with engine.connect() as conn:
        for r in conn.execution_options(stream_results=True, yield_per=5000).execute(query):
            yield DayRow(r.site, r.target, r.check, r.item, r.day, r.n_ok, r.n_warn, r.n_crit, r.n_unknown,
                         r.starts, r.last_state, r.last_summary, r.last_metrics, r.last_observed_at,
                         r.last_bad_summary, r.last_message, r.last_bad_message)
