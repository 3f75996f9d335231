"""The store: results, latest state, audit, retention, migrations, and surviving a kill -9."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from agent.store import Store
from agent.store.migrations import Component, Migration, SchemaTooNew, create_tables, migrate
from collectors.base import CheckResult, CheckRun, Metric, State
from tests.core.store_writer import RESULTS_PER_RUN

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)


def run(at, state=State.OK, items=("/",), collector="system", target="pc-1"):
    return CheckRun(collector, target, at, 0.2, tuple(
        CheckResult("system.disk", target, item, state, f"{item} {state.value}",
                    metrics=(Metric("disk_free_bytes", 1e9, "bytes"),), observed_at=at) for item in items))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    s = Store.open(url, "hq")
    if request.param == "postgresql":  # one server for the session: start each test from empty tables
        from agent.store import core
        with s.engine.begin() as conn:
            for table in (core.results, core.runs, core.latest, core.audit):
                conn.execute(table.delete())
    yield s
    s.close()


def test_results_latest_and_history(store):
    store.record_run(run(T0, State.OK))
    store.record_run(run(T0 + timedelta(minutes=5), State.CRIT))
    latest = store.latest()
    assert len(latest) == 1 and latest[0].result.state is State.CRIT and latest[0].collector == "system"
    assert latest[0].result.metrics == (Metric("disk_free_bytes", 1e9, "bytes"),)
    assert latest[0].result.observed_at == T0 + timedelta(minutes=5)  # tz-aware round trip
    history = list(store.results_between(T0, T0 + timedelta(hours=1)))
    assert [r.state for r in history] == [State.OK, State.CRIT]


def test_forget_latest_drops_vanished_items(store):
    store.record_run(run(T0, items=("/", "/mnt/usb")))
    store.forget_latest(target="pc-1", collector="system", keep=[("system.disk", "/")])
    assert [l.result.item for l in store.latest()] == ["/"]


def test_audit_and_retention(store):
    store.record_run(run(T0 - timedelta(days=100)))
    store.record_run(run(T0))
    store.audit("inspect", "hq", {"jobs": 3}, actor="engineer:wang", at=T0)
    removed = store.prune(T0 + timedelta(days=1), retention_days=90, audit_retention_days=365)
    assert removed["results"] == 1 and removed["runs"] == 1
    assert store.count_results() == 1
    actions = [e.action for e in store.audit_entries()]
    assert actions == ["store.prune", "inspect"]
    assert store.audit_entries(action="inspect")[0].actor == "engineer:wang"


def test_migrations_are_versioned_and_forward_only(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    meta = sa.MetaData()
    t1 = sa.Table("extra", meta, sa.Column("id", sa.Integer, primary_key=True))

    def add_column(conn):
        conn.execute(sa.text("ALTER TABLE extra ADD COLUMN note TEXT"))

    v1 = Component("extra", [Migration(1, "create", create_tables(t1))])
    v2 = Component("extra", [*v1.migrations, Migration(2, "add note", add_column)])
    assert migrate(engine, [v1]) == {"extra": 1}
    assert migrate(engine, [v2]) == {"extra": 2}
    assert migrate(engine, [v2]) == {"extra": 2}  # idempotent
    with engine.connect() as conn:
        cols = [r[1] for r in conn.execute(sa.text("PRAGMA table_info(extra)"))]
    assert cols == ["id", "note"]
    with pytest.raises(SchemaTooNew, match="newer than this Patrol knows"):
        migrate(engine, [v1])


def test_store_survives_kill_9_mid_write(tmp_path):
    """A writer killed with SIGKILL loses at most its open transaction: every stored run is whole."""
    url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    proc = subprocess.Popen([sys.executable, "-m", "tests.core.store_writer", url], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(1.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    con = sqlite3.connect(tmp_path / "crash.sqlite")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    results = con.execute("SELECT count(*) FROM results").fetchone()[0]
    assert runs > 10, "the writer did not get going"
    assert results == runs * RESULTS_PER_RUN, "a run was stored partly"
    # the latest rows describe the last whole run
    last_run = con.execute("SELECT max(id) FROM runs").fetchone()[0]
    assert {r[0] for r in con.execute("SELECT run_id FROM latest")} == {last_run}
    con.close()
    store = Store.open(url, "hq")  # and Patrol opens it again and carries on
    store.record_run(run(T0))
    store.close()


def _mixed_batch():
    """Runs as a replica stores them in one batch: two polls of one switch (the later one's
    latest rows win; one port gone from it), text COPY must escape, nested messages, labels."""
    from collectors.base import MessageRef

    nested = MessageRef("switch.port", (("parts", (MessageRef("switch.port.up"), MessageRef("bits", (("bps", 1e9),)))),))
    odd = "tab\there, new\nline, back\\slash, \\N, 中文 端口, 'quote' \"dq\", cr\rhere, \\\\ two"

    def result(item, state, at, summary="fine", message=None, metrics=()):
        return CheckResult("switch.port", "sw-1", item, state, summary, details=odd, metrics=metrics,
                           observed_at=at, message=message)

    first = CheckRun("switch", "sw-1", T0, 1.5, (
        result("Gi0/1", State.OK, T0, message=nested, metrics=(Metric("port_in_bits_per_second", 12.5, "bits_per_second",
                                                                       (("dir", "in"),)),)),
        result("Gi0/2", State.CRIT, T0, summary=odd),
        result("Gi0/3", State.OK, T0)))
    later = T0 + timedelta(minutes=5)
    second = CheckRun("switch", "sw-1", later, 2.5, (
        result("Gi0/1", State.WARN, later, message=nested),
        result("Gi0/2", State.OK, later, summary="came back", message=MessageRef("switch.port.came_up"))))
    other = run(T0, State.WARN, items=("/", "/var"))
    failed = CheckRun("switch", "sw-2", T0, 20.0, (), error="timeout")
    return [first, other, second, failed]


def test_postgresql_copy_writes_what_the_portable_path_writes(postgres_url):
    """The COPY path (agent/store/bulk.py) against SQLAlchemy's executemany on the same
    server: the same results in the same id order, the same latest rows, the same forgetting."""
    from agent.store import RunWrite, core

    stores = {}
    for site, portable in (("copy", False), ("portable", True)):
        s = stores[site] = Store.open(postgres_url, site)
        s.portable_writes = portable
        with s.engine.begin() as conn:
            for table in (core.results, core.runs, core.latest):
                conn.execute(table.delete().where(table.c.site == site))
        for _ in range(2):  # twice on one pooled connection: the stage table is reused
            with s.engine.begin() as conn:
                s.write_runs(conn, [RunWrite(r, forget_unreported=r.error is None) for r in _mixed_batch()])

    def stored(s):
        with s.engine.connect() as conn:
            rows = conn.execute(sa.select(core.results).where(core.results.c.site == s.site)
                                .order_by(core.results.c.id)).all()
        from agent.store.store import _result_from_row
        return [_result_from_row(r) for r in rows]

    def latest(s):
        return [(l.collector, l.duration_s, l.result) for l in s.latest()]

    try:
        assert stored(stores["copy"]) == stored(stores["portable"])
        assert len(stored(stores["copy"])) == 2 * 7
        assert latest(stores["copy"]) == latest(stores["portable"])
        by_item = {(l.result.target, l.result.item): l for l in stores["copy"].latest()}
        # Gi0/3 was not in the later error-free poll: forgotten; Gi0/1 is the later poll's
        assert ("sw-1", "Gi0/3") not in by_item and by_item[("sw-1", "Gi0/1")].result.state is State.WARN
        assert by_item[("sw-1", "Gi0/1")].duration_s == 2.5
        assert by_item[("sw-1", "Gi0/2")].result.details.startswith("tab\there, new\nline, back\\slash, \\N, 中文")
    finally:
        for s in stores.values():
            s.close()


def test_retention_deletes_in_bounded_transactions(store, monkeypatch):
    """Past retention, results go in transactions of PRUNE_BATCH rows (here 4), oldest ids
    first, each committed on its own; results inside retention stay."""
    from agent.store import store as store_module

    monkeypatch.setattr(store_module, "PRUNE_BATCH", 4)
    old = T0 - timedelta(days=100)
    for i in range(5):  # 5 runs x 2 items = 10 old results: batches of 4, 4, 2
        store.record_run(run(old + timedelta(minutes=i), items=("/", "/var")))
    store.record_run(run(T0, items=("/", "/var")))
    commits = []
    sa.event.listen(store.engine, "commit", lambda conn: commits.append(1))
    removed = store.prune(T0 + timedelta(days=1), retention_days=90, audit_retention_days=365)
    assert removed["results"] == 10 and removed["runs"] == 5
    assert store.count_results() == 2
    assert [r.observed_at for r in store.results_between(T0 - timedelta(days=200), T0 + timedelta(days=1))] == [T0, T0]
    # results 3 (4+4+2), runs 2 (4+1), audit 1 (0 rows), the prune's audit entry 1
    assert len(commits) == 7


def test_postgresql_copy_after_a_rolled_back_batch(postgres_url):
    """The first batch on a connection makes the stage table; when that transaction rolls
    back (here: a metric PostgreSQL's json refuses) the table goes with it, and the next
    batch on the same connection must still be stored."""
    from agent.store import RunWrite, core

    s = Store.open(postgres_url, "rollback")
    s.engine.dispose()
    s.engine = sa.create_engine(postgres_url, pool_size=1, max_overflow=0)  # one connection, reused
    try:
        with s.engine.begin() as conn:
            conn.execute(core.results.delete().where(core.results.c.site == "rollback"))
        bad = CheckRun("system", "pc-1", T0, 0.1, (CheckResult(
            "system.disk", "pc-1", "/", State.OK, "fine", metrics=(Metric("disk_free_bytes", float("nan"), "bytes"),),
            observed_at=T0),))
        with pytest.raises(sa.exc.DataError):
            with s.engine.begin() as conn:
                s.write_runs(conn, [RunWrite(bad)])
        with s.engine.begin() as conn:
            s.write_runs(conn, [RunWrite(run(T0))])
        assert [r.state for r in s.results_between(T0, T0 + timedelta(minutes=1))] == [State.OK]
    finally:
        s.close()


def test_postgresql_latest_has_half_full_pages_for_updates_in_place(postgres_url):
    """Migration 4 of core: each poll rewrites its items' latest rows; with room on the page
    PostgreSQL keeps the new version there without touching the primary key (HOT)."""
    import sqlalchemy as sa

    s = Store.open(postgres_url, "fillfactor")
    try:
        with s.engine.connect() as conn:
            options = conn.execute(sa.text("SELECT reloptions FROM pg_class WHERE relname = 'latest'")).scalar_one()
        assert options == ["fillfactor=50"]
    finally:
        s.close()
