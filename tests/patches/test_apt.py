"""apt: a simulated dist-upgrade against a prepared apt root and against this machine's real state."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import datetime, timezone

import pytest

from collectors.base import CollectorIO, State
from collectors.commands import run_command
from collectors.patches import PatchesCollector
from collectors.platforms.linux.apt_updates import parse_simulation
from inventory.models import Host

HOST = Host(name="linux-1", local=True, os="linux")


def run(params_update: dict):
    collector = PatchesCollector()
    params = collector.params_model.model_validate(params_update)
    io = CollectorIO(run=run_command, platform="linux")
    model = collector.parse(collector.fetch(HOST, params, io))
    results = {r.check: r for r in collector.evaluate(model, params, HOST, datetime.now(timezone.utc))}
    return model, results


def test_prepared_root_finds_regular_and_security_update(apt_root) -> None:
    model, results = run({"apt": {"root": str(apt_root.root)}})
    assert model.source == "apt" and model.error is None
    found = {u.name: u for u in model.updates}
    assert set(found) == {"patrol-foo", "patrol-bar"}  # patrol-baz is current
    assert found["patrol-bar"].security and not found["patrol-foo"].security
    assert found["patrol-bar"].version == "1.0 -> 1.0+sec1"
    updates = results["patches.updates"]
    assert updates.state is State.WARN  # security_count warn = 1
    metrics = {(m.name, m.labels): m.value for m in updates.metrics}
    assert metrics[("missing_security_updates_count", ())] == 1
    assert metrics[("missing_updates_count", (("severity", "unspecified"),))] == 2
    # apt update just wrote the lists: the last update is minutes old at most.
    assert results["patches.last_update"].state is State.OK
    assert results["patches.last_update"].metrics[0].value < 0.1
    assert results["patches.reboot"].state is State.OK
    assert "patches.critical_age" not in results  # apt rates no severity: no "no critical updates" claim


def test_prepared_root_with_security_pattern_off(apt_root) -> None:
    model, results = run({"apt": {"root": str(apt_root.root), "security_pattern": "^never-matches$"}})
    assert not any(u.security for u in model.updates)
    assert results["patches.updates"].state is State.OK


@pytest.mark.parametrize("age_days,state", [(0.5, State.OK), (5, State.WARN), (20, State.CRIT)],
                         ids=["half-a-day", "five-days", "twenty-days"])
def test_reboot_required_file(apt_root, tmp_path, age_days: float, state: State) -> None:
    # A root of our own that shares the prepared lists (the reboot file differs per case).
    marker = apt_root.root / "var/run/reboot-required"
    marker.write_text("*** System restart required ***\n")
    (apt_root.root / "var/run/reboot-required.pkgs").write_text("linux-image-6.1.0-42-amd64\nlibc6\nlibc6\n")
    then = time.time() - age_days * 86400
    os.utime(marker, (then, then))
    try:
        _, results = run({"apt": {"root": str(apt_root.root)}})
    finally:
        marker.unlink()
    reboot = results["patches.reboot"]
    assert reboot.state is state, reboot.summary
    assert abs(reboot.metrics[0].value - age_days) < 0.01
    assert "libc6, linux-image-6.1.0-42-amd64" in reboot.details


def test_success_stamp_wins(apt_root) -> None:
    stamp = apt_root.root / "var/lib/apt/periodic/update-success-stamp"
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    then = time.time() - 40 * 86400
    os.utime(stamp, (then, then))
    try:
        _, results = run({"apt": {"root": str(apt_root.root)}})
    finally:
        stamp.unlink()
    last = results["patches.last_update"]
    assert last.state is State.WARN and "update-success-stamp" in last.summary


def test_broken_sources_is_unknown(apt_root, tmp_path) -> None:
    broken = tmp_path / "root"
    (broken / "etc/apt").mkdir(parents=True)
    (broken / "var/lib/dpkg").mkdir(parents=True)
    (broken / "var/lib/dpkg/status").write_text("Package: x\nthis is not a control file\n\n")
    (broken / "etc/apt/sources.list").write_text("deb this-is-not-a-uri\n")
    model, results = run({"apt": {"root": str(broken)}})
    assert results["patches.updates"].state is State.UNKNOWN
    assert results["patches.updates"].summary.startswith("apt-get -s dist-upgrade failed: E:")


SIMULATION = """NOTE: This is only a simulation!
Reading package lists...
Inst libssl3 [3.0.17-1~deb12u2] (3.0.17-1~deb12u3 Debian-Security:12/oldstable-security [amd64])
Inst python3-jwt [2.6.0-1] (2.6.0-1+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [all])
Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u2 Debian:12.15/oldstable [all])
Inst linux-image-6.1.0-42-amd64 (6.1.192-2 Debian-Security:12/oldstable-security [amd64])
Inst libc6 [2.35-0ubuntu3.8] (2.35-0ubuntu3.9 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])
Conf libssl3 (3.0.17-1~deb12u3 Debian-Security:12/oldstable-security [amd64])
"""


@pytest.mark.parametrize("name,security,version", [
    ("libssl3", True, "3.0.17-1~deb12u2 -> 3.0.17-1~deb12u3"),
    ("python3-jwt", True, "2.6.0-1 -> 2.6.0-1+deb12u1"),
    ("tzdata", False, "2024a-0+deb12u1 -> 2025b-0+deb12u2"),
    ("linux-image-6.1.0-42-amd64", True, "(new) -> 6.1.192-2"),
    ("libc6", True, "2.35-0ubuntu3.8 -> 2.35-0ubuntu3.9"),
], ids=["debian-security", "in-two-archives", "regular", "new-package", "ubuntu-security"])
def test_simulation_lines(name: str, security: bool, version: str) -> None:
    updates = {u.name: u for u in parse_simulation(SIMULATION, r"(?i)-security$")}
    assert len(updates) == 5  # Conf lines are not updates
    assert (updates[name].security, updates[name].version) == (security, version)


def test_this_machine_matches_apt_list_upgradable() -> None:
    """The real package state: every upgradable package apt itself lists is found, no more."""
    model, results = run({})
    assert model.error is None, model.error
    listed = subprocess.run(["apt", "list", "--upgradable"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "LC_ALL": "C"}).stdout
    upgradable = {line.split("/", 1)[0] for line in listed.splitlines() if "[upgradable from:" in line}
    upgrades = {u.name for u in model.updates if not u.version.startswith("(new)")}
    # dist-upgrade may also upgrade packages held back by plain upgrade: a superset is fine.
    assert upgradable <= upgrades, sorted(upgradable - upgrades)[:10]
    assert results["patches.updates"].summary.startswith(f"{len(model.updates)} pending update(s)")
    assert results["patches.last_update"].state is not State.UNKNOWN
