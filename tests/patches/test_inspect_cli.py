"""`patrol inspect` on this Linux machine reports antivirus and patch results with real figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.antivirus.clamav_db import write_db

REPO = Path(__file__).resolve().parents[2]


def test_inspect_reports_antivirus_and_patches(tmp_path: Path) -> None:
    db = write_db(tmp_path / "clamav", main=100, daily=1.5)
    config = tmp_path / "patrol.yaml"
    config.write_text(f"agent: {{site: hq, name: linux-1}}\n"
                      f"paths: {{state_dir: {tmp_path / 'var'}, reports_dir: {tmp_path / 'reports'}}}\n"
                      f"checks:\n  antivirus:\n    clamav: {{database_dir: {db}}}\n")
    done = subprocess.run([sys.executable, "-m", "agent.cli", "-c", str(config), "inspect", "--only", "antivirus,patches",
                           "--no-tickets", "--json", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=240, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert all(run["error"] is None for run in report["runs"]), report["runs"]
    results = {(r["check"], r["item"]): r for r in report["results"]}
    signatures = results[("antivirus.signatures", "ClamAV")]
    assert signatures["state"] == "ok"
    assert signatures["metrics"][0]["name"] == "signature_age_days" and 1.49 < signatures["metrics"][0]["value"] < 1.6
    updates = results[("patches.updates", "")]
    assert updates["state"] in ("ok", "warn") and "pending update(s)" in updates["summary"]
    assert {m["name"] for m in updates["metrics"]} == {"missing_updates_count", "missing_security_updates_count"}
    assert results[("patches.reboot", "")]["state"] in ("ok", "warn", "crit")
    assert results[("patches.last_update", "")]["metrics"][0]["name"] == "last_update_age_days"
