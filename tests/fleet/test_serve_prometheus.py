"""A real Prometheus (Debian package prometheus) scraping the real collector's /metrics over
HTTPS, trusting the collector's generated CA; promtool lints the exposition.

The scrape config is the one docs/fleet.md shows ("Prometheus and Alertmanager").
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support.collector import result
from tests.support.proc import ServerProcess, free_port, require_program, wait_http, wait_until

# docs/fleet.md shows this block with ca_file /etc/prometheus/patrol-ca.pem and target
# collector.example:9470 (test_the_documented_config_is_the_tested_one).
SCRAPE_CONFIG = """\
scrape_configs:
  - job_name: patrol-collector
    scheme: https
    tls_config:
      ca_file: {ca_file}
    static_configs:
      - targets: ["{target}"]
"""
DOCS = Path(__file__).resolve().parents[2] / "docs" / "fleet.md"


@pytest.fixture(scope="module")
def prometheus(site_collector, tmp_path_factory):
    binary = require_program("prometheus", "prometheus")
    folder = tmp_path_factory.mktemp("prometheus")
    config = folder / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1s\n" +
                      SCRAPE_CONFIG.format(ca_file=site_collector.ca_file, target=f"127.0.0.1:{site_collector.port}"))
    port = free_port()
    proc = ServerProcess([binary, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
                          f"--web.listen-address=127.0.0.1:{port}"], log_path=folder / "prometheus.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/-/ready", 60, proc)
        yield url
    finally:
        proc.stop()


def query(url: str, promql: str) -> list[dict]:
    answer = requests.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10)
    answer.raise_for_status()
    return answer.json()["data"]["result"]


def test_prometheus_scrapes_pushed_results_and_last_seen(site_collector, prometheus):
    agent = site_collector.enroll("pc-prom")
    pushed_at = time.time()
    answer = agent.push([result("system.disk", "C:", "WARN", "disk C: 91% full"), result("system.cpu")])
    assert answer.status_code == 200
    found: dict[str, list[dict]] = {}

    def scraped() -> bool:
        found["state"] = query(prometheus, f'patrol_check_state{{target="{agent.target}",check="system.disk"}}')
        found["seen"] = query(prometheus, f'patrol_agent_last_seen_timestamp_seconds{{target="{agent.target}"}}')
        return bool(found["state"] and found["seen"])

    wait_until(scraped, 60, "Prometheus to scrape the pushed result")
    (state,) = found["state"]
    assert state["metric"]["site"] == "hq" and state["metric"]["item"] == "C:"
    assert state["metric"]["job"] == "patrol-collector"
    assert state["value"][1] == "1"  # WARN
    (seen,) = found["seen"]
    assert abs(float(seen["value"][1]) - pushed_at) < 60
    targets = requests.get(f"{prometheus}/api/v1/targets", timeout=10).json()["data"]["activeTargets"]
    assert [t["health"] for t in targets] == ["up"], targets


def test_the_collectors_metrics_pass_promtool(site_collector, tmp_path):
    promtool = require_program("promtool", "prometheus")
    agent = site_collector.enroll("pc-promtool")
    victim = site_collector.enroll("pc-promtool-victim")
    # What an agent (or the fuzz test) may push: a label name Prometheus cannot parse, a label
    # that would refile the value under another target, a name of the collector's own families.
    hostile = [{"name": "odd_labels_ratio", "value": 1.0, "unit": "ratio", "labels": {"0bad": "x"}},
               {"name": "spoof_ratio", "value": 1.0, "unit": "ratio", "labels": {"target": victim.target}},
               {"name": "check_state", "value": 0.0, "unit": "", "labels": {}},
               {"name": "workers_total", "value": 5.0, "unit": "", "labels": {}},
               {"name": "disk_used_ratio", "value": 0.99, "unit": "ratio", "labels": {"volume_kind": "ssd"}}]
    answer = agent.push([result("system.disk", "C:", "CRIT", "full", metrics=hostile)])
    assert answer.status_code == 200 and answer.json()["stored"] is True  # the result counts, bad metrics dropped
    line = f'patrol_check_state{{check="system.disk",item="C:",site="hq",target="{agent.target}"}} 2.0'
    text = ""

    def exposed() -> bool:  # /metrics is a snapshot cached for a few seconds
        nonlocal text
        text = site_collector.get("/metrics").text
        return line in text

    wait_until(exposed, 30, "the pushed result on /metrics")
    lint = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()
    assert 'patrol_disk_used_ratio{check="system.disk",item="C:",site="hq",target="pc-promtool",volume_kind="ssd"}' in text
    assert "0bad" not in text and "patrol_odd_labels_ratio" not in text
    assert f'target="{victim.target}"' not in text.split("patrol_spoof_ratio", 1)[-1].split("\n# ", 1)[0]
    assert text.count("# TYPE patrol_check_state ") == 1 and 'patrol_check_state{check="system.disk",item="C:",' \
        'site="hq",target="pc-promtool"} 2.0' in text
    assert 'patrol_workers_total{check=' not in text


def test_the_documented_config_is_the_tested_one():
    documented = SCRAPE_CONFIG.format(ca_file="/etc/prometheus/patrol-ca.pem", target="collector.example:9470")
    assert documented in DOCS.read_text(encoding="utf-8")
