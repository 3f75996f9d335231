"""/metrics under a connection flood: 2,000 idle connections against `patrol run` limited to
1024 descriptors. Scrapes are still answered and workers still start (issue 17: before,
1,100 idle connections made every scrape and every worker start fail)."""

from __future__ import annotations

import asyncio
import re
import resource
import socket
import sys
import time

import requests

from agent.exporter import Snapshot, build_registry, connection_cap
from agent.launcher import Launcher
from tests.core.conftest import REPO
from tests.support.proc import ServerProcess, free_port, require_program, wait_http


def _workers(text: str, outcome: str) -> float:
    match = re.search(rf'patrol_workers_total{{outcome="{outcome}"}} ([0-9.e+]+)', text)
    return float(match.group(1)) if match else -1.0


def test_idle_connection_flood_leaves_scrapes_and_workers_working(tmp_path):
    prlimit = require_program("prlimit", "util-linux")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2300:
        import pytest

        pytest.skip(f"this test opens 2,000 connections; the descriptor limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2300), hard))
    port = free_port()
    config = tmp_path / "patrol.yaml"
    config.write_text(f"agent: {{site: hq, name: pc-1}}\nexporter: {{listen: '127.0.0.1:{port}'}}\n"
                      "checks:\n  plugins:\n    ok: {schedule: {interval_s: 1, jitter_s: 0}}\n")
    proc = ServerProcess([prlimit, "--nofile=1024:1024", sys.executable, "-m", "tests.core.daemon_script", str(config),
                          "ok"], log_path=tmp_path / "daemon.out", cwd=REPO)
    conns: list[socket.socket] = []
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        wait_http(url, 30, proc)
        for _ in range(2000):
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        before = _workers(requests.get(url, timeout=10).text, "ok")
        deadline = time.monotonic() + 30
        answered = 0
        while time.monotonic() < deadline:
            text = requests.get(url, timeout=10).text
            answered += 1
            if _workers(text, "ok") >= before + 2:
                break
            time.sleep(0.5)
        assert _workers(text, "ok") >= before + 2, proc.log_tail()  # workers kept starting during the flood
        assert _workers(text, "failed") == 0, proc.log_tail()
        assert "Too many open files" not in proc.log_tail()
    finally:
        for conn in conns:
            conn.close()
        proc.stop()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_connection_cap_keeps_a_descriptor_reserve():
    assert connection_cap(1024) == 32  # (1024 - 128) // 2 = 448, capped at 32
    assert connection_cap(180) == 26 and connection_cap(140) == 6 and connection_cap(64) == 1


def test_a_worker_that_cannot_start_is_counted_as_failed(tmp_path):
    snapshot = Snapshot("hq")
    launcher = Launcher([str(tmp_path / "no-such-program")], lambda message: None,
                        lambda result: snapshot.count_worker(result.outcome))
    result = asyncio.run(launcher.run(["check:system"], 5))
    assert result.outcome == "failed" and "could not start" in result.stderr_text[0]
    from prometheus_client import generate_latest

    text = generate_latest(build_registry(snapshot, "test")).decode()
    assert 'patrol_workers_total{outcome="failed"} 1.0' in text
