"""`patrol enroll` then `patrol run` as real processes, pushing to the recording HTTPS collector."""

from __future__ import annotations

import sqlite3
import time

import requests

from agent.fleet.protocol import ENROLL_PATH, RESULTS_PATH, ResultBatch
from tests.support.fleet import agent_config, enrol, start_agent
from tests.support.proc import free_port, wait_until

CREDENTIAL = "pac_run-test-credential-0123456789"


def test_enrolled_agent_pushes_each_cycle_and_decides_no_tickets(collector, pki, tmp_path):
    collector.script.default[ENROLL_PATH] = lambda seen: (200, {
        "agent_id": "b" * 32, "site": "acme", "target": "pc-7", "credential": CREDENTIAL, "reenrolled": False}, {})
    port = free_port()
    # A threshold every machine fails, so that a standalone agent would record a finding.
    config = agent_config(tmp_path / "pc-7", name="pc-7", exporter_port=port, interval_s=120,
                          extra="collector: {push_interval_s: 1, retry_base_s: 1, config_refresh_s: 3600}\n")
    config.write_text(config.read_text().replace(
        "  system: {schedule: {interval_s: 120, jitter_s: 0}}",
        "  system: {schedule: {interval_s: 120, jitter_s: 0}, memory_used_percent: {warn: 0.01, crit: null}}"))
    done = enrol(config, collector.url, "pet_" + "k" * 30, pki.ca_fingerprint)
    assert done.returncode == 0, done.stderr
    assert CREDENTIAL not in done.stdout + done.stderr
    agent = start_agent(config)
    try:
        wait_until(lambda: collector.requests_to(RESULTS_PATH), 60, "a pushed batch", agent)
        (first,) = collector.requests_to(RESULTS_PATH)[:1]
        batch = ResultBatch.model_validate(first.body)
        assert batch.hostname == "pc-7" and batch.interval_s == 120
        results = [r for run in batch.runs for r in run.results]
        assert any(r.check == "system.memory" and r.state == "WARN" for r in results)
        assert first.headers["authorization"] == f"Bearer {CREDENTIAL}"

        def pushed_metrics() -> str:
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            return text if "patrol_push_last_success_timestamp_seconds" in text else ""

        wait_until(pushed_metrics, 20, "push metrics", agent)
        text = pushed_metrics()
        assert "patrol_push_pending_batches 0.0" in text and "patrol_push_dropped_results_total 0.0" in text
    finally:
        agent.stop()
    db = sqlite3.connect(config.parent / "state" / "patrol.sqlite")
    assert db.execute("SELECT count(*) FROM results").fetchone()[0] > 0  # kept locally too
    assert db.execute("SELECT count(*) FROM findings").fetchone()[0] == 0  # the collector decides, not this agent


def test_agent_buffers_while_the_collector_is_down_and_delivers_after(collector, pki, tmp_path):
    from agent.fleet.protocol import CONFIG_PATH

    collector.script.default[ENROLL_PATH] = lambda seen: (200, {
        "agent_id": "c" * 32, "site": "acme", "target": "pc-8", "credential": CREDENTIAL, "reenrolled": False}, {})
    collector.script.default[CONFIG_PATH] = lambda seen: (304, None, {})
    port = free_port()
    config = agent_config(tmp_path / "pc-8", name="pc-8", exporter_port=port, interval_s=2,
                          extra="collector: {push_interval_s: 1, retry_base_s: 1, retry_max_s: 2}\n")
    assert enrol(config, collector.url, "pet_" + "k" * 30, pki.ca_fingerprint).returncode == 0
    accept = collector.script.default[RESULTS_PATH]
    collector.script.default[RESULTS_PATH] = lambda seen: (503, {"detail": "collector restarting"}, {})
    agent = start_agent(config)
    try:
        wait_until(lambda: len(collector.requests_to(RESULTS_PATH)) >= 2, 60, "failed attempts", agent)
        time.sleep(3)  # more cycles queue up meanwhile
        collector.script.default[RESULTS_PATH] = accept
        wait_until(lambda: len(collector.stored_seqs) >= 3, 60, "delivery after the outage", agent)
    finally:
        agent.stop()
    assert collector.stored_seqs == sorted(collector.stored_seqs)
    assert len(set(collector.stored_seqs)) == len(collector.stored_seqs)
    assert "not taking results" in agent.log_tail(200) and "takes results again" in agent.log_tail(200)
