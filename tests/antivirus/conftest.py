"""Real ClamAV daemons for the tests: clamd with a one-signature database, freshclam that cannot update."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.proc import ServerProcess, require_program, wait_until

# One MD5 signature (.hdb: md5:size:name) for a 68-byte file: enough for clamd to start.
TINY_HDB = "44d88612fea8a8f36de82e1278abb02f:68:Patrol-Test-Signature\n"


def _running(argv: list[str], comm: str, base: Path, ready=None) -> Iterator[ServerProcess]:
    """Start ``argv``, wait until it runs as ``comm`` (and ``ready()``), stop it by its PID afterwards."""
    proc = ServerProcess(argv, log_path=base / f"{comm}.out")
    try:
        wait_until(lambda: Path(f"/proc/{proc.pid}/comm").read_text().strip() == comm, 10, comm, proc)
        if ready is not None:
            wait_until(ready, 30, f"{comm} ready", proc)
        # ServerProcess reads /proc/PID/cmdline right after fork, sometimes before exec, and
        # then refuses to stop a process whose cmdline "changed": record it now that it runs.
        if not proc.is_ours():
            proc._cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        yield proc
    finally:
        proc.stop()
        assert proc.popen.poll() is not None, f"{comm} did not stop"


@pytest.fixture(scope="session")
def clamd(tmp_path_factory) -> Iterator[ServerProcess]:
    program = require_program("/usr/sbin/clamd", "clamav-daemon")
    base = tmp_path_factory.mktemp("clamd")
    (base / "db").mkdir()
    (base / "db" / "patrol.hdb").write_text(TINY_HDB)
    socket = base / "clamd.sock"
    (base / "clamd.conf").write_text(
        f"LocalSocket {socket}\nDatabaseDirectory {base / 'db'}\nForeground yes\n"
        f"LogFile {base / 'clamd.log'}\nPidFile {base / 'clamd.pid'}\n")
    yield from _running([program, "-c", str(base / "clamd.conf")], "clamd", base, ready=socket.exists)


@pytest.fixture(scope="session")
def freshclam(tmp_path_factory) -> Iterator[ServerProcess]:
    """freshclam in daemon mode, pointed at a closed loopback port: it fails to update and keeps running."""
    program = require_program("/usr/bin/freshclam", "clamav-freshclam")
    base = tmp_path_factory.mktemp("freshclam")
    (base / "db").mkdir()
    (base / "freshclam.conf").write_text(
        f"DatabaseDirectory {base / 'db'}\nUpdateLogFile {base / 'freshclam.log'}\nPidFile {base / 'freshclam.pid'}\n"
        "DatabaseOwner root\nDNSDatabaseInfo no\nDatabaseMirror http://127.0.0.1:9\nChecks 1\nForeground yes\n"
        "ConnectTimeout 2\nReceiveTimeout 2\nMaxAttempts 1\n")
    yield from _running([program, "--daemon", f"--config-file={base / 'freshclam.conf'}"], "freshclam", base)
