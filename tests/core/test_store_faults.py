"""A damaged, empty or full store: refused or retried with one clear line, never silently
replaced; `patrol store backup` and `patrol store restore`."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from agent.cycle import RunRecorder
from agent.store import Store
from agent.store.integrity import StoreUnusable
from collectors.base import CheckResult, CheckRun, State
from tests.core.test_cli import patrol

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)


def _run(n: int) -> CheckRun:
    return CheckRun("system", "pc-1", T0, 0.1, (CheckResult("system.disk", "pc-1", f"/d{n}", State.OK, "x" * 2000,
                                                            observed_at=T0),))


@pytest.fixture
def seeded(tmp_path):
    """A config whose store holds one inspection, and the store's path."""
    config = tmp_path / "p.yaml"
    config.write_text("agent: {site: hq, name: pc-1}\n")
    assert patrol("-c", str(config), "inspect", "--only", "system", "--no-tickets", cwd=tmp_path).returncode == 0
    return config, tmp_path / "var" / "patrol.sqlite"


def test_empty_store_is_refused_not_replaced(seeded, tmp_path):
    config, store = seeded
    store.write_bytes(b"")
    result = patrol("-c", str(config), "inspect", "--only", "system", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"the store {store} is empty (0 bytes)" in result.stderr and "patrol store restore" in result.stderr
    assert store.stat().st_size == 0  # left as it was for the engineer to look at


@pytest.mark.parametrize("damage", ["truncated", "garbage", "corrupt-page"])
def test_damaged_store_is_refused(seeded, tmp_path, damage):
    config, store = seeded
    data = bytearray(store.read_bytes())
    if damage == "truncated":
        store.write_bytes(bytes(data[: len(data) // 3]))
    elif damage == "garbage":
        store.write_bytes(b"not a database at all " * 100)
    else:  # the file header stays valid; the results table's root page is overwritten
        con = sqlite3.connect(store)
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'results'").fetchone()[0]
        con.close()
        start = (root - 1) * page_size
        data[start: start + page_size] = b"\xff" * page_size
        store.write_bytes(bytes(data))
    result = patrol("-c", str(config), "inspect", "--only", "system", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert f"the store {store} is" in result.stderr and "patrol store restore" in result.stderr


def test_backup_and_restore(seeded, tmp_path):
    config, store = seeded
    backup = tmp_path / "backup.sqlite"
    result = patrol("-c", str(config), "store", "backup", str(backup), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert backup.stat().st_mode & 0o777 == 0o600
    assert patrol("-c", str(config), "store", "backup", str(backup), cwd=tmp_path).returncode == 2  # never overwrites
    store.write_bytes(b"")
    result = patrol("-c", str(config), "store", "restore", str(backup), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "kept as" in result.stdout and (tmp_path / "var" / "patrol.sqlite.replaced-1").exists()
    con = sqlite3.connect(store)
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] >= 1
    con.close()
    assert patrol("-c", str(config), "inspect", "--only", "system", cwd=tmp_path).returncode == 0
    (tmp_path / "bad.sqlite").write_bytes(b"junk" * 100)
    result = patrol("-c", str(config), "store", "restore", str(tmp_path / "bad.sqlite"), cwd=tmp_path)
    assert result.returncode == 2 and "is not an SQLite database" in result.stderr


def test_new_store_is_created_whole(tmp_path):
    path = tmp_path / "new" / "p.sqlite"
    Store.open(f"sqlite:///{path}", "hq").close()
    assert path.stat().st_size > 0 and sorted(p.name for p in path.parent.iterdir()) == ["p.sqlite"]
    with pytest.raises(StoreUnusable):
        path.write_bytes(b"")
        Store.open(f"sqlite:///{path}", "hq")


class _Ctx:
    def __init__(self, store: Store):
        self.store = store


def test_full_disk_is_one_log_line_and_a_retry(tmp_path, caplog):
    """SQLite's max_page_count makes the database "full" exactly as a full disk does (SQLITE_FULL)."""
    store = Store.open(f"sqlite:///{tmp_path / 'p.sqlite'}", "hq")
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    limit = {"pages": pages}

    @sa.event.listens_for(store.engine, "connect")
    def _cap(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA max_page_count={limit['pages']}")

    store.engine.dispose()
    recorder = RunRecorder(_Ctx(store))
    with caplog.at_level(logging.INFO, logger="agent.cycle"):
        for n in range(20):
            recorder(_run(n))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "full" in errors[0].getMessage() and errors[0].exc_info is None
    assert 15 <= len(recorder.unstored) <= 20  # the first runs may still fit in free pages
    limit["pages"] = 100_000  # space again
    store.engine.dispose()
    recorder(_run(20))
    assert not recorder.unstored and store.count_results() == 21
    assert "stored" in caplog.records[-1].getMessage()
    store.close()


@pytest.mark.parametrize("folder", ["var?x=1", "var#2", "var 100%"])
def test_a_state_dir_with_url_characters_keeps_its_store_where_it_says(tmp_path, folder):
    # An f-string URL ended the path at '?' or '#': the store went elsewhere, or failed to open.
    config = tmp_path / "p.yaml"
    config.write_text(f"agent: {{site: hq, name: pc-1}}\npaths: {{state_dir: '{tmp_path / folder}'}}\n")
    assert patrol("-c", str(config), "inspect", "--only", "system", "--no-tickets", cwd=tmp_path).returncode == 0
    store = tmp_path / folder / "patrol.sqlite"
    assert store.is_file() and store.stat().st_size > 0
    assert not (tmp_path / "var").exists()  # where the cut-off URL would have put it
    backup = patrol("-c", str(config), "store", "backup", str(tmp_path / folder / "b.sqlite"), cwd=tmp_path)
    assert backup.returncode == 0, backup.stderr


def test_opening_the_store_again_keeps_the_wal_other_processes_read(tmp_path):
    """A second Store.open in a process that has the store open (the collector's first report
    did) must not drop that process's SQLite locks: else another process closing its last
    connection deletes the WAL this one still writes into, and later writes are lost to it."""
    import subprocess
    import sys

    path = tmp_path / "patrol.sqlite"
    url = f"sqlite:///{path}"
    first = Store.open(url, "hq")
    first.record_run(_run(1))
    again = Store.open(url, "hq")  # e.g. AppContext.store in the collector, opened lazily
    count = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
             "print(c.execute('SELECT count(*) FROM results').fetchone()[0]); c.close()")

    def count_elsewhere() -> int:  # another process (a CLI command) opens, reads and closes
        done = subprocess.run([sys.executable, "-c", count, str(path)], capture_output=True, text=True, timeout=60,
                              check=True)
        return int(done.stdout)

    assert count_elsewhere() == 1
    first.record_run(_run(2))
    assert count_elsewhere() == 2
    assert Path(f"{path}-wal").exists()  # still the file this process writes into
    again.close()
    first.record_run(_run(3))
    assert count_elsewhere() == 3
    first.close()
