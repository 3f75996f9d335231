"""A real Alertmanager (Debian package prometheus-alertmanager) whose webhook receiver is the real
collector's /api/v1/alertmanager (bearer token, the collector's CA), fed alerts through its
API: a firing alert with a ``tier`` label becomes a ticket of that tier at once (the builtin
backend, then Request Tracker 5), and its "resolved" closes the ticket.

The receiver config is the one docs/fleet.md shows ("Prometheus and Alertmanager").
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fleet.conftest import ALERT_TOKEN, ALERT_TOKEN_ENV
from tests.support.collector import CollectorProcess
from tests.support.proc import ServerProcess, free_port, require_program, wait_http, wait_until

# docs/fleet.md shows RECEIVER_CONFIG with the URL https://collector.example:9470, the token
# file /etc/prometheus/patrol-am-token and the CA /etc/prometheus/patrol-ca.pem
# (test_the_documented_config_is_the_tested_one); the route is the test's own, fast one.
ROUTE = """\
route:
  receiver: patrol
  group_by: [alertname, instance]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
"""
RECEIVER_CONFIG = """\
receivers:
  - name: patrol
    webhook_configs:
      - url: {url}/api/v1/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: {token_file}
          tls_config:
            ca_file: {ca_file}
"""


class Alertmanager:
    def __init__(self, collector: CollectorProcess, folder: Path):
        binary = require_program("prometheus-alertmanager", "prometheus-alertmanager")
        folder.mkdir(parents=True, exist_ok=True)
        token_file = folder / "patrol-token"
        token_file.write_text(ALERT_TOKEN)
        token_file.chmod(0o600)
        config = folder / "alertmanager.yml"
        config.write_text(ROUTE + RECEIVER_CONFIG.format(url=collector.url, token_file=token_file,
                                                         ca_file=collector.ca_file))
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = ServerProcess([binary, f"--config.file={config}", f"--storage.path={folder / 'data'}",
                                      f"--web.listen-address={self.url.removeprefix('http://')}",
                                      "--cluster.listen-address="], log_path=folder / "alertmanager.log")
        try:
            wait_http(f"{self.url}/-/ready", 60, self.process)
        except Exception:
            self.process.stop()
            raise

    def fire(self, name: str, labels: dict[str, str], summary: str, *, resolved: bool = False) -> None:
        now = datetime.now(timezone.utc)
        alert: dict[str, Any] = {"labels": {"alertname": name, **labels}, "annotations": {"summary": summary},
                                 "startsAt": (now - timedelta(minutes=5)).isoformat()}
        if resolved:
            alert["endsAt"] = now.isoformat()
        answer = requests.post(f"{self.url}/api/v2/alerts", json=[alert], timeout=10)
        assert answer.status_code == 200, answer.text

    def stop(self) -> None:
        self.process.stop()


def tickets(collector: CollectorProcess, check: str, *, all_: bool = False) -> list[dict[str, Any]]:
    args = ["tickets", "list", "--json", *(["--all"] if all_ else [])]
    return [t for t in json.loads(collector.patrol(*args).stdout) if t["check"] == check]


@pytest.fixture(scope="module")
def alertmanager(site_collector, tmp_path_factory):
    am = Alertmanager(site_collector, tmp_path_factory.mktemp("alertmanager"))
    yield am
    am.stop()


def test_a_firing_alert_is_a_ticket_of_its_tier_and_resolved_closes_it(site_collector, alertmanager):
    labels = {"instance": "pc-am-1:9100", "severity": "warning", "tier": "urgent", "mountpoint": "/"}
    alertmanager.fire("DiskAlmostFull", labels, "disk / on pc-am-1 is 93% full")
    found: list[dict[str, Any]] = []

    def ticketed() -> bool:
        found[:] = tickets(site_collector, "alert.DiskAlmostFull")
        return bool(found)

    wait_until(ticketed, 60, "a ticket for the firing alert")  # one webhook message is enough
    (ticket,) = found
    assert ticket["target"] == "pc-am-1" and ticket["item"] == "mountpoint=/"
    assert ticket["priority"] == "urgent"  # the tier label, over the WARN severity's own tier
    assert ticket["backend"] == "builtin" and ticket["status"] == "open"
    assert "93% full" in ticket["title"] or "DiskAlmostFull" in ticket["title"]

    alertmanager.fire("DiskAlmostFull", labels, "disk / on pc-am-1 is 93% full", resolved=True)
    wait_until(lambda: not tickets(site_collector, "alert.DiskAlmostFull"), 60, "the ticket to resolve")
    (closed,) = [t for t in tickets(site_collector, "alert.DiskAlmostFull", all_=True)]
    assert closed["status"] == "resolved"


def test_a_wrong_token_is_refused_and_stores_nothing(site_collector):
    body = {"version": "4", "status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": "Forged", "instance": "pc-x"}}]}
    answer = site_collector.post("/api/v1/alertmanager", json=body, headers={"Authorization": "Bearer wrong"})
    assert answer.status_code == 401
    assert site_collector.count("SELECT COUNT(*) FROM results WHERE \"check\" = 'alert.Forged'") == 0


@pytest.fixture(scope="module")
def rt(tmp_path_factory):
    from tests.ticketing.rt_server import prepare

    instance = prepare(tmp_path_factory.mktemp("rt"))
    try:
        instance.start()  # a start that times out still leaves a process to stop
        yield instance
    finally:
        instance.stop()


def test_a_firing_alert_is_a_ticket_in_request_tracker(rt, tmp_path):
    extra = {"serve": {"alertmanager": {"token": f"env:{ALERT_TOKEN_ENV}"}},
             "ticketing": {"backend": "rt", "rt": {"url": rt.url, "token": "env:PATROL_TEST_RT_TOKEN"}}}
    env = {ALERT_TOKEN_ENV: ALERT_TOKEN, "PATROL_TEST_RT_TOKEN": rt.token}
    with CollectorProcess.start(tmp_path / "collector", extra, env=env) as collector:
        am = Alertmanager(collector, tmp_path / "alertmanager")
        try:
            am.fire("SwitchPortDown", {"instance": "sw-core-1:9116", "ifName": "Gi1/0/24", "severity": "critical",
                                       "tier": "serious"}, "uplink Gi1/0/24 on sw-core-1 is down")
            found: list[dict[str, Any]] = []

            def in_rt() -> bool:
                found[:] = [t for t in tickets(collector, "alert.SwitchPortDown") if t.get("key")]
                return bool(found)

            wait_until(in_rt, 90, "the alert's ticket in RT")
        finally:
            am.stop()
    (ticket,) = found
    assert ticket["backend"] == "rt" and ticket["priority"] == "serious"
    reply = requests.get(f"{rt.url}/REST/2.0/ticket/{ticket['key']}", headers=rt.headers, timeout=10)
    reply.raise_for_status()
    data = reply.json()
    assert "alert.SwitchPortDown" in data["Subject"] and "sw-core-1" in data["Subject"]
    assert int(data["Priority"]) == 70  # the serious tier's rt_priority


def test_the_documented_config_is_the_tested_one():
    documented = RECEIVER_CONFIG.format(url="https://collector.example:9470",
                                        token_file="/etc/prometheus/patrol-am-token",
                                        ca_file="/etc/prometheus/patrol-ca.pem")
    text = (Path(__file__).resolve().parents[2] / "docs" / "fleet.md").read_text(encoding="utf-8")
    assert documented in text
