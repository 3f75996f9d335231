"""A real clamd for the ClamAV tests: a one-signature database and a socket in a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.proc import ServerProcess, require_program, wait_until

# One MD5 signature (.hdb: md5:size:name) for a 68-byte file: enough for clamd to start.
TINY_HDB = "44d88612fea8a8f36de82e1278abb02f:68:Patrol-Test-Signature\n"


@pytest.fixture(scope="session")
def clamd(tmp_path_factory) -> ServerProcess:
    program = require_program("/usr/sbin/clamd", "clamav-daemon")
    base = tmp_path_factory.mktemp("clamd")
    (base / "db").mkdir()
    (base / "db" / "patrol.hdb").write_text(TINY_HDB)
    socket = base / "clamd.sock"
    (base / "clamd.conf").write_text(
        f"LocalSocket {socket}\nDatabaseDirectory {base / 'db'}\nForeground yes\n"
        f"LogFile {base / 'clamd.log'}\nPidFile {base / 'clamd.pid'}\n")
    proc = ServerProcess([program, "-c", str(base / "clamd.conf")], log_path=base / "clamd.out")
    try:
        wait_until(lambda: socket.exists(), 30, "clamd socket", proc)
        wait_until(lambda: Path(f"/proc/{proc.pid}/comm").read_text().strip() == "clamd", 5, "clamd comm", proc)
        # ServerProcess reads /proc/PID/cmdline right after fork, sometimes before exec, and
        # then refuses to stop a process whose cmdline "changed": record it now that clamd runs.
        if not proc.is_ours():
            proc._cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        yield proc
    finally:
        proc.stop()
        assert proc.popen.poll() is not None, "clamd did not stop"
