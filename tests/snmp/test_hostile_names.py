"""Hostile port names from a real SNMP agent (snmpsim) through `patrol check switch`,
`patrol inspect` and its summary.md: printed literally, never markup, escape codes or HTML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.snmp import hostile_names

REPO = Path(__file__).resolve().parents[2]


def _patrol(tmp_path: Path, port: int, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "inv.yaml").write_text(
        "site: {name: \"ACME/Shanghai\\n}}body{display:none}\"}\n"
        "network_devices:\n"
        f"  - {{name: sw-hostile, address: 127.0.0.1, snmp: {{community: env:HOSTILE_COMMUNITY, port: {port}}}}}\n")
    (tmp_path / "patrol.yaml").write_text("agent: {site: \"../../escape\", name: pc-1}\npaths: {inventory: inv.yaml}\n")
    env = {**os.environ, "PATROL_CONFIG": str(tmp_path / "patrol.yaml"), "HOSTILE_COMMUNITY": "synth/hostile-names",
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "agent.cli", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=env)


def test_check_switch_prints_hostile_port_names_literally(snmpsim, tmp_path):
    result = _patrol(tmp_path, snmpsim.port, "check", "switch", "--wide")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert hostile_names.MARKUP_NAME in result.stdout  # shown as text, not parsed as markup
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "Gi0/3" in result.stdout and "2JGi0/3" not in result.stdout  # the sequence is removed whole


def test_inspect_keeps_summary_inert_and_inside_the_reports_folder(snmpsim, tmp_path):
    result = _patrol(tmp_path, snmpsim.port, "inspect", "--only", "switch", "--no-tickets")
    assert result.returncode == 0, result.stderr
    assert hostile_names.MARKUP_NAME in result.stdout.replace("\n", "") or "[/x]" in result.stdout
    folders = list((tmp_path / "reports" / "inspections").iterdir())
    assert [f.name.split("-2")[0] for f in folders] == ["escape"]  # the site name "../../escape", slugged
    assert not (tmp_path.parent / "escape").exists()
    summary = (folders[0] / "summary.md").read_text()
    assert "<img" not in summary and "<script" not in summary and "\x1b" not in summary
    assert "&lt;img src=http://192.0.2.1/x.png&gt;Gi0/4" in summary
    assert "\\[/x\\] Gi0/2" in summary
    data = json.loads((folders[0] / "results.json").read_text())
    assert hostile_names.HTML_NAME in {r["item"] for r in data["results"]}  # the data itself is kept as it was
