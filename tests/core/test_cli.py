"""The `patrol` command as an engineer runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def patrol(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "agent.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PATROL_CONFIG": "", **(env or {})})


def test_inspect_with_no_config_inspects_this_computer(tmp_path):
    result = patrol("inspect", "--only", "system", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Patrol inspection" in result.stdout and "system.memory" in result.stdout
    folders = list((tmp_path / "reports" / "inspections").iterdir())
    assert len(folders) == 1
    data = json.loads((folders[0] / "results.json").read_text())
    assert {r["check"] for r in data["results"]} >= {"system.memory", "system.disk", "system.uptime"}
    assert data["counts"]["ok"] >= 1 and data["site"] == "default"
    summary = (folders[0] / "summary.md").read_text()
    assert summary.startswith("# Inspection of") and "| state | target | check | item | summary |" in summary
    assert (tmp_path / "var" / "patrol.sqlite").exists()


def test_inspect_json_and_fail_on(tmp_path):
    config = tmp_path / "p.yaml"
    # The machine's own load, memory and disks are real readings: their CRIT levels are
    # switched off so only the missing process can be CRIT on a busy test machine.
    config.write_text("checks:\n  system:\n    required_processes: [patrol-no-such-process]\n"
                      "    cpu_load_per_core: {crit: null}\n    memory_used_percent: {crit: null}\n"
                      "    swap_used_percent: {crit: null}\n    disk: {used_percent: {crit: null}, "
                      "free_bytes_min: {crit: null}}\n    clock_offset_s: {crit: null}\n")
    result = patrol("-c", str(config), "inspect", "--only", "system", "--json", "--fail-on", "crit", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    bad = [r for r in data["results"] if r["state"] == "crit"]
    assert [(r["check"], r["item"]) for r in bad] == [("system.process", "patrol-no-such-process")]
    ok = patrol("-c", str(config), "inspect", "--only", "system", "--json", cwd=tmp_path)
    assert ok.returncode == 0


def test_check_one_family_shows_timing(tmp_path):
    result = patrol("check", "system", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "system on " in result.stdout and " ms" in result.stdout
    unknown = patrol("check", "nosuch", cwd=tmp_path)
    assert unknown.returncode == 2 and "no check family named 'nosuch'" in unknown.stderr


def test_config_validate_reports_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("agent:\n  site: hq\nchecks:\n  sytem: {}\n")
    result = patrol("config", "validate", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{bad}:4: checks.sytem: unknown key 'sytem'; did you mean 'system'?" in result.stderr
    good = tmp_path / "good.yaml"
    good.write_text("agent: {site: hq}\n")
    assert patrol("config", "validate", str(good), cwd=tmp_path).returncode == 0


def test_config_example_is_valid(tmp_path):
    example = patrol("config", "example", cwd=tmp_path)
    (tmp_path / "ex.yaml").write_text(example.stdout)
    assert patrol("config", "validate", str(tmp_path / "ex.yaml"), cwd=tmp_path).returncode == 0


def test_inventory_show_masks_secrets(tmp_path, monkeypatch):
    inv = tmp_path / "inv.yaml"
    inv.write_text("network_devices:\n  - name: sw1\n    address: 10.0.0.1\n    snmp: {community: env:PATROL_TEST_COMMUNITY}\n"
                   "    cli: {username: backup, password: env:PATROL_TEST_SSH}\n")
    env = {"PATROL_TEST_COMMUNITY": "very-secret-community", "PATROL_TEST_SSH": "very-secret-password"}
    for args in (("inventory", "show", str(inv)), ("inventory", "show", str(inv), "--json")):
        result = patrol(*args, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        assert "very-secret" not in result.stdout + result.stderr
    data = json.loads(result.stdout)
    device = next(t for t in data["network_devices"] if t["name"] == "sw1")
    assert device["snmp"]["community"] == "env:PATROL_TEST_COMMUNITY" and device["cli"]["password"] == "env:PATROL_TEST_SSH"


def test_log_format_json(tmp_path):
    result = patrol("--log-format", "json", "--log-level", "DEBUG", "check", "system", cwd=tmp_path)
    lines = [l for l in result.stderr.splitlines() if l.startswith("{")]
    assert lines and all({"ts", "level", "logger", "msg"} <= json.loads(l).keys() for l in lines)
