"""ClamAV on this machine: headers written by the tests, daemons found in the real /proc."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from collectors.antivirus import AntivirusCollector
from collectors.base import CollectorIO, ParseError, State
from collectors.commands import run_command
from collectors.platforms.linux.clamav import parse_header
from inventory.models import Host
from tests.antivirus.clamav_db import cvd_header, write_db

HOST = Host(name="linux-1", local=True, os="linux")


def run(params_update: dict) -> dict[tuple[str, str], object]:
    collector = AntivirusCollector()
    params = collector.params_model.model_validate(params_update)
    io = CollectorIO(run=run_command, platform="linux")
    model = collector.parse(collector.fetch(HOST, params, io))
    return {(r.check, r.item): r for r in collector.evaluate(model, params, HOST, datetime.now(timezone.utc))}


def test_header_fields() -> None:
    built = datetime(2026, 11, 22, 9, 21, tzinfo=timezone.utc)
    header = parse_header("daily.cld", cvd_header(built, 27462, 2071334))
    assert (header.version, header.signatures, header.built) == (27462, 2071334, built)


@pytest.mark.parametrize("data,reason", [
    (b"\x1f\x8b\x08\x00" + b"\x00" * 508, "not a ClamAV database header"),
    (b"ClamAV-VDB:22 Nov 2026 09-21 +0000:x:2071334:90:m:d:b:1763803260".ljust(512), "is not a number"),
    (b"ClamAV-VDB:garbage:1:2:90:m:d:b:notatime".ljust(512), "unreadable build time"),
    (b"ClamAV-VDB:short", "not a ClamAV database header"),
], ids=["gzip-no-header", "bad-version", "bad-time", "truncated"])
def test_bad_headers(data: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_header("main.cvd", data)


@pytest.mark.parametrize("ages,state,age", [
    ({"main": 200, "daily": 0.5, "bytecode": 40}, State.OK, 0.5),
    ({"main": 200, "daily": 4}, State.WARN, 4),
    ({"main": 200, "daily": 9}, State.CRIT, 9),
    ({"main": 1.0}, State.OK, 1.0),
], ids=["fresh-daily", "daily-4-days", "daily-9-days", "main-only"])
def test_signature_age_with_real_clamd(clamd, tmp_path: Path, ages: dict, state: State, age: float) -> None:
    db = write_db(tmp_path / "db", **ages)
    results = run({"clamav": {"database_dir": str(db), "require_updater": False}})
    status = results[("antivirus.status", "ClamAV")]
    assert status.state is State.OK and "clamd running" in status.summary
    sig = results[("antivirus.signatures", "ClamAV")]
    assert sig.state is state, sig.summary
    assert abs(sig.metrics[0].value - age) < 0.01 and sig.metrics[0].name == "signature_age_days"
    assert results[("antivirus.policy", "")].metrics[0].value == 1


def test_daemon_and_updater_running(clamd, freshclam, tmp_path: Path) -> None:
    db = write_db(tmp_path / "db", main=30, daily=0.3)
    results = run({"clamav": {"database_dir": str(db)}})
    status = results[("antivirus.status", "ClamAV")]
    assert status.state is State.OK and status.summary == "enabled (clamd running)"
    assert "daily.cld: version 27462" in status.details


def test_updater_not_running_is_a_warning(clamd, tmp_path: Path) -> None:
    db = write_db(tmp_path / "db", daily=0.1)
    # freshclam under a name nobody runs: the check must see it as absent in the real /proc.
    results = run({"clamav": {"database_dir": str(db), "updater_processes": ["patrol-nofresh"]}})
    status = results[("antivirus.status", "ClamAV")]
    assert status.state is State.WARN and "patrol-nofresh not running" in status.summary


def test_daemon_not_running_and_no_databases(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    results = run({"clamav": {"database_dir": str(empty), "daemon_processes": ["patrol-noclamd"]}})
    assert results[("antivirus.status", "ClamAV")].state is State.CRIT
    sig = results[("antivirus.signatures", "ClamAV")]
    assert sig.state is State.CRIT and f"no signature databases (.cvd/.cld) in {empty}" in sig.summary


def test_missing_database_dir(tmp_path: Path) -> None:
    results = run({"clamav": {"database_dir": str(tmp_path / "nope")}})
    assert "does not exist" in results[("antivirus.signatures", "ClamAV")].summary


def test_corrupt_database_is_reported(clamd, tmp_path: Path) -> None:
    db = write_db(tmp_path / "db", daily=0.2)
    (db / "main.cvd").write_bytes(b"\x00" * 100)
    results = run({"clamav": {"database_dir": str(db), "require_updater": False}})
    status = results[("antivirus.status", "ClamAV")]
    assert status.state is State.WARN and "main.cvd: not a ClamAV database header" in status.summary
    assert results[("antivirus.signatures", "ClamAV")].state is State.OK


def test_on_access_required(clamd, tmp_path: Path) -> None:
    db = write_db(tmp_path / "db", daily=0.2)
    results = run({"clamav": {"database_dir": str(db), "require_updater": False, "require_on_access": True,
                              "on_access_processes": ["patrol-noonacc"]}})
    assert results[("antivirus.realtime", "ClamAV")].state is State.CRIT


def test_linux_third_party_product(clamd, tmp_path: Path) -> None:
    sig = tmp_path / "defs" / "engine.dat"
    sig.parent.mkdir()
    sig.write_bytes(b"x")
    old = time.time() - 5 * 86400
    os.utime(sig, (old, old))
    results = run({"clamav": {"enabled": False},
                   "third_party": [{"name": "Vendor EDR", "platform": "linux", "service": "clamd",
                                    "signature_path": str(tmp_path / "defs" / "*.dat")},
                                   {"name": "Windows only", "platform": "windows", "service": "x"}]})
    assert results[("antivirus.status", "Vendor EDR")].state is State.OK
    signatures = results[("antivirus.signatures", "Vendor EDR")]
    assert signatures.state is State.WARN and abs(signatures.metrics[0].value - 5) < 0.01
    assert ("antivirus.status", "Windows only") not in results


def test_this_machine_defaults() -> None:
    """`patrol inspect` with no config: real figures for whatever this machine has."""
    results = run({})
    assert results[("antivirus.present", "")].state in (State.OK, State.CRIT)
    for result in results.values():
        assert result.summary and result.check.startswith("antivirus.")
    if ("antivirus.signatures", "ClamAV") in results:
        sig = results[("antivirus.signatures", "ClamAV")]
        assert sig.state is not State.UNKNOWN
        assert sig.metrics or "no signature databases" in sig.summary or "does not exist" in sig.summary
