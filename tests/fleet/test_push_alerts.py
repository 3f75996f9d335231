"""A real Prometheus scrapes an enrolled agent whose collector is unreachable: PatrolPushStalled matches."""

from __future__ import annotations

import json
import time

import requests

from config.fleet_state import FleetPaths
from tests.core.test_prometheus import prometheus, query  # noqa: F401 - the fixture
from tests.support.fleet import agent_config, start_agent
from tests.support.proc import free_port, wait_until


def test_stalled_push_is_alerted(tmp_path, prometheus):  # noqa: F811
    port = free_port()
    config = agent_config(tmp_path / "pc-9", name="pc-9", exporter_port=port, interval_s=3600)
    paths = FleetPaths.under(config.parent / "state")
    paths.root.mkdir(parents=True)
    paths.enrolment.write_text(json.dumps({"url": f"https://127.0.0.1:{free_port()}", "agent_id": "d" * 32,
                                           "site": "default", "target": "pc-9", "credential": "pac_unused"}))
    agent = start_agent(config)
    try:
        metrics = f"http://127.0.0.1:{port}/metrics"
        wait_until(lambda: "patrol_push_pending_batches 1.0" in requests.get(metrics, timeout=2).text, 60,
                   "a batch waiting", agent)
        base = prometheus(f"127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while True:
            alerts = requests.get(f"{base}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
            stalled = [a for a in alerts if a["labels"]["alertname"] == "PatrolPushStalled"]
            if stalled:
                break
            assert time.monotonic() < deadline, (alerts, agent.log_tail())
            time.sleep(0.5)
        assert stalled[0]["state"] == "pending"  # for: 15m has not elapsed; the rule matched
        assert not [a for a in alerts if a["labels"]["alertname"] == "PatrolPushDropping"]
        assert query(base, "patrol_push_dropped_results_total")[0]["value"][1] == "0"
    finally:
        agent.stop()
