"""A lock shared by every process on one PostgreSQL database (collector replicas on several
machines): a session-level ``pg_advisory_lock``.

It is held on a connection of its own for the length of the block; PostgreSQL releases it
when that connection ends, so a replica killed while deciding never leaves it held. The
file lock (agent/interlock.py) stays for SQLite stores, whose processes share one machine.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from agent.interlock import LockTimeout

POLL_S = 0.05


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (what pg_advisory_lock takes)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def advisory_lock(engine: sa.Engine, name: str, timeout_s: float) -> Iterator[None]:
    """Hold the advisory lock ``name``; LockTimeout after ``timeout_s`` of waiting.

    pg_try_advisory_lock in a loop rather than a blocking pg_advisory_lock: a wait bounded
    here needs no statement timeout on a pooled connection that other code reuses."""
    key = lock_key(name)
    with engine.connect() as conn:
        deadline = time.monotonic() + timeout_s
        while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
            conn.rollback()  # no transaction left open while we wait
            if time.monotonic() >= deadline:
                raise LockTimeout(f"the database lock {name!r} is held by another Patrol process for more "
                                  f"than {timeout_s:g} s")
            time.sleep(POLL_S)
        conn.commit()
        try:
            yield
        finally:
            try:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
            except sa.exc.DBAPIError:
                # The connection broke: the server has dropped the lock with it; never pool it again.
                conn.invalidate()


class Leadership:
    """One process of many holds ``name`` (replicas electing who runs the watch loop): the
    advisory lock on a connection kept open. ``held()`` is called before each round of the
    work; it takes the lock when it is free (its holder died: the server released it with
    the holder's connection) and checks a held one still is (a lost connection loses it)."""

    def __init__(self, engine: sa.Engine, name: str):
        self.engine = engine
        self.key = lock_key(name)
        self._conn: sa.Connection | None = None

    def held(self) -> bool:
        try:
            if self._conn is None:
                conn = self.engine.connect()
                got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar_one()
                conn.commit()
                if not got:
                    conn.close()
                    return False
                self._conn = conn
                return True
            self._conn.execute(sa.text("SELECT 1")).scalar_one()
            self._conn.commit()
            return True
        except sa.exc.DBAPIError:
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()  # closing the session drops the lock with it
            finally:
                self._conn = None
