"""The link history written by a replica's batch on PostgreSQL (the links seen again go in one
set-based UPDATE there) is the history one run at a time leaves on SQLite."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from agent.store import Store
from agent.context import store_components
from agent.topology.record import record_run, record_runs
from agent.topology.schema import neighbor_links
from tests.snmp.test_topology import T0, _neighbors_run


def _table(engine: sa.Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(neighbor_links).order_by(neighbor_links.c.id)).all()
    return [tuple(r._mapping[c] for c in r._mapping if c != "id") for r in rows]


def test_a_postgresql_batch_leaves_the_history_sqlite_one_by_one_leaves(postgres_url, tmp_path) -> None:
    t1, t2 = T0 + timedelta(minutes=5), T0 + timedelta(minutes=10)
    before = [_neighbors_run("sw1", T0, [("Gi0/1", "a"), ("Gi0/2", "b")]),
              _neighbors_run("sw2", T0, [("Gi0/1", "c"), ("Gi0/2", "f")])]
    batch = [_neighbors_run("sw1", t1, [("Gi0/1", "a"), ("Gi0/3", "d")]),  # a seen again, b gone, d new
             _neighbors_run("sw2", t1, [("Gi0/1", "c"), ("Gi0/2", "f"), ("Gi0/1", "c")]),  # both seen again
             _neighbors_run("sw1", t2, [("Gi0/1", "a"), ("Gi0/3", "d")])]  # polled twice: seen again at t2
    sqlite = Store.open(f"sqlite:///{tmp_path}/one.sqlite", "hq", store_components())
    pg = Store.open(postgres_url, "hq", store_components())
    try:
        with pg.engine.begin() as conn:
            conn.execute(neighbor_links.delete())
        for store in (sqlite, pg):
            for run in before:
                record_run(store.engine, "hq", run)
        changes = sum(record_run(sqlite.engine, "hq", run) for run in batch)
        with pg.engine.begin() as conn:
            assert record_runs(conn, "hq", batch) == changes
        assert _table(pg.engine) == _table(sqlite.engine)
        with pg.engine.connect() as conn:
            last_seen = dict(conn.execute(sa.select(neighbor_links.c.remote_name, neighbor_links.c.last_seen)
                                          .where(neighbor_links.c.gone_at.is_(None))).all())
        assert last_seen == {"a": t2, "c": t1, "f": t1, "d": t2}
    finally:
        sqlite.close()
        pg.close()
