"""Faults against a real `patrol serve`, each with a collector of its own (they need their own
settings or kill it): a client trickling its body, thousands of idle connections under a
low open-files limit, and `kill -9` right after an acknowledged push."""

from __future__ import annotations

import resource
import shutil
import socket
import ssl
import time
from pathlib import Path

import pytest

from tests.support.collector import CollectorProcess, result
from tests.support.proc import wait_until

IDLE_CONNECTIONS = 2000
COLLECTOR_NOFILE = 1024  # the collector cannot even accept all the idle connections at once


@pytest.fixture(scope="module")
def tight_collector(tmp_path_factory):
    """Short deadlines, and the collector under `prlimit --nofile=1024`."""
    prlimit = shutil.which("prlimit")
    assert prlimit, "prlimit (util-linux) is missing"
    with CollectorProcess.start(tmp_path_factory.mktemp("tight"), {"serve": {"keepalive_s": 2, "body_timeout_s": 2}},
                                wrapper=(prlimit, f"--nofile={COLLECTOR_NOFILE}:{COLLECTOR_NOFILE}", "--")) as server:
        yield server


def test_the_collector_runs_under_the_lower_limit(tight_collector):
    limits = Path(f"/proc/{tight_collector.pid}/limits").read_text()
    line = next(line for line in limits.splitlines() if line.startswith("Max open files"))
    assert line.split()[3:5] == [str(COLLECTOR_NOFILE)] * 2


def tls_socket(collector: CollectorProcess) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(collector.ca_file))
    raw = socket.create_connection(("127.0.0.1", collector.port), timeout=30)
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


def complete(answer: bytes) -> bool:
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    return len(body) >= length


def test_a_body_trickled_past_the_deadline_gets_408(tight_collector):
    agent = tight_collector.enroll("pc-slow")
    body = b'{"batch_id": "abcdefgh", "seq": 1, "runs": []}' + b" " * 200
    with tls_socket(tight_collector) as sock:
        sock.sendall((f"POST /api/v1/results HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {agent.credential}"
                      f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode())
        started = time.monotonic()
        answer = b""
        sock.settimeout(0.5)
        for i in range(0, len(body), 10):  # 10 bytes every 0.5 s: 10 s for the whole body
            try:
                sock.sendall(body[i:i + 10])
                answer += sock.recv(65536)
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                break
            if complete(answer):
                break
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"did not arrive within 2 s" in answer
    assert elapsed < 6
    assert tight_collector.agent_json(agent.target)["last_seq"] == 0  # nothing stored


def test_headers_trickled_past_the_idle_deadline_are_dropped(tight_collector):
    head = (b"POST /api/v1/results HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"X-Padding: " + b"a" * 40 + b"\r\n\r\n")
    with tls_socket(tight_collector) as sock:
        sock.settimeout(0.5)
        started = time.monotonic()
        dropped = False
        for i in range(len(head)):  # a byte every 0.1 s: 10 s for the headers
            try:
                sock.sendall(head[i:i + 1])
                if sock.recv(1) == b"":
                    dropped = True
                    break
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                dropped = True
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    assert dropped, "the collector kept a connection whose headers never ended"
    assert elapsed < 6, elapsed  # serve.keepalive_s is 2 s


def test_thousands_of_idle_connections_neither_stop_pushes_nor_linger(tight_collector):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < IDLE_CONNECTIONS + 200:  # this test process holds the other end of each one
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, IDLE_CONNECTIONS + 1000), hard))
    agent = tight_collector.enroll("pc-busy")
    idle: list[socket.socket] = []
    try:
        for _ in range(IDLE_CONNECTIONS):
            # Connects complete in the kernel's backlog even while the collector is at its limit.
            idle.append(socket.create_connection(("127.0.0.1", tight_collector.port), timeout=10))
        opened = time.monotonic()
        # The collector holds what it can (its fd limit), and keeps answering: a push and /metrics.
        answer = agent.push([result("system.disk", "C:", "WARN", "while 2000 sockets sit idle")], timeout=60)
        assert answer.status_code == 200 and answer.json()["stored"] is True
        metrics = tight_collector.get("/metrics", timeout=60)
        assert metrics.status_code == 200 and f'target="{agent.target}"' in metrics.text
        answered_in = time.monotonic() - opened
        # Without the idle deadline they would wait for 2000 sockets that never speak.
        assert answered_in < 30, answered_in
        fds = len(list(Path(f"/proc/{tight_collector.pid}/fd").iterdir()))
        assert fds <= COLLECTOR_NOFILE

        # Every idle socket is closed by the collector, about serve.keepalive_s after it was accepted.
        for sock in idle:
            sock.setblocking(False)

        def closed(sock: socket.socket) -> bool:
            try:
                return sock.recv(1) == b""
            except BlockingIOError:
                return False
            except OSError:  # reset: dropped
                return True

        open_ones = list(idle)

        def all_closed() -> bool:
            nonlocal open_ones
            open_ones = [s for s in open_ones if not closed(s)]
            return not open_ones

        wait_until(all_closed, 30, "the collector to close 2000 idle connections")
        assert tight_collector.process is not None and tight_collector.process.popen.poll() is None
        # And it still answers.
        assert agent.push([result("system.disk", "C:", "OK")]).status_code == 200
        assert tight_collector.get("/healthz").status_code == 200
    finally:
        for sock in idle:
            sock.close()


def test_kill_9_right_after_a_200_loses_nothing_acknowledged(tmp_path):
    with CollectorProcess.start(tmp_path / "crash") as collector:
        agent = collector.enroll("pc-crash")
        acked = []
        for n in range(5):
            answer = agent.push([result("system.disk", "C:", "WARN", f"push {n}"), result("system.cpu", "", "OK")])
            assert answer.status_code == 200 and answer.json()["stored"] is True
            acked.append(answer.json()["seq"])
        collector.kill9()  # at once after the last 200: no shutdown, nothing flushed
        collector.launch()
        with collector.sqlite() as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored = conn.execute("SELECT COUNT(*) FROM results WHERE target = ? AND \"check\" LIKE 'system.%'",
                                  (agent.target,)).fetchone()[0]
            last = conn.execute("SELECT summary FROM latest WHERE target = ? AND \"check\" = 'system.disk'",
                                (agent.target,)).fetchone()[0]
        assert stored == 2 * len(acked)
        assert last == "push 4"
        assert collector.agent_json(agent.target)["last_seq"] == acked[-1]
        # The agent carries on where it was: the same batch again is a no-op, the next is stored.
        again = agent.send(agent.batch([], seq=acked[-1]))
        assert again.json()["stored"] is False
        assert agent.push([result("system.disk", "C:", "OK")]).json()["stored"] is True
