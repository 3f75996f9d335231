"""/metrics as promtool sees it: every family clean (no _count gauge) and every HELP text
saying what was measured and by which check."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from prometheus_client import generate_latest

from agent.exporter import Snapshot, build_registry
from agent.metric_help import METRIC_HELP
from collectors.base import CheckResult, CheckRun, Metric, State

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
REPO = Path(__file__).resolve().parents[2]


def _metric_names_in_collectors() -> set[str]:
    """Literal result-metric names written in the collectors' source."""
    names = set()
    for path in (REPO / "collectors").rglob("*.py"):
        names |= set(re.findall(r'Metric\(\s*"([a-z0-9_]+)"', path.read_text(encoding="utf-8")))
    return names


def _snapshot() -> Snapshot:
    snapshot = Snapshot("hq")
    units = {"_bytes": "bytes", "_seconds": "seconds", "_days": "days", "_percent": "percent", "_ratio": "ratio",
             "_count": "count", "_celsius": "celsius"}
    metrics = []
    for name in sorted(_metric_names_in_collectors()):
        unit = next((u for suffix, u in units.items() if name.endswith(suffix)), "")
        metrics.append(Metric(name, 1.0, unit))
    metrics.append(Metric("missing_updates_count", 3, "count", labels=(("severity", "critical"),)))
    result = CheckResult("system.disk", "pc-1", "/", State.OK, "ok", metrics=tuple(metrics), observed_at=T0)
    snapshot.update(CheckRun("system", "pc-1", T0, 0.1, (result,)))
    return snapshot


def test_promtool_check_metrics_is_clean(promtool):
    text = generate_latest(build_registry(_snapshot(), "1.0")).decode()
    lint = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(), lint.stdout + lint.stderr
    assert "patrol_ports_down{" in text and "_count{" not in text


def test_every_help_text_explains_its_metric():
    text = generate_latest(build_registry(_snapshot(), "1.0")).decode()
    helps = dict(re.findall(r"^# HELP (\S+) (.*)$", text, re.M))
    for name, help_text in helps.items():
        assert "Patrol result metric" not in help_text
        if name.startswith("patrol_") and name.removeprefix("patrol_") not in (
                "check_state", "check_duration_seconds", "check_last_run_timestamp_seconds", "workers_total",
                "workers", "build_info"):
            assert "reported by system.disk" in help_text, (name, help_text)
    assert helps["patrol_ports_down"].startswith(METRIC_HELP["ports_down"])
