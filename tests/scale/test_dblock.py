"""The ticket engine's lock on PostgreSQL: pg_advisory_lock, released when its holder's connection dies."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from agent.dblock import Leadership, advisory_lock, lock_key
from agent.interlock import LockTimeout
from agent.store.store import create_engine


def test_one_holder_at_a_time_and_a_bounded_wait(postgres_url):
    engine = create_engine(postgres_url)
    inside, overlaps = [], []

    def hold(n: int) -> None:
        with advisory_lock(engine, "patrol.ticket-engine:hq", 10):
            inside.append(n)
            if len(inside) > 1:
                overlaps.append(tuple(inside))
            time.sleep(0.2)
            inside.remove(n)

    threads = [threading.Thread(target=hold, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
    with advisory_lock(engine, "patrol.ticket-engine:hq", 1):
        with pytest.raises(LockTimeout, match="ticket-engine:hq"):
            with advisory_lock(create_engine(postgres_url), "patrol.ticket-engine:hq", 0.3):
                pass
        with advisory_lock(engine, "patrol.ticket-engine:branch", 0.3):  # another site's engine is free
            pass
    engine.dispose()


def test_a_dead_holder_releases_the_lock(postgres_url):
    holder = create_engine(postgres_url)
    conn = holder.connect()
    key = lock_key("patrol.ticket-engine:hq")
    assert conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one()
    pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    other = create_engine(postgres_url)
    with pytest.raises(LockTimeout):
        with advisory_lock(other, "patrol.ticket-engine:hq", 0.3):
            pass
    with other.connect() as admin:  # the holder's connection is cut, as when its replica is killed
        admin.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    with advisory_lock(other, "patrol.ticket-engine:hq", 5):
        pass
    conn.invalidate()
    holder.dispose()
    other.dispose()


def test_one_leader_and_a_takeover_when_its_connection_dies(postgres_url):
    a_engine, b_engine = create_engine(postgres_url), create_engine(postgres_url)
    a, b = Leadership(a_engine, "patrol.serve.watch"), Leadership(b_engine, "patrol.serve.watch")
    assert a.held() and a.held()  # taken, then still held
    assert not b.held()
    assert a._conn is not None
    pid = a._conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    a._conn.commit()
    with b_engine.connect() as admin:  # the leader's connection dies (its replica killed, a network cut)
        admin.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    assert b.held()  # the lock went with the connection
    assert not a.held()  # and the old leader notices it lost it
    b.release()
    assert a.held()
    a.release()
    a_engine.dispose()
    b_engine.dispose()
