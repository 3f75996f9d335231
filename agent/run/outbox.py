"""The push outbox: check batches waiting for the collector, in ``<state_dir>/fleet/outbox.sqlite``.

One row per batch: ``seq`` (monotonic per agent, never reused, kept in the file so it
survives restarts), ``batch_id`` (uuid4 hex), ``created_at``, the gzip'd JSON list of its
runs (protocol.run_to_wire) and that size. The ``ResultBatch`` envelope (sent_at,
dropped, ...) is made when the batch is sent.

Bounds (collector.outbox_max_mb, outbox_max_age_h): past them the oldest batches are
dropped; their results are counted, reported to the collector in the next batch's
``dropped`` and logged once per drop episode (an episode ends when a batch goes through).

A fresh outbox starts numbering at the current Unix time in milliseconds rather than 1:
the collector never stores a seq lower than the last it stored for this computer, and a
reinstalled PC is the same agent there (agent/serve/registry.py), so a restart from 1
would have its new batches taken for re-sends.

Plain ``sqlite3`` (no SQLAlchemy): the worker that writes here after each cycle should
not pay for more imports than it already has. WAL, so `patrol run`'s workers (a check
batch and the ``push:outbox`` job) can use it at once; sending is serialised by a lock
file (agent/run/push.py).
"""

from __future__ import annotations

import gzip
import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
BUSY_TIMEOUT_S = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY,
    batch_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    results INTEGER NOT NULL,
    size INTEGER NOT NULL,
    body BLOB NOT NULL,
    held TEXT  -- why this batch is set aside (a validation error): kept for inspection, not retried
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
"""


@dataclass(frozen=True)
class Batch:
    seq: int
    batch_id: str
    created_at: float
    results: int
    size: int
    body: bytes  # gzip'd JSON list of runs

    def runs(self) -> list[dict[str, Any]]:
        return json.loads(gzip.decompress(self.body))


@dataclass(frozen=True)
class OutboxStats:
    pending: int  # batches waiting (held ones not counted)
    held: int
    size: int  # bytes of all rows
    dropped_total: int  # results ever dropped past the bounds
    last_success: float | None  # Unix time of the last batch the collector took
    next_attempt_at: float  # Unix time; 0 = now


def count_results(runs: Sequence[dict[str, Any]]) -> int:
    return sum(len(r.get("results", ())) for r in runs)


def split_runs(runs: Sequence[dict[str, Any]], max_results: int) -> list[list[dict[str, Any]]]:
    """Consecutive groups of whole runs with at most ``max_results`` results each (a run
    larger than that alone is a group of its own: runs are never cut)."""
    groups: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    count = 0
    for run in runs:
        n = len(run.get("results", ()))
        if current and count + n > max_results:
            groups.append(current)
            current, count = [], 0
        current.append(run)
        count += n
    if current:
        groups.append(current)
    return groups


class Outbox:
    def __init__(self, path: Path, *, max_bytes: int, max_age_s: float, clock: Callable[[], float] = time.time):
        self.path = path
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread off: a worker opens the outbox on its event loop and uses it from
        # asyncio.to_thread, one call at a time (never two threads at once).
        self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a power cut may lose the last batch, never corrupt
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Outbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- meta -------------------------------------------------------------------------------

    def _get(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    def _set(self, key: str, value: Any) -> None:
        self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, value))

    def get_meta(self, key: str, default: Any = None) -> Any:
        return self._get(key, default)

    def set_meta(self, key: str, value: Any) -> None:
        self._set(key, value)

    def _take_seq(self) -> int:
        seq = self._get("next_seq")
        if seq is None:
            seq = max(1, int(self.clock() * 1000))
        self._set("next_seq", int(seq) + 1)
        return int(seq)

    # --- writing ----------------------------------------------------------------------------

    def add(self, runs: Sequence[dict[str, Any]], max_results: int) -> list[int]:
        """Queue ``runs`` (wire form) as one batch, or several when they hold more than
        ``max_results`` results; returns their seqs. Enforces the bounds afterwards."""
        with self._tx():
            seqs = self._insert(runs, max_results)
        self.enforce_bounds()
        return seqs

    def _insert(self, runs: Sequence[dict[str, Any]], max_results: int) -> list[int]:
        seqs = []
        now = self.clock()
        for group in split_runs(runs, max_results):
            body = gzip.compress(json.dumps(group, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 6)
            seq = self._take_seq()
            self.db.execute("INSERT INTO batches (seq, batch_id, created_at, results, size, body) VALUES (?,?,?,?,?,?)",
                            (seq, uuid.uuid4().hex, now, count_results(group), len(body), body))
            seqs.append(seq)
        return seqs

    # --- queueing from the local store ------------------------------------------------------
    # The agent's own store is the journal of what it measured. The outbox remembers the last
    # stored run it queued (meta ``queued_marks``, written in the same transaction as the
    # batches), so a worker stopped or killed between storing its runs and queueing them loses
    # nothing: the next worker that queues picks them up, and none is queued twice.

    def _marks(self) -> tuple[int, int] | None:
        text = self._get("queued_marks")
        if text is None:
            return None
        run_id, result_id = (int(part) for part in str(text).split(","))
        return run_id, result_id

    def _set_marks(self, marks: tuple[int, int]) -> None:
        self._set("queued_marks", "%d,%d" % marks)

    def start_marks(self, current: Callable[[], tuple[int, int]]) -> None:
        """Set the queued-up-to marks to ``current()`` (the store's newest ids) the first time,
        so that runs stored before this agent pushed (before enrolment) are not sent. Once
        set (every later cycle), only a read: no write lock."""
        if self._marks() is not None:
            return
        with self._tx():
            if self._marks() is None:  # checked again under the lock: another worker may have begun
                self._set_marks(current())

    def queue_stored(self, read_after: Callable[[tuple[int, int]], tuple[Sequence[dict[str, Any]], tuple[int, int]]],
                     max_results: int, *, max_rounds: int = 50) -> list[int]:
        """Queue every stored run after the marks: ``read_after(marks)`` returns the next runs
        (wire form, oldest first, a bounded number) and the marks after them; an empty list
        ends. One transaction: two workers queueing at once queue each run once."""
        seqs: list[int] = []
        with self._tx():
            position = self._marks()
            if position is None:  # start_marks was never called: nothing known to be queued yet
                return seqs
            for _ in range(max_rounds):
                runs, after = read_after(position)
                if not runs and after == position:
                    break
                seqs += self._insert(runs, max_results) if runs else []
                position = after
                self._set_marks(position)
        self.enforce_bounds()
        return seqs

    def enforce_bounds(self) -> int:
        """Drop batches past the age bound, then the oldest past the size bound; returns results dropped."""
        now = self.clock()
        dropped_batches = dropped_results = 0
        episode = True
        with self._tx():
            for seq, results in self.db.execute("SELECT seq, results FROM batches WHERE created_at < ? ORDER BY seq",
                                                (now - self.max_age_s,)).fetchall():
                self.db.execute("DELETE FROM batches WHERE seq = ?", (seq,))
                dropped_batches, dropped_results = dropped_batches + 1, dropped_results + results
            total = self.db.execute("SELECT COALESCE(SUM(size), 0) FROM batches").fetchone()[0]
            if total > self.max_bytes:
                for seq, results, size in self.db.execute("SELECT seq, results, size FROM batches ORDER BY seq").fetchall():
                    if total <= self.max_bytes:
                        break
                    self.db.execute("DELETE FROM batches WHERE seq = ?", (seq,))
                    total -= size
                    dropped_batches, dropped_results = dropped_batches + 1, dropped_results + results
            if dropped_batches:
                self._set("dropped_unreported", int(self._get("dropped_unreported", 0)) + dropped_results)
                self._set("dropped_total", int(self._get("dropped_total", 0)) + dropped_results)
                episode = bool(self._get("drop_episode", 0))
                self._set("drop_episode", 1)
        if dropped_batches and not episode:
            log.warning("push outbox full (collector.outbox_max_mb %g, outbox_max_age_h %g): dropping the oldest "
                        "batches; %d results dropped so far; told to the collector with the next batch "
                        "(logged once until a batch goes through)",
                        self.max_bytes / 2**20, self.max_age_s / 3600, dropped_results)
        return dropped_results

    def drop(self, seq: int, reason: str) -> None:
        """A batch that can never be sent (e.g. larger than the collector takes): counted as dropped."""
        with self._tx():
            row = self.db.execute("SELECT results FROM batches WHERE seq = ?", (seq,)).fetchone()
            if row is None:
                return
            self.db.execute("DELETE FROM batches WHERE seq = ?", (seq,))
            self._set("dropped_unreported", int(self._get("dropped_unreported", 0)) + row[0])
            self._set("dropped_total", int(self._get("dropped_total", 0)) + row[0])
        log.error("push: batch %d dropped (%d results): %s", seq, row[0], reason)

    def hold(self, seq: int, reason: str) -> None:
        self.db.execute("UPDATE batches SET held = ? WHERE seq = ?", (reason[:1000], seq))

    def split(self, batch: Batch) -> tuple[int, int] | None:
        """Cut ``batch`` (the oldest pending) in two halves of whole runs, numbered ``seq``
        and ``seq + 1``; the later batches move up by one. Safe because sending is in order
        and stops at the first failure: nothing after ``batch`` was ever sent. None when it
        holds a single run (it cannot be cut)."""
        runs = batch.runs()
        if len(runs) < 2:
            return None
        half = len(runs) // 2
        bodies = [gzip.compress(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 6)
                  for part in (runs[:half], runs[half:])]
        with self._tx():
            # Two steps through negative numbers: SQLite checks the key on every row updated.
            self.db.execute("UPDATE batches SET seq = -(seq + 1) WHERE seq > ?", (batch.seq,))
            self.db.execute("UPDATE batches SET seq = -seq WHERE seq < 0")
            self._set("next_seq", int(self._get("next_seq")) + 1)
            self.db.execute("UPDATE batches SET batch_id = ?, results = ?, size = ?, body = ? WHERE seq = ?",
                            (uuid.uuid4().hex, count_results(runs[:half]), len(bodies[0]), bodies[0], batch.seq))
            self.db.execute("INSERT INTO batches (seq, batch_id, created_at, results, size, body) VALUES (?,?,?,?,?,?)",
                            (batch.seq + 1, uuid.uuid4().hex, batch.created_at, count_results(runs[half:]),
                             len(bodies[1]), bodies[1]))
        return batch.seq, batch.seq + 1

    # --- reading and acknowledging ------------------------------------------------------------

    def oldest(self) -> Batch | None:
        row = self.db.execute("SELECT seq, batch_id, created_at, results, size, body FROM batches WHERE held IS NULL "
                              "ORDER BY seq LIMIT 1").fetchone()
        return None if row is None else Batch(*row)

    def delivered(self, seq: int, reported_dropped: int) -> None:
        """The collector has ``seq`` (stored now or before): remove it, note the success,
        and subtract the drops it was told about."""
        with self._tx():
            self.db.execute("DELETE FROM batches WHERE seq = ?", (seq,))
            self._set("dropped_unreported", max(0, int(self._get("dropped_unreported", 0)) - reported_dropped))
            self._set("last_success", self.clock())
            self._set("drop_episode", 0)
            self._set("failures", 0)
            self._set("next_attempt_at", 0)

    def dropped_unreported(self) -> int:
        return int(self._get("dropped_unreported", 0))

    # --- retry schedule, shared by every worker through the file ------------------------------

    def failures(self) -> int:
        return int(self._get("failures", 0))

    def next_attempt_at(self) -> float:
        return float(self._get("next_attempt_at", 0))

    def failed(self, next_attempt_at: float) -> None:
        with self._tx():
            self._set("failures", self.failures() + 1)
            self._set("next_attempt_at", next_attempt_at)

    def flag(self, name: str, value: bool | None = None) -> bool:
        """A persistent episode flag (e.g. "refused"); sets it when ``value`` is given; returns the old value."""
        old = bool(self._get(f"flag:{name}", 0))
        if value is not None:
            self._set(f"flag:{name}", int(value))
        return old

    def stats(self) -> OutboxStats:
        pending, held, size = self.db.execute(
            "SELECT COALESCE(SUM(held IS NULL), 0), COALESCE(SUM(held IS NOT NULL), 0), COALESCE(SUM(size), 0) "
            "FROM batches").fetchone()
        last = self._get("last_success")
        return OutboxStats(int(pending), int(held), int(size), int(self._get("dropped_total", 0)),
                           None if last is None else float(last), self.next_attempt_at())

    def _tx(self) -> "_Transaction":
        return _Transaction(self.db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT: the write lock is taken at once, so two workers never
    both read ``next_seq`` before either writes it."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
