"""One collector, two sites, its own device polling, and a site's report from pushed results."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.support.collector import CollectorProcess, result
from tests.support.proc import wait_until

pytestmark = pytest.mark.slow
OFF = ("antivirus", "patches", "printers", "domain", "web", "mail", "software", "hardware", "switch",
       "printer_snmp", "netconfig")


def test_two_sites_own_checks_and_a_report_per_site(tmp_path):
    extra = {"agent": {"site": "acme", "name": "collector-1", "role": "collector"},
             "exporter": {"enabled": False},
             "serve": {"sites": {"globex": {}}},
             "checks": {"system": {"schedule": {"interval_s": 3600, "jitter_s": 0}},
                        **{family: {"enabled": False} for family in OFF}}}
    with CollectorProcess.start(tmp_path / "collector", extra, devices=True) as collector:
        # the collector's own checks run through its worker processes and land on its /metrics
        wait_until(lambda: 'check="system.memory",item="",site="acme",target="collector-1"'
                   in collector.get("/metrics").text, 90, "the collector's own system checks", collector.process)

        globex = collector.enroll("pc-9", token=collector.token(site="globex"))
        acme = collector.enroll("pc-1")
        assert (globex.site, acme.site) == ("globex", "acme")
        assert globex.push([result("system.disk", "/", "CRIT", "disk 99% full")]).status_code == 200
        assert acme.push([result("system.disk", "/", "OK", "disk 40% full")]).status_code == 200
        lines = ('patrol_check_state{check="system.disk",item="/",site="globex",target="pc-9"} 2.0',
                 'patrol_check_state{check="system.disk",item="/",site="acme",target="pc-1"} 0.0')
        # /metrics is a snapshot cached for a few seconds (agent/serve/metrics.py CachedSnapshot)
        wait_until(lambda: all(line in collector.get("/metrics").text for line in lines), 30,
                   "both sites' pushed results on /metrics", collector.process)

        unknown = collector.patrol("agents", "token", "create", "--site", "initech", check=False)
        assert unknown.returncode == 2 and "no site 'initech'" in unknown.stderr

        month = datetime.now(timezone.utc).strftime("%Y-%m")
        out = tmp_path / "reports"
        collector.patrol("report", "inspection", "--site", "globex", "--period", month, "--format", "json",
                         "--lang", "en", "--out", str(out), timeout=120)
        (report_file,) = out.glob("*.json")
        report = json.loads(report_file.read_text())
        assert [device["name"] for device in report["devices"]] == ["pc-9"]  # not acme's pc-1 nor the collector
        assert report["site"]["name"] == "globex" and report["has_data"]
