"""The assets family through the real runner: a full capture of this machine, the quick
check that skips an unchanged one, the daily capture, devices over real SNMP, and where a
snapshot goes after the run (archive, push spool, a stored result that names the hash only)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from agent.assets.collector import CHECK, AssetsCollector
from agent.assets.intake import queue_for_push, snapshots, without_snapshots
from agent.assets.model import from_json
from agent.assets.schedule import STATE_FILE, CaptureState, load_state, save_state
from agent.run.asset_push import AssetSpool
from agent.runner import CheckJob, Runner
from collectors.base import CheckRun, CollectorIO, State
from collectors.commands import run_command
from config.checks.assets import AssetsParams
from inventory.models import Host, NetworkDevice, SnmpCredentials

T = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)
LOCAL = Host(name="pc-0412", local=True)


def run_once(target, state_dir: Path, at: datetime, params: AssetsParams | None = None, community: str = "") -> CheckRun:
    io = CollectorIO(run=run_command, state_dir=state_dir, clock=lambda: at, resolve_secret=lambda ref: community)
    runner = Runner(io, concurrency=2)
    try:
        return asyncio.run(runner.run_job(CheckJob(AssetsCollector(), target, params or AssetsParams())))
    finally:
        runner.close()


def test_full_capture_then_quick_skip_then_daily(tmp_path):
    first = run_once(LOCAL, tmp_path, T)
    assert first.error is None
    [result] = first.results
    assert result.check == CHECK and result.state is State.OK and result.summary.startswith("captured (first capture): ")
    snap = from_json(json.loads(result.details))
    assert snap.kind == "computer" and snap.source == "linux" and snap.captured_at == T and snap.software
    # an hour later nothing changed: the quick check skips the full capture
    second = run_once(LOCAL, tmp_path, T + timedelta(hours=1))
    assert second.results[0].summary.startswith("unchanged since the capture of 2026-12-06T08:00")
    assert second.results[0].details == ""
    # a day later: captured again, changed or not
    third = run_once(LOCAL, tmp_path, T + timedelta(hours=24))
    assert third.results[0].summary.startswith("captured (daily capture): ")
    # a different fingerprint in the state (as after a module swap): captured at the next run
    save_state(tmp_path / STATE_FILE, CaptureState("another", T + timedelta(hours=24)))
    fourth = run_once(LOCAL, tmp_path, T + timedelta(hours=25))
    assert fourth.results[0].summary.startswith("captured (a change was seen (quick check)): ")
    assert load_state(tmp_path / STATE_FILE).captured_at == T + timedelta(hours=25)


def test_devices_over_snmp_daily(tmp_path, asset_snmpsim):
    device = NetworkDevice(name="sw-core", address="127.0.0.1",
                           snmp=SnmpCredentials(community="env:UNUSED", port=asset_snmpsim.port, timeout_s=2, retries=1))
    first = run_once(device, tmp_path, T, community="cisco-c3560")
    snap = from_json(json.loads(first.results[0].details))
    assert snap.kind == "network" and snap.identity.serial and "software 12.2(55)SE3" in first.results[0].summary
    again = run_once(device, tmp_path, T + timedelta(hours=2), community="cisco-c3560")
    assert again.results[0].summary.startswith("unchanged")
    assert (tmp_path / "assets" / "capture-state-sw-core.json").exists()


def test_targets_are_this_computer_and_devices_with_snmp():
    from inventory.models import Inventory, Printer

    inv = Inventory(hosts=(LOCAL,), network_devices=(
        NetworkDevice(name="sw1", snmp=SnmpCredentials(community="env:X")), NetworkDevice(name="sw2")),
        printers=(Printer(name="prn1", snmp=SnmpCredentials(community="env:X")),))
    assert [t.name for t in AssetsCollector().targets(AssetsParams(), inv)] == ["pc-0412", "sw1", "prn1"]
    assert [t.name for t in AssetsCollector().targets(AssetsParams(devices=False), inv)] == ["pc-0412"]


def test_after_the_run_the_snapshot_is_queued_once_and_the_result_names_its_hash(tmp_path):
    run = run_once(LOCAL, tmp_path / "state", T)
    [(target, snap)] = snapshots(run)
    assert target == "pc-0412"
    spool = tmp_path / "fleet"
    assert queue_for_push(spool, run, "pc-0412")
    assert AssetSpool(spool).pending()["hash"] == snap.content_hash()
    stripped = without_snapshots(run)
    assert stripped.results[0].details == f"snapshot {snap.content_hash()} (kept in the asset archive)"
    assert stripped.results[0].summary == run.results[0].summary
    # another computer's snapshot (a device polled by this agent) is not pushed as this one
    assert not queue_for_push(tmp_path / "other", run, "somebody-else")


def test_a_broken_details_text_is_not_a_crash():
    from collectors.base import CheckResult

    bad = CheckRun("assets", "pc-0412", T, 0.1, (CheckResult(CHECK, "pc-0412", "", State.OK, "captured", "{oops"),))
    assert snapshots(bad) == []
    assert without_snapshots(bad).results[0].details == "snapshot not readable"


def test_patrol_inspect_files_this_machine_into_its_archive(tmp_path):
    """The whole way on this machine: `patrol inspect --only assets` captures, the recorder
    files the snapshot into the local archive, the stored result names the hash only, and
    `patrol assets show` reads the archive back."""
    import os
    import subprocess
    import sys

    import sqlalchemy as sa

    from agent.assets import archive

    def patrol(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "agent.cli", *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300, env={**os.environ, "PATROL_CONFIG": ""})

    done = patrol("inspect", "--only", "assets", "--json")
    assert done.returncode == 0, done.stderr
    [result] = [r for r in json.loads(done.stdout)["results"] if r["check"] == CHECK]
    assert result["state"] == "ok" and result["summary"].startswith("captured (first capture): ")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'var' / 'patrol.sqlite'}")
    try:
        [current] = archive.current(engine, "default")
        with engine.connect() as conn:
            from agent.store.core import results

            details = conn.execute(sa.select(results.c.details).where(results.c.check == CHECK)).scalars().all()
    finally:
        engine.dispose()
    assert details and all(d.startswith("snapshot ") and d.endswith("(kept in the asset archive)") for d in details)
    shown = patrol("assets", "show", current.asset_id)
    assert shown.returncode == 0, shown.stderr
    assert "Debian" in shown.stdout
