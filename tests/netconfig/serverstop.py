"""Stopping a test server for sure (used by the netconfig and printer_snmp fixtures)."""

from __future__ import annotations

import subprocess

from tests.support.proc import ServerProcess


def stop_server(proc: ServerProcess) -> None:
    """SIGTERM our server; then make sure it is gone.

    ServerProcess.stop() may do nothing: it compares /proc/PID/cmdline with a copy taken
    right after Popen, which is sometimes still empty then. The Popen child is ours and
    unreaped, so its PID cannot have been reused: signalling it directly is safe.
    """
    proc.stop()
    if proc.popen.poll() is None:
        proc.popen.terminate()
        try:
            proc.popen.wait(10)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait(5)
