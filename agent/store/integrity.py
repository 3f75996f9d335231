"""An SQLite store is checked before it is used, created whole, and backed up online.

SQLite opens a 0-byte file as a new, empty database, so a store truncated by a full disk
or a bad copy would be silently replaced: tickets gone, numbering restarted. Patrol
therefore creates a new store under a temporary name and links it into place complete
(a 0-byte store is never Patrol's own), and refuses an empty, foreign or damaged file
with a message that says what to do. ``PRAGMA quick_check`` reads every page once
(O(size)); it runs when a command or `patrol run` starts, not in every worker.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa

SQLITE_HEADER = b"SQLite format 3\x00"
_RECOVER = ("restore a backup with `patrol store restore BACKUP_FILE`, or move the file away "
            "to start a new, empty store")


class StoreUnusable(RuntimeError):
    """The store exists but cannot be used as it is; the message says why and what to do."""


def sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL, or None (PostgreSQL, in-memory)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    # make_url undoes the %-escapes sqlite_url() writes for a '?' or '#' in a folder name.
    return Path(parsed.database)


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite file ``path``. Written with URL.create, not an
    f-string: a state_dir such as /srv/patrol#2 would otherwise end the path at the '#'."""
    return sa.engine.URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


def _read_only(path: Path) -> str:
    """A read-only SQLite URI for ``path`` (quoted: a '?' or '#' in a folder name is not a URI part)."""
    from urllib.parse import quote

    return f"file:{quote(str(path.absolute()))}?mode=ro"


def check_file(path: Path) -> None:
    """Raise ``StoreUnusable`` if ``path`` exists but is not a usable SQLite database file."""
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except IsADirectoryError:
        raise StoreUnusable(f"the store {path} is a directory, not a database file") from None
    except OSError as exc:
        raise StoreUnusable(f"cannot read the store {path}: {exc.strerror}") from None
    if not header:
        raise StoreUnusable(f"the store {path} is empty (0 bytes), so its results and tickets are lost; {_RECOVER}")
    if header != SQLITE_HEADER:
        raise StoreUnusable(f"the store {path} is not an SQLite database (damaged or overwritten); {_RECOVER}")


def quick_check(path: Path) -> None:
    """Raise ``StoreUnusable`` if SQLite's quick_check finds damage in ``path``."""
    try:
        con = sqlite3.connect(_read_only(path), uri=True, timeout=10)
        try:
            rows = [r[0] for r in con.execute("PRAGMA quick_check(5)")]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StoreUnusable(f"the store {path} is damaged ({exc}); {_RECOVER}") from None
    if rows != ["ok"]:
        raise StoreUnusable(f"the store {path} is damaged (quick_check: {'; '.join(rows)}); {_RECOVER}")


def create_whole(path: Path, build) -> None:  # build: Callable[[str], None], given an SQLAlchemy URL
    """Create the store at ``path`` complete: ``build`` makes the schema in a temporary
    file, which is then linked into place (never over an existing file: a concurrent
    process that got there first wins and ours is dropped)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.new-{os.getpid()}")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    try:
        build(sqlite_url(tmp))
        # WAL mode is kept in the file; the -wal file is checkpointed away when the last
        # connection closes (build disposes its engine).
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links (some network or FUSE mounts)
            if not path.exists():
                os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)


def backup(source: Path, target: Path) -> None:
    """A consistent copy of the live store (SQLite's online backup: safe while `patrol run` writes)."""
    check_file(source)
    if not source.exists():
        raise StoreUnusable(f"there is no store at {source}")
    if target.exists():
        raise StoreUnusable(f"{target} exists; choose a new file name")
    tmp = target.with_name(f".{target.name}.part-{os.getpid()}")
    src = sqlite3.connect(_read_only(source), uri=True, timeout=10)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    finally:
        src.close()
        tmp.unlink(missing_ok=True)


def restore(backup_file: Path, store: Path) -> Path | None:
    """Replace the store with ``backup_file`` after checking it; the replaced store (if
    any) is kept beside it as ``<name>.replaced-<n>``, whose path is returned. Stop
    `patrol run` first: a running agent keeps the old file open."""
    check_file(backup_file)
    if not backup_file.exists():
        raise StoreUnusable(f"there is no backup at {backup_file}")
    quick_check(backup_file)
    store.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = store.with_name(f".{store.name}.restore-{os.getpid()}")
    src = sqlite3.connect(_read_only(backup_file), uri=True)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    os.chmod(tmp, 0o600)
    kept = None
    if store.exists():
        n = 1
        while Path(f"{store}.replaced-{n}").exists():
            n += 1
        kept = Path(f"{store}.replaced-{n}")
        os.replace(store, kept)
    for stale in (Path(f"{store}-wal"), Path(f"{store}-shm")):
        stale.unlink(missing_ok=True)  # they belong to the replaced file
    os.replace(tmp, store)
    return kept
