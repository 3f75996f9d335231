"""Results into PostgreSQL with COPY: one batch of runs' results in three statements.

Why: a replica stores 64 results per 48-port switch. Through SQLAlchemy's executemany each
row's parameters went through the statement's bind processors and psycopg's per-row
dumpers twice (``results`` and the ``latest`` upsert): about 12 ms of a replica's 27 ms of
CPU per switch poll (bench/scale_out.py, profiled with py-spy). Here every row is encoded
once (JSON text made in Python, COPY's text format for the rest), copied into a temporary
stage table, and PostgreSQL moves it into ``results`` (in batch order: ids follow the runs'
order, as the rollup's watermark and problem starts need) and into ``latest`` (the last row
per item wins, as ``Store.write_runs`` one run at a time leaves it).

The stage table is one per connection (``ON COMMIT DELETE ROWS``: empty outside a
transaction), made by the first batch a connection stores (and again after a rollback).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from collectors import messages
from collectors.base import CheckResult, Metric, MessageRef

STAGE = "patrol_results_stage_2"  # a new name when its columns change: temporary tables live per session
_COLUMNS = ("run_id", "site", "target", "check", "item", "state", "summary", "details", "metrics", "observed_at",
            "message")
_CREATE = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (
    seq integer NOT NULL, run_id integer NOT NULL, site varchar(128) NOT NULL, target varchar(128) NOT NULL,
    "check" varchar(128) NOT NULL, item varchar(256) NOT NULL, state varchar(8) NOT NULL, summary text NOT NULL,
    details text NOT NULL, metrics json NOT NULL, observed_at timestamp NOT NULL, message json,
    collector varchar(64) NOT NULL, duration_s double precision NOT NULL, is_last boolean NOT NULL
) ON COMMIT DELETE ROWS
"""
_QUOTED = ", ".join(f'"{c}"' for c in _COLUMNS)
_TO_RESULTS = f"INSERT INTO results ({_QUOTED}) SELECT {_QUOTED} FROM {STAGE} ORDER BY seq"
_LATEST_COLUMNS = (*_COLUMNS, "collector", "duration_s")
_LATEST_QUOTED = ", ".join(f'"{c}"' for c in _LATEST_COLUMNS)
_KEY = 'site, target, "check", item'
# The last row per item is marked while copying (``is_last``): DISTINCT ON sorted the batch's
# 6,400 rows by four text keys under the database's collation, ~0.3 ms of PostgreSQL's CPU
# per switch poll.
_TO_LATEST = f"""
INSERT INTO latest ({_LATEST_QUOTED})
SELECT {_LATEST_QUOTED} FROM {STAGE} WHERE is_last
ON CONFLICT ({_KEY}) DO UPDATE SET
""" + ", ".join(f'"{c}" = excluded."{c}"' for c in _LATEST_COLUMNS if c not in ("site", "target", "check", "item"))


def metric_json(metric: Metric) -> dict[str, Any]:
    """One metric as the ``metrics`` column holds it."""
    out: dict[str, Any] = {"name": metric.name, "value": metric.value}
    if metric.unit:
        out["unit"] = metric.unit
    if metric.labels:
        out["labels"] = dict(metric.labels)
    return out


@lru_cache(maxsize=4096)
def _metric_frame(name: str, unit: str, labels: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """A metric's JSON before and after its value, as ``json.dumps(metric_json(m))`` writes it."""
    head = '{"name": ' + json.dumps(name) + ', "value": '
    tail = (', "unit": ' + json.dumps(unit) if unit else "") + (', "labels": ' + json.dumps(dict(labels))
                                                                  if labels else "") + "}"
    return head, tail


def _number_json(value: object) -> str:
    kind = type(value)
    if kind is float and math.isfinite(value):  # type: ignore[arg-type]
        return float.__repr__(value)  # type: ignore[arg-type]
    if kind is int:
        return int.__repr__(value)  # type: ignore[arg-type]
    return json.dumps(value)  # NaN, Infinity, bool, anything else: as json writes it


def metrics_text(metrics: Sequence[Metric]) -> str:
    """The ``metrics`` column's JSON, the same text as ``json.dumps([metric_json(m) ...])``.
    Why not that: a switch poll stores ~190 metrics, and building a dict per metric and
    encoding it was 7 % of a replica's CPU (py-spy); a metric's name, unit and labels repeat
    poll after poll, so their JSON is made once and only the value is formatted."""
    parts = []
    for metric in metrics:
        try:
            head, tail = _metric_frame(metric.name, metric.unit, metric.labels)
        except TypeError:  # labels that cannot be hashed (a list in a hand-made metric): not cached
            parts.append(json.dumps(metric_json(metric)))
            continue
        parts.append(head + _number_json(metric.value) + tail)
    return "[" + ", ".join(parts) + "]"


@lru_cache(maxsize=8192)
def message_text(ref: MessageRef) -> str:
    """A message's JSON. Cached: a switch's 48 port sentences are mostly the same few
    ("up; 1 Gbit/s"), and encoding the nested parameters was 8 % of a replica's CPU."""
    return json.dumps(messages.to_json(ref))


@lru_cache(maxsize=256)
def naive_utc(at: datetime) -> datetime:
    """A time as the UTCDateTime columns hold it on PostgreSQL (naive UTC), for raw statements.
    Cached: a run's 64 results share one time."""
    if at.tzinfo is None:  # as UTCDateTime refuses it
        raise ValueError("naive datetime given to the store; use timezone-aware UTC times")
    return at.astimezone(timezone.utc).replace(tzinfo=None)


def recordset(rows: Iterable[Mapping[str, object]]) -> str:
    """Rows for ``json_to_recordset(CAST(:rows AS json))``, the set-based statements that take
    a batch at once on PostgreSQL (lease completion, forgetting, links seen again); times as
    naive UTC. One JSON document rather than arrays: psycopg writes a text array's elements
    through Python regular expressions, and 100 poll states of 3.4 KB were 7 % of a replica's
    CPU that way (py-spy); json.dumps escapes them in C."""
    return json.dumps([{key: naive_utc(value).isoformat() if isinstance(value, datetime) else value
                        for key, value in row.items()} for row in rows])


def _message_or_none(ref: MessageRef | None) -> str | None:
    if ref is None:
        return None
    try:
        return message_text(ref)
    except TypeError:  # a parameter that cannot be hashed (a list from a hand-made ref): not cached
        return json.dumps(messages.to_json(ref))


def copy_results(conn: sa.Connection, site: str, rows: Iterable[tuple[int, str, float, CheckResult]]) -> int:
    """Store ``(run_id, collector, duration_s, result)`` rows in the caller's transaction:
    into ``results`` in the given order and into ``latest`` (the last row per item wins).
    Returns how many rows were staged."""
    dbapi = conn.connection.dbapi_connection
    # Every time, not once per connection: a batch whose transaction rolled back (a row the
    # server refused) took the table made in it along, and a flag kept beside the connection
    # would then fail every later batch on it. IF NOT EXISTS costs one catalogue lookup.
    conn.exec_driver_sql(_CREATE)
    staged = list(rows)
    last_of = {(r.target, r.check, r.item): seq for seq, (_, _, _, r) in enumerate(staged)}
    count = 0
    statement = f"COPY {STAGE} (seq, {_QUOTED}, collector, duration_s, is_last) FROM STDIN"
    error = conn.dialect.loaded_dbapi.Error
    try:
        with dbapi.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(statement) as copy:
                for run_id, collector, duration_s, r in staged:
                    copy.write_row((count, run_id, site, r.target, r.check, r.item, r.state.value, r.summary,
                                    r.details, metrics_text(r.metrics), naive_utc(r.observed_at),
                                    _message_or_none(r.message), collector, duration_s,
                                    last_of[(r.target, r.check, r.item)] == count))
                    count += 1
    except error as exc:
        # As SQLAlchemy raises it for its own statements: the recorder keeps the runs on an
        # OperationalError (the database is unreachable) and drops only a refused run otherwise.
        raise sa.exc.DBAPIError.instance(statement, None, exc, error) from exc
    if count:
        conn.exec_driver_sql(_TO_RESULTS)
        conn.exec_driver_sql(_TO_LATEST)
        conn.exec_driver_sql(f"DELETE FROM {STAGE}")  # the caller's transaction may store another batch
    return count
