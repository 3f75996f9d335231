"""The agent's state: runs, results, latest states and the audit log (SQLite by default).

SQLite runs in WAL mode with ``synchronous=NORMAL``: a killed process loses at most the
transaction it was in, never what was committed before, and readers (the exporter, the
report builder) never block the writer. Each run is written in one transaction, so a
result is stored together with the latest-state row it produced or not at all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from agent.store import bulk, core, integrity
from agent.store.migrations import Component, migrate
from agent.store.types import upsert
from collectors import messages
from collectors.base import CheckResult, CheckRun, MessageRef, Metric, State, utcnow


PRUNE_BATCH = 10_000  # rows per retention transaction


# One statement per batch (PostgreSQL only, beside the COPY path): as one DELETE per run it
# was 100 statements a batch, each parsed, planned and run for nothing in the steady state.
_FORGET_OLDER = sa.text(
    "DELETE FROM latest AS l USING json_to_recordset(CAST(:rows AS json)) AS v(target text, collector text, "
    "run_id integer) "
    "WHERE l.site = :site AND l.target = v.target AND l.collector = v.collector AND l.run_id < v.run_id")


@dataclass(frozen=True, slots=True)
class LatestState:
    site: str
    collector: str
    result: CheckResult
    duration_s: float


@dataclass(frozen=True, slots=True)
class StoredMarks:
    """How far a reader of the store's runs has got: the last run id and result id it read."""

    run_id: int
    result_id: int


@dataclass(frozen=True, slots=True)
class RunWrite:
    """One run for ``Store.write_runs``: as ``write_run``'s arguments."""

    run: CheckRun
    forget_unreported: bool = False
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    site: str
    actor: str
    action: str
    subject: str
    detail: Mapping[str, Any]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(url: str) -> sa.Engine:
    database = integrity.sqlite_file(url)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql"):
        # A collector outlives database restarts and network cuts: a pooled connection is
        # tested before use (a dead one is replaced, not handed to a request), and a connect
        # to an unreachable server gives up after 10 s instead of the OS's minutes.
        engine = sa.create_engine(url, future=True, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    else:
        engine = sa.create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


# SQLite files this process has open through Store.open. Checking such a file again (its
# header read with open()/close()) would drop every POSIX lock this process holds on it:
# fcntl locks belong to the process and any close() of the file releases them all. Another
# process closing its last connection would then get the exclusive lock, checkpoint and
# delete the WAL this process still writes into, and everything written afterwards is
# invisible to other processes and lost at restart (found with the collector: its first
# report opened the store a second time, then a CLI's silences were not in its silences).
_OPEN_HERE: Counter[Path] = Counter()


def _build(url: str, components: Sequence[Component]) -> None:
    engine = create_engine(url)
    try:
        migrate(engine, components)
    finally:
        engine.dispose()


class Store:
    """Patrol's persistent state. Components (core, ticketing, ...) share one engine."""

    def __init__(self, engine: sa.Engine, site: str):
        self.engine = engine
        self.site = site
        self._opened: Path | None = None  # the file counted in _OPEN_HERE, by Store.open
        # True: PostgreSQL gets results through SQLAlchemy's executemany as SQLite does, not
        # COPY (a test compares the two)
        self.portable_writes = False

    @classmethod
    def open(cls, url: str, site: str, components: Sequence[Component] = (), *, check: bool = False) -> Store:
        """Open (creating it whole if absent) and migrate the store. An SQLite file that is
        empty, foreign or (with ``check``) fails ``PRAGMA quick_check`` raises ``StoreUnusable``."""
        path = integrity.sqlite_file(url)
        key = path.resolve() if path is not None else None
        if path is not None and not _OPEN_HERE[key]:  # checked when first opened here; see _OPEN_HERE
            if path.exists():
                integrity.check_file(path)
                if check:
                    integrity.quick_check(path)
            else:
                integrity.create_whole(path, lambda tmp_url: _build(tmp_url, [core.CORE, *components]))
        engine = create_engine(url)
        try:
            migrate(engine, [core.CORE, *components])
        except sa.exc.DatabaseError as exc:
            engine.dispose()
            if path is None or "malformed" not in str(exc) and "not a database" not in str(exc):
                raise
            raise integrity.StoreUnusable(f"the store {path} is damaged ({exc.orig}); restore a backup with "
                                          "`patrol store restore BACKUP_FILE`") from None
        store = cls(engine, site)
        if key is not None:
            _OPEN_HERE[key] += 1
            store._opened = key
        return store

    def close(self) -> None:
        self.engine.dispose()
        opened, self._opened = self._opened, None
        if opened is not None:
            _OPEN_HERE[opened] -= 1

    # --- results -------------------------------------------------------------------------

    def record_run(self, run: CheckRun) -> int:
        """Store a run, its results and the latest state per item, in one transaction."""
        with self.engine.begin() as conn:
            return self.write_run(conn, run)

    def write_run(self, conn: sa.Connection, run: CheckRun, *, forget_unreported: bool = False,
                  received_at: datetime | None = None) -> int:
        """Write a run inside the caller's transaction (the collector stores a pushed batch
        and its sequence number together). ``forget_unreported`` also drops latest rows the
        run no longer reports, as ``forget_latest`` does."""
        return self.write_runs(conn, [RunWrite(run, forget_unreported, received_at)])[0]

    def write_runs(self, conn: sa.Connection, writes: Sequence[RunWrite]) -> list[int]:
        """Write several runs inside the caller's transaction, with the same outcome as
        ``write_run`` on each in order, in four statements rather than four per run (the
        collector stores a pushed batch of many runs this way)."""
        if not writes:
            return []
        run_ids = self._insert_runs(conn, writes)
        if conn.dialect.name == "postgresql" and not self.portable_writes:
            # COPY through a stage table (agent/store/bulk.py): the same rows, a fifth of the CPU
            bulk.copy_results(conn, self.site, ((run_id, w.run.collector, w.run.duration_s, result)
                                                for w, run_id in zip(writes, run_ids) for result in w.run.results))
            self._forget_older(conn, writes, run_ids)
            return run_ids
        rows: list[dict[str, Any]] = []
        latest: dict[tuple[str, str, str], dict[str, Any]] = {}  # the last run's row per item wins, as in order
        for w, run_id in zip(writes, run_ids):
            for result in w.run.results:
                row = self._result_row(result) | {"run_id": run_id}
                rows.append(row)
                latest[(row["target"], row["check"], row["item"])] = row | {"collector": w.run.collector,
                                                                             "duration_s": w.run.duration_s}
        if rows:
            conn.execute(core.results.insert(), rows)
            upsert(conn, core.latest, list(latest.values()), keys=["site", "target", "check", "item"])
        self._forget_unreported(conn, writes)
        return run_ids

    def _insert_runs(self, conn: sa.Connection, writes: Sequence[RunWrite]) -> list[int]:
        return list(conn.execute(
            core.runs.insert().returning(core.runs.c.id, sort_by_parameter_order=True),
            [{"site": self.site, "collector": w.run.collector, "target": w.run.target, "started_at": w.run.started_at,
              "duration_s": w.run.duration_s, "error": w.run.error, "received_at": w.received_at}
             for w in writes]).scalars())

    def _forget_older(self, conn: sa.Connection, writes: Sequence[RunWrite], run_ids: Sequence[int]) -> None:
        """``_forget_unreported`` without reading the latest rows back (6,400 of them for a
        batch of 100 switches): once the batch's latest rows are written, an item that the last
        forgetting run of its (target, collector) or a later run reported carries that run's id
        or a later one, so what is left to forget is what carries an older id (ids grow in
        write order)."""
        forget_from: dict[tuple[str, str], int] = {}
        for w, run_id in zip(writes, run_ids):
            if w.forget_unreported and w.run.error is None:
                forget_from[(w.run.target, w.run.collector)] = run_id
        if forget_from:
            conn.execute(_FORGET_OLDER, {"site": self.site, "rows": bulk.recordset(
                {"target": t, "collector": c, "run_id": run_id} for (t, c), run_id in forget_from.items())})

    def _forget_unreported(self, conn: sa.Connection, writes: Sequence[RunWrite]) -> None:
        """Per (target, collector): what its last error-free run asked to forget, minus what
        that run and the runs after it reported (what ``write_run`` one by one leaves)."""
        keep: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for w in writes:
            key = (w.run.target, w.run.collector)
            reported = {(r.check, r.item) for r in w.run.results}
            if w.forget_unreported and w.run.error is None:
                keep[key] = reported
            elif key in keep:
                keep[key] |= reported
        if not keep:
            return
        latest = core.latest.c
        rows = conn.execute(sa.select(latest.target, latest.collector, latest.check, latest.item).where(
            latest.site == self.site, latest.target.in_({t for t, _ in keep}),
            latest.collector.in_({c for _, c in keep}))).all()
        for target, collector, check, item in rows:  # one query for the batch; deletions are rare
            kept = keep.get((target, collector))
            if kept is not None and (check, item) not in kept:
                conn.execute(core.latest.delete().where(latest.site == self.site, latest.target == target,
                                                        latest.check == check, latest.item == item))

    def record_runs(self, runs: Iterable[CheckRun]) -> None:
        for run in runs:
            self.record_run(run)

    def stored_marks(self) -> StoredMarks:
        """The newest run and result ids: where a reader of "what was stored since" starts."""
        with self.engine.connect() as conn:
            run_id = conn.execute(sa.select(sa.func.max(core.runs.c.id))).scalar()
            result_id = conn.execute(sa.select(sa.func.max(core.results.c.id))).scalar()
        return StoredMarks(int(run_id or 0), int(result_id or 0))

    def runs_after(self, marks: StoredMarks, *, limit: int) -> tuple[list[CheckRun], StoredMarks]:
        """Up to ``limit`` runs stored after ``marks``, oldest first, with the marks after them.

        Results are read by their own id range (the primary key), not by run_id, which has no
        index: a run and its results are written in one transaction, and SQLite serialises
        writers, so every result of a run after ``marks.run_id`` has an id after
        ``marks.result_id``. (A PostgreSQL store can commit ids out of order; agents keep a
        SQLite store, the one this is for.)"""
        with self.engine.connect() as conn:
            run_rows = conn.execute(sa.select(core.runs).where(core.runs.c.id > marks.run_id)
                                    .order_by(core.runs.c.id).limit(limit)).all()
            if not run_rows:
                return [], marks
            wanted = {row.id for row in run_rows}
            last_run = max(wanted)
            by_run: dict[int, list[CheckResult]] = {}
            last_result = marks.result_id
            query = (sa.select(core.results).where(core.results.c.id > marks.result_id)
                     .where(core.results.c.run_id <= last_run).order_by(core.results.c.id))
            for row in conn.execute(query):
                if row.run_id in wanted:
                    by_run.setdefault(row.run_id, []).append(_result_from_row(row))
                    last_result = max(last_result, row.id)
        runs = [CheckRun(collector=row.collector, target=row.target, started_at=row.started_at,
                         duration_s=row.duration_s, results=tuple(by_run.get(row.id, ())), error=row.error)
                for row in run_rows]
        return runs, StoredMarks(last_run, last_result)

    def _result_row(self, result: CheckResult) -> dict[str, Any]:
        return {
            "site": self.site, "target": result.target, "check": result.check, "item": result.item,
            "state": result.state.value, "summary": result.summary, "details": result.details,
            "metrics": [bulk.metric_json(m) for m in result.metrics], "observed_at": result.observed_at,
            "message": messages.to_json(result.message) if result.message is not None else None,
        }

    def latest(self, *, target: str | None = None, every_site: bool = False) -> list[LatestState]:
        """The latest state per item of this site (``every_site``: of every site in the store)."""
        query = sa.select(core.latest)
        if not every_site:
            query = query.where(core.latest.c.site == self.site)
        if target is not None:
            query = query.where(core.latest.c.target == target)
        query = query.order_by(core.latest.c.target, core.latest.c.check, core.latest.c.item)
        with self.engine.connect() as conn:
            return [LatestState(row.site, row.collector, _result_from_row(row), row.duration_s)
                    for row in conn.execute(query)]

    def forget_latest(self, *, target: str, collector: str, keep: Iterable[tuple[str, str]]) -> int:
        """Drop latest rows of ``collector`` on ``target`` that its last run no longer reported
        (a disk unmounted, a port removed), so /metrics does not show them forever."""
        with self.engine.begin() as conn:
            return self._forget_in(conn, target, collector, set(keep))

    def _forget_in(self, conn: sa.Connection, target: str, collector: str, keep: set[tuple[str, str]]) -> int:
        rows = conn.execute(sa.select(core.latest.c.check, core.latest.c.item).where(
            core.latest.c.site == self.site, core.latest.c.target == target,
            core.latest.c.collector == collector)).all()
        gone = [(c, i) for c, i in rows if (c, i) not in keep]
        for check, item in gone:
            conn.execute(core.latest.delete().where(
                core.latest.c.site == self.site, core.latest.c.target == target,
                core.latest.c.check == check, core.latest.c.item == item))
        return len(gone)

    def results_between(self, start: datetime, end: datetime, *, target: str | None = None) -> Iterator[CheckResult]:
        """Results observed in [start, end), oldest first, streamed (reports read quarters of them)."""
        query = (sa.select(core.results).where(core.results.c.site == self.site,
                                                core.results.c.observed_at >= start,
                                                core.results.c.observed_at < end)
                 .order_by(core.results.c.observed_at, core.results.c.id))
        if target is not None:
            query = query.where(core.results.c.target == target)
        with self.engine.connect() as conn:
            for row in conn.execution_options(stream_results=True, yield_per=2000).execute(query):
                yield _result_from_row(row)

    def count_results(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(core.results)).scalar_one()

    # --- audit ---------------------------------------------------------------------------

    def audit(self, action: str, subject: str, detail: Mapping[str, Any] | None = None, *,
              actor: str = "patrol", at: datetime | None = None) -> None:
        """Record something the agent (or an engineer through the CLI) did."""
        with self.engine.begin() as conn:
            conn.execute(core.audit.insert().values(
                at=at or utcnow(), site=self.site, actor=actor, action=action, subject=subject,
                detail=dict(detail or {})))

    def audit_entries(self, *, since: datetime | None = None, action: str | None = None,
                      limit: int = 1000) -> list[AuditEntry]:
        query = sa.select(core.audit).where(core.audit.c.site == self.site)
        if since is not None:
            query = query.where(core.audit.c.at >= since)
        if action is not None:
            query = query.where(core.audit.c.action == action)
        query = query.order_by(core.audit.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [AuditEntry(r.at, r.site, r.actor, r.action, r.subject, r.detail) for r in conn.execute(query)]

    # --- retention -----------------------------------------------------------------------

    def prune(self, now: datetime, *, retention_days: int, audit_retention_days: int) -> dict[str, int]:
        """Delete raw results and runs past retention; latest states are kept."""
        cutoff = now - timedelta(days=retention_days)
        audit_cutoff = now - timedelta(days=audit_retention_days)
        removed = {
            "results": self._delete_batched(core.results, core.results.c.observed_at < cutoff),
            "runs": self._delete_batched(core.runs, core.runs.c.started_at < cutoff),
            "audit": self._delete_batched(core.audit, core.audit.c.at < audit_cutoff),
        }
        if any(removed.values()):
            self.audit("store.prune", "results", removed, at=now)
        return removed


    def _delete_batched(self, table: sa.Table, older: Any, batch: int | None = None) -> int:
        """Delete matching rows ``batch`` at a time, each batch its own transaction: a day of a
        large site's results is millions of rows, and one huge DELETE would hold its locks
        (and, on SQLite, the only write lock) for minutes while the polls wait to store."""
        batch = batch or PRUNE_BATCH
        total = 0
        while True:
            ids = sa.select(table.c.id).where(older).order_by(table.c.id).limit(batch).scalar_subquery()
            with self.engine.begin() as conn:
                count = conn.execute(table.delete().where(table.c.id.in_(ids))).rowcount
            total += count
            if count < batch:
                return total


def _metrics_from_json(data: Any) -> tuple[Metric, ...]:
    if isinstance(data, str):  # some drivers hand JSON back as text
        data = json.loads(data)
    return tuple(Metric(m["name"], float(m["value"]), m.get("unit", ""), tuple(sorted(m.get("labels", {}).items())))
                 for m in data or ())


def _result_from_row(row: Any) -> CheckResult:
    return CheckResult(check=row.check, target=row.target, item=row.item, state=State(row.state),
                       summary=row.summary, details=row.details, metrics=_metrics_from_json(row.metrics),
                       observed_at=row.observed_at, message=_message_from_json(row.message))


def _message_from_json(data: Any) -> MessageRef | None:
    if isinstance(data, str):  # some drivers hand JSON back as text
        data = json.loads(data)
    return messages.from_json_or_none(data)
