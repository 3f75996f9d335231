"""`patrol run`: schedules, no overlapping runs, /metrics that promtool accepts, clean SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import requests

from agent.scheduler import PlannedJob, TaskTracker, build_scheduler
from apscheduler.triggers.interval import IntervalTrigger
from collectors.base import utcnow
from tests.core.conftest import REPO


def test_scheduler_never_overlaps_runs_of_one_job():
    """A job slower than its interval is skipped while it runs, never started twice."""
    state = {"running": 0, "max": 0, "runs": 0}

    async def slow() -> None:
        state["running"] += 1
        state["runs"] += 1
        state["max"] = max(state["max"], state["running"])
        await asyncio.sleep(0.7)
        state["running"] -= 1

    async def scenario() -> None:
        tracker = TaskTracker()
        scheduler = build_scheduler([PlannedJob("slow", IntervalTrigger(seconds=0.2), slow, 1, first_run=utcnow())],
                                    tracker, utcnow())
        scheduler.start()
        await asyncio.sleep(2.2)
        scheduler.shutdown(wait=False)
        await tracker.stop(2)

    asyncio.run(scenario())
    assert state["max"] == 1
    assert 2 <= state["runs"] <= 4  # ~2.2 s / 0.7 s per run, skipped ticks not queued up


def test_metrics_pass_promtool_and_sigterm_mid_run_stops_cleanly(daemon, promtool):
    proc, url, folder = daemon("ok,slow", "checks:\n  plugins:\n    ok: {schedule: {interval_s: 1, jitter_s: 0}}\n"
                                          "    slow: {sleep_s: 30, timeout_s: 60, schedule: {interval_s: 1, jitter_s: 0}}\n")
    deadline = time.monotonic() + 15
    while 'check="ok.value"' not in (text := requests.get(url, timeout=2).text):
        assert time.monotonic() < deadline, text
        time.sleep(0.2)
    lint = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True)
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()
    assert 'patrol_check_state{check="ok.value",item="",site="hq",target="pc-1"} 0.0' in text
    assert 'patrol_fake_value_ratio{check="ok.value",item="",site="hq",target="pc-1"} 0.5' in text
    assert "patrol_build_info{" in text
    assert 'patrol_workers_total{outcome="killed"} 0.0' in text
    # "slow" is now in the middle of its 30 s fetch: SIGTERM must stop everything well within 5 s.
    started = time.monotonic()
    proc.popen.send_signal(signal.SIGTERM)
    rc = proc.popen.wait(10)
    elapsed = time.monotonic() - started
    assert rc == 0 and elapsed < 5, (rc, elapsed, proc.log_tail())
    con = sqlite3.connect(folder / "var" / "patrol.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    actions = [r[0] for r in con.execute("SELECT action FROM audit ORDER BY id")]
    assert actions[0] == "daemon.start" and actions[-1] == "daemon.stop"
    stored = con.execute("SELECT count(*) FROM results WHERE \"check\" = 'ok.value'").fetchone()[0]
    assert stored >= 1
    assert con.execute("SELECT count(*) FROM results WHERE \"check\" LIKE 'slow%'").fetchone()[0] == 0


def test_restart_serves_last_known_states_at_once(daemon):
    proc, url, folder = daemon("ok", "checks:\n  plugins:\n    ok: {schedule: {interval_s: 3600, jitter_s: 0}}\n")
    deadline = time.monotonic() + 15
    while 'check="ok.value"' not in requests.get(url, timeout=2).text:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    proc.stop()
    # second start: the job's first run is ~1 s away, but the store's latest states are served before it
    proc2, url2, _ = daemon("ok", "checks:\n  plugins:\n    ok: {schedule: {interval_s: 3600, jitter_s: 0}}\n")
    assert 'patrol_check_state{check="ok.value"' in requests.get(url2, timeout=2).text


def test_a_busy_metrics_port_is_a_clear_error_not_a_traceback(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "patrol.yaml"
        config.write_text(f"agent: {{site: hq, name: pc-1}}\nexporter: {{listen: '127.0.0.1:{port}'}}\n")
        done = subprocess.run([sys.executable, "-m", "agent.cli", "-c", str(config), "run"], cwd=REPO,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"cannot serve /metrics on 127.0.0.1:{port} (exporter.listen)" in done.stderr
    assert "Traceback" not in done.stderr
    con = sqlite3.connect(tmp_path / "var" / "patrol.sqlite")
    assert [r[0] for r in con.execute("SELECT action FROM audit ORDER BY id")] == ["daemon.start", "daemon.stop"]
