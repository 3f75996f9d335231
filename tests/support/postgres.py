"""A throw-away PostgreSQL server for tests: initdb into a temp dir, run as the postgres user.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
``postgres`` system user (created by the Debian package) through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.proc import ServerProcess, free_port, tcp_listening, wait_until


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail("PostgreSQL is missing: the README's test command (scripts/test.sh) installs the Debian "
                    "package postgresql; run it first", pytrace=False)
    return found[-1]


def as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--", *argv]


def start_postgres() -> tuple[ServerProcess, str, Path]:
    """Start a server; returns (process, SQLAlchemy URL of database 'patrol', its folder to remove).

    The folder is made under /tmp, not pytest's tmp_path: pytest's folders are private to
    root, and the server runs as the postgres user.
    """
    folder = Path(tempfile.mkdtemp(prefix="patrol-pg-"))
    folder.chmod(0o755)
    data, sock = folder / "data", folder / "sock"
    data.mkdir(parents=True)
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        for path in (data, sock):
            shutil.chown(path, "postgres")
    subprocess.run(as_postgres([pg_bin("initdb"), "-D", str(data), "-U", "patrol", "--auth=trust", "-E", "UTF8",
                                "--no-sync"]), check=True, capture_output=True)
    port = free_port()
    # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
    proc = ServerProcess([pg_bin("postgres"), "-D", str(data), "-p", str(port), "-k", str(sock),
                          "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                         log_path=folder / "postgres.log", user="postgres" if os.geteuid() == 0 else None,
                         stop_signal=signal.SIGINT)
    wait_until(lambda: tcp_listening(port), 30, "postgres", proc)
    # The port listens a moment before the server accepts sessions ("the database system is
    # starting up"): retry until createdb gets through.
    createdb = [pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "patrol", "patrol"]
    wait_until(lambda: subprocess.run(createdb, capture_output=True).returncode == 0
               or "already exists" in subprocess.run(createdb, capture_output=True, text=True).stderr,
               30, "postgres accepting sessions", proc)
    return proc, f"postgresql+psycopg://patrol@127.0.0.1:{port}/patrol", folder


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away server for the test session (import it into a conftest.py to use it)."""
    proc, url, folder = start_postgres()
    yield url
    proc.stop()
    shutil.rmtree(folder, ignore_errors=True)
