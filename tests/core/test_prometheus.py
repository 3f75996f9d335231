"""A real Prometheus scrapes `patrol run` and evaluates the shipped alert rules."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support.proc import ServerProcess, free_port, require_program, wait_http

RULES = Path(__file__).resolve().parents[2] / "docs" / "prometheus" / "patrol-rules.yml"


def test_shipped_rules_pass_promtool(promtool):
    result = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def prometheus(tmp_path):
    binary = require_program("prometheus", "prometheus")
    procs = []

    def start(scrape_target: str) -> str:
        port = free_port()
        shutil.copy(RULES, tmp_path / "patrol-rules.yml")
        (tmp_path / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "rule_files: [patrol-rules.yml]\n"
            f"scrape_configs:\n  - job_name: patrol\n    static_configs: [{{targets: ['{scrape_target}']}}]\n")
        proc = ServerProcess([binary, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                              f"--web.listen-address=127.0.0.1:{port}"], log_path=tmp_path / "prometheus.log")
        procs.append(proc)
        wait_http(f"http://127.0.0.1:{port}/-/ready", 30, proc)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in procs:
        proc.stop()


def query(base: str, expr: str) -> list:
    return requests.get(f"{base}/api/v1/query", params={"query": expr}, timeout=5).json()["data"]["result"]


def test_prometheus_scrapes_patrol_and_the_critical_rule_matches(daemon, prometheus):
    # The real CLI with the system checks; a required process that does not exist is CRIT.
    proc, metrics_url, folder = daemon("", "checks:\n  system:\n    required_processes: [patrol-no-such-process]\n"
                                      "    schedule: {interval_s: 30, jitter_s: 0}\n", real_cli=True)
    base = prometheus(metrics_url.removeprefix("http://").removesuffix("/metrics"))
    deadline = time.monotonic() + 30
    while True:
        up = query(base, 'up{job="patrol"}')
        crit = query(base, 'patrol_check_state{check="system.process",item="patrol-no-such-process"}')
        alerts = requests.get(f"{base}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
        if up and up[0]["value"][1] == "1" and crit and any(a["labels"]["alertname"] == "PatrolCheckCritical" for a in alerts):
            break
        assert time.monotonic() < deadline, (up, crit, alerts, proc.log_tail())
        time.sleep(0.5)
    assert crit[0]["value"][1] == "2"
    assert crit[0]["metric"]["site"] == "hq" and crit[0]["metric"]["target"] == "pc-1"
    alert = next(a for a in alerts if a["labels"]["alertname"] == "PatrolCheckCritical")
    assert alert["state"] == "pending"  # for: 10m has not elapsed; the rule matched the series
    assert query(base, "patrol_memory_used_ratio")
    # under `patrol run` the log also goes to the rotating file in the state folder
    assert "patrol run:" in (folder / "var" / "patrol.log").read_text()
