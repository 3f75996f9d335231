"""Start real servers for tests: free ports, readiness waits, and stopping by our own PID.

Every server is a plain child process in its own session, started once per test session
by a fixture, and stopped by the PID we started, never by name. PIDs wrap on this
machine, so a PID is signalled only while its child is unreaped (see ``is_ours``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest


def free_port(kind: str = "tcp", host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (TCP or UDP) on ``host``."""
    sock_type = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, sock_type) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def require_program(path: str, apt_package: str) -> str:
    """The program's path; fails (not skips) when the test set-up did not install it."""
    found = shutil.which(path) or (path if os.path.exists(path) else None)
    if not found:
        pytest.fail(f"{path} is missing: the README's test command (scripts/test.sh) installs the "
                    f"Debian package {apt_package}; run it first", pytrace=False)
    return found


def tcp_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something LISTENs on ``host:port``, read from /proc/net/tcp (no connection made:
    a bare TCP probe upsets some servers, e.g. paramiko prints a banner traceback)."""
    want_port = f"{port:04X}"
    want_host = "".join(f"{int(p):02X}" for p in reversed(host.split(".")))
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            addr, _, lport = local.partition(":")
            if state == "0A" and lport == want_port and (addr in (want_host, "00000000") or len(addr) == 32):
                return True
    return False


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, proc: "ServerProcess | None" = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.popen.returncode}; log:\n{proc.log_tail()}")
        try:
            if predicate():
                return
        except Exception:
            pass
        time.sleep(0.05)
    tail = f"; log:\n{proc.log_tail()}" if proc is not None else ""
    raise TimeoutError(f"{what} not ready within {timeout} s{tail}")


def wait_http(url: str, timeout: float, proc: "ServerProcess | None" = None, status: int = 200) -> None:
    import requests

    wait_until(lambda: requests.get(url, timeout=1).status_code == status, timeout, url, proc)


class ServerProcess:
    """A server we started; ``stop()`` signals only that PID, after checking it is still ours."""

    def __init__(self, argv: Sequence[str], *, log_path: Path, env: Mapping[str, str] | None = None,
                 cwd: Path | None = None, user: str | None = None, stop_signal: int = signal.SIGTERM):
        self.argv = list(argv)
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        full_env = {**os.environ, **(env or {})}
        self.stop_signal = stop_signal
        # ``user``: run as that system user (servers that refuse root, e.g. PostgreSQL).
        self.popen = subprocess.Popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      env=full_env, cwd=cwd, start_new_session=True, user=user,
                                      group=user if user else None, extra_groups=[] if user else None)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def is_ours(self) -> bool:
        # The PID is ours as long as we have not reaped the child: an exited but unreaped
        # child stays a zombie holding its PID, so no other process can have it yet.
        # (Reading /proc/PID/cmdline right after start can race with exec and read empty.)
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, sig: int | None = None, timeout: float = 10.0) -> None:
        if self.popen.poll() is None and self.is_ours():
            self.popen.send_signal(self.stop_signal if sig is None else sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self._log.close()


# A hung peer, shared by the test areas that need one (mail, domain). Appended below the
# rest, so its one extra import stands here rather than in the head of the file.
import threading  # noqa: E402


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never says a word (a hung server).

    Connections are held open until ``close()``; usable as ``with SilentServer() as server:``.
    """

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        for conn in self.conns:
            conn.close()
        self.sock.close()

    def __enter__(self) -> "SilentServer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def lock_holder(path: Path, hold_s: float) -> subprocess.Popen:
    """Another process that takes the agent interlock ``path`` (agent/interlock.py), says
    so, and holds it for ``hold_s``; returns once it holds it. Kill it to end early."""
    code = textwrap.dedent(f'''
        import time
        from pathlib import Path
        from agent.interlock import interlock
        with interlock(Path({str(path)!r}), 5):
            print("held", flush=True)
            time.sleep({hold_s})
    ''')
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=repo, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held", "the lock holder did not start"
    return proc
