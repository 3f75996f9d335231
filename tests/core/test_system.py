"""System checks: parse/evaluate tables on samples, the service parsers, and fetch on this machine."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from collectors.base import CollectorIO, CommandOutput, ParseError, State
from collectors.commands import run_command
from collectors.platforms.linux import services as linux_services
from collectors.platforms.windows import services as windows_services
from collectors.system import SystemCollector, evaluate_sample, parse_clock, parse_sample
from config.checks.system import SystemParams
from inventory.loader import load_inventory

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
GIB = 1024**3
SAMPLES = Path(__file__).parent / "samples"


def raw(**over):
    base = {
        "cpu_count": 4, "load_15m": 1.0, "cpu_percent": 12.0,
        "memory": {"total": 16 * GIB, "available": 8 * GIB}, "swap": {"total": 0, "used": 0},
        "disks": [{"mountpoint": "/", "device": "/dev/sda1", "fstype": "ext4", "total": 100 * GIB, "used": 40 * GIB, "free": 60 * GIB}],
        "boot_time": NOW.timestamp() - 10 * 86400, "now": NOW.timestamp(), "platform": "linux",
        "services": [], "processes": {},
    }
    base.update(over)
    return base


def last(name: str) -> CommandOutput:
    """A recorded `last -x -n 3 shutdown reboot` output (tests/core/samples/last/SOURCE.md)."""
    return CommandOutput(("last",), 0, (SAMPLES / "last" / name).read_bytes(), b"")


def states(sample, params=SystemParams()):
    return {(r.check, r.item): r for r in evaluate_sample(parse_sample(sample), params, "pc-1", NOW)}


@pytest.mark.parametrize("sample, key, state, summary_part", [
    pytest.param(raw(), ("system.memory", ""), State.OK, "50% used", id="memory-ok"),
    pytest.param(raw(memory={"total": 16 * GIB, "available": GIB}), ("system.memory", ""), State.WARN, "94% used", id="memory-warn"),
    pytest.param(raw(memory={"total": 16 * GIB, "available": GIB // 4}), ("system.memory", ""), State.CRIT, "98% used", id="memory-crit"),
    pytest.param(raw(load_15m=12.0), ("system.load", ""), State.WARN, "3.00 per core", id="load-warn"),
    pytest.param(raw(load_15m=20.0), ("system.load", ""), State.CRIT, "5.00 per core", id="load-crit"),
    pytest.param(raw(cpu_percent=97.0), ("system.cpu", ""), State.WARN, "97%", id="cpu-busy-old-sample"),
    pytest.param(raw(cpu_samples=[{"busy": 97, "own": 2}, {"busy": 95, "own": 1}, {"busy": 99, "own": 3}]), ("system.cpu", ""),
                 State.WARN, "over the limit in all 3 samples", id="cpu-busy-sustained"),
    pytest.param(raw(cpu_samples=[{"busy": 99, "own": 60}, {"busy": 98, "own": 55}, {"busy": 100, "own": 70}]),
                 ("system.cpu", ""), State.OK, "the agent itself used 62%", id="cpu-busy-with-the-agent-itself"),
    pytest.param(raw(cpu_samples=[{"busy": 99, "own": 0}, {"busy": 40, "own": 0}, {"busy": 98, "own": 0}]), ("system.cpu", ""),
                 State.OK, "samples 99/40/98%", id="cpu-burst-not-sustained"),
    pytest.param(raw(swap={"total": 4 * GIB, "used": 3 * GIB}), ("system.swap", ""), State.WARN, "75% used", id="swap-warn"),
    pytest.param(raw(disks=[{"mountpoint": "/", "device": "d", "fstype": "ext4", "total": 100 * GIB, "used": 96 * GIB, "free": 4 * GIB}]),
                 ("system.disk", "/"), State.CRIT, "96% used", id="disk-96pct-4gib-free-crit-by-percent"),
    pytest.param(raw(disks=[{"mountpoint": "/", "device": "d", "fstype": "ext4", "total": 100 * GIB, "used": 99.7 * GIB, "free": 0.3 * GIB}]),
                 ("system.disk", "/"), State.CRIT, "100% used", id="disk-full-crit"),
    pytest.param(raw(disks=[{"mountpoint": "/data", "device": "d", "fstype": "xfs", "total": 4000 * GIB, "used": 3840 * GIB, "free": 160 * GIB}]),
                 ("system.disk", "/data"), State.OK, "96% used", id="big-volume-96pct-but-160gib-free-ok"),
    pytest.param(raw(disks=[{"mountpoint": "/boot", "device": "d", "fstype": "ext4", "total": 2 * GIB, "used": 1.7 * GIB, "free": 0.3 * GIB}]),
                 ("system.disk", "/boot"), State.CRIT, "0.3 GiB free", id="small-volume-below-free-floor-crit"),
    pytest.param(raw(disks=[{"mountpoint": "/", "device": "d", "fstype": "ext4", "total": 100 * GIB, "used": 88 * GIB, "free": 12 * GIB}]),
                 ("system.disk", "/"), State.WARN, "88% used", id="disk-88pct-warn"),
    pytest.param(raw(boot_time=NOW.timestamp() - 600, last_shutdown=last("crash.txt")), ("system.uptime", ""), State.WARN,
                 "rebooted unexpectedly (no shutdown record between the last two boots", id="recent-reboot-unexpected"),
    pytest.param(raw(boot_time=NOW.timestamp() - 600, last_shutdown=last("clean.txt")), ("system.uptime", ""), State.OK,
                 "rebooted after a clean shutdown", id="recent-reboot-planned"),
    pytest.param(raw(boot_time=NOW.timestamp() - 600, last_shutdown=last("empty-wtmp.txt")), ("system.uptime", ""), State.OK,
                 "whether it was planned is not known (no boot recorded in wtmp)", id="recent-reboot-unknown"),
    pytest.param(raw(), ("system.uptime", ""), State.OK, "up 10d 0h", id="uptime-ok"),
    pytest.param(raw(processes={"sshd": False}), ("system.process", "sshd"), State.CRIT, "not running", id="process-missing"),
])
def test_evaluate(sample, key, state, summary_part):
    result = states(sample)[key]
    assert result.state is state and summary_part in result.summary, result.summary


def test_no_swap_gives_no_swap_result():
    assert ("system.swap", "") not in states(raw())


def test_metrics_are_in_base_units():
    result = states(raw())[("system.disk", "/")]
    assert {m.name: m.value for m in result.metrics} == {"disk_used_ratio": 0.4, "disk_free_bytes": 60 * GIB}


@pytest.mark.parametrize("bad", [
    pytest.param({"cpu_count": 2}, id="missing-keys"),
    pytest.param(raw(memory={"total": "lots", "available": 1}), id="wrong-type"),
    pytest.param(raw(disks=[{"mountpoint": "/"}]), id="disk-without-sizes"),
])
def test_broken_sample_is_a_parse_error(bad):
    with pytest.raises(ParseError, match="system sample is incomplete"):
        parse_sample(bad)


def out(stdout: bytes, rc: int = 0, stderr: bytes = b"") -> CommandOutput:
    return CommandOutput(("x",), rc, stdout, stderr)


SYSTEMCTL = (SAMPLES / "systemctl_show.txt").read_bytes()


def test_systemd_units_parse():
    statuses = linux_services.parse(["ssh", "cron", "nope"], out(SYSTEMCTL))
    assert [(s.name, s.exists, s.running) for s in statuses] == [("ssh", True, True), ("cron", True, False), ("nope", False, False)]
    result = states(raw(services=["ssh", "cron", "nope"], services_output=out(SYSTEMCTL)),
                    SystemParams(required_services=("ssh", "cron", "nope")))
    assert result[("system.service", "ssh")].state is State.OK
    assert result[("system.service", "cron")].summary == "service cron not running (failed/failed)"
    assert result[("system.service", "nope")].summary == "service nope not installed"


def test_systemd_absent_is_unknown_not_crit():
    result = states(raw(services=["ssh"], services_output=out(b"", 1, b"System has not been booted with systemd as init system (PID 1). Can't operate.")),
                    SystemParams(required_services=("ssh",)))
    assert result[("system.service", "")].state is State.UNKNOWN
    assert "systemd is not running" in result[("system.service", "")].summary


@pytest.mark.parametrize("stdout, expected", [
    pytest.param((SAMPLES / "get_service_ps51.json").read_bytes(), [("Spooler", True, True), ("WinDefend", True, False), ("Missing", False, False)],
                 id="ps51-numeric-enums"),
    pytest.param(b'{"Name":"Spooler","Status":"Running","StartType":"Automatic"}', [("Spooler", True, True), ("WinDefend", False, False), ("Missing", False, False)],
                 id="ps7-single-object-names"),
    pytest.param(b"\xef\xbb\xbf", [("Spooler", False, False), ("WinDefend", False, False), ("Missing", False, False)], id="bom-only-none-found"),
])
def test_windows_services_parse(stdout, expected):
    statuses = windows_services.parse(["Spooler", "WinDefend", "Missing"], out(stdout))
    assert [(s.name, s.exists, s.running) for s in statuses] == expected


@pytest.mark.parametrize("stdout, message", [
    (b'[{"Name": "Spooler", "Stat', "not JSON"), (b'"Running"', "JSON str"), (b"\xff\xfe{", "not UTF-8"), (b"[{}]", "without a Name"),
])
def test_windows_services_bad_output(stdout, message):
    with pytest.raises(ParseError, match=message):
        windows_services.parse(["Spooler"], out(stdout))


@pytest.mark.parametrize("chrony, timedatectl, expected", [
    (out(b"A9FEA97B,169.254.169.123,4,1732262400.1,-0.000123456,0.0,0.0,1.0,0.0,0.0,0.0,0.0,64.0,Normal\n"), None, (0.000123456, True)),
    (out(b"00000000,,0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,Not synchronised\n"), None, (0.0, False)),
    (out(b"", 1), out(b"no\n"), (None, False)),
    (None, out(b"yes\n"), (None, True)),
    (None, None, (None, None)),
    (out(b"garbage"), None, (None, None)),
])
def test_clock(chrony, timedatectl, expected):
    assert parse_clock(chrony, timedatectl) == expected


def test_fetch_on_this_machine():
    collector, params = SystemCollector(), SystemParams()
    inventory = load_inventory(None, local_name="pc-1")
    io = CollectorIO(run=run_command)
    results = list(collector.evaluate(collector.parse(collector.fetch(inventory.local, params, io)), params, inventory.local, NOW))
    checks = {r.check for r in results}
    assert {"system.memory", "system.disk", "system.uptime", "system.cpu"} <= checks
    root = next(r for r in results if r.check == "system.disk" and r.item == "/")
    assert 0 < dict((m.name, m.value) for m in root.metrics)["disk_used_ratio"] < 1


def test_reboot_in_a_maintenance_window_is_planned() -> None:
    """Sunday 02:30 local (UTC+8): inside 'sun 02:00-05:00' even after a crash record; a
    window past midnight belongs to the day it opens."""
    boot = datetime(2026, 11, 21, 18, 30, tzinfo=timezone.utc)  # Sunday 02:30 at UTC+8
    sample = raw(boot_time=boot.timestamp(), now=boot.timestamp() + 600, boot_utc_offset_s=8 * 3600,
                 last_shutdown=last("crash.txt"))
    windows = [{"days": ["sun"], "start": "02:00", "end": "05:00"}]
    got = states(sample, SystemParams(maintenance_windows=windows))[("system.uptime", "")]
    assert got.state is State.OK and "maintenance window sun 02:00-05:00 (planned)" in got.summary
    late = states(sample, SystemParams(maintenance_windows=[{"days": ["sat"], "start": "23:00", "end": "03:00"}]))
    assert late[("system.uptime", "")].state is State.OK
    outside = states(sample, SystemParams(maintenance_windows=[{"days": ["mon"], "start": "02:00", "end": "05:00"}]))
    assert outside[("system.uptime", "")].state is State.WARN
    assert states(sample, SystemParams(unexpected_reboot_state="crit"))[("system.uptime", "")].state is State.CRIT


@pytest.mark.parametrize("window", [{"start": "2:00", "end": "05:00"}, {"start": "02:00", "end": "24:00"},
                                    {"days": [], "start": "02:00", "end": "05:00"}])
def test_bad_maintenance_windows_are_refused(window: dict) -> None:
    with pytest.raises(ValueError):
        SystemParams(maintenance_windows=[window])


WINDOWS_EVENTS = {
    "unexpected": b'{"Boot":"2026-12-06T02:03:11.5000000Z","Events":[{"Id":6008,"Time":"2026-12-06T02:04:02.0000000Z"},'
                  b'{"Id":41,"Time":"2026-12-06T02:03:40.0000000Z"},{"Id":1074,"Time":"2026-12-01T10:00:00.0000000Z"}]}',
    "clean": b'{"Boot":"2026-12-06T02:03:11.5000000Z","Events":[{"Id":1074,"Time":"2026-12-06T02:01:40.1230000Z"},'
             b'{"Id":6006,"Time":"2026-12-06T02:02:55.0000000Z"}]}',
    "unknown": b'{"Boot":"2026-12-06T02:03:11.5000000Z","Events":[]}',
    "broken": b'{"Boot":"yesterday","Events":[]}',
}


@pytest.mark.parametrize("case, kind", [("unexpected", "unexpected"), ("clean", "clean"), ("unknown", "unknown"),
                                        ("broken", "unknown")])
def test_windows_shutdown_events_by_id(case: str, kind: str) -> None:
    """Constructed from the documented event ids (6008/41 unexpected, 1074/6006 clean) in the
    shape SCRIPT prints; ids, not message texts, so every Windows language reads the same."""
    from collectors.platforms.windows import shutdown

    got = shutdown.parse(CommandOutput(("powershell.exe",), 0, WINDOWS_EVENTS[case], b""))
    assert got.kind == kind
    if case == "unexpected":
        assert got.detail.startswith("event 6008")


def test_last_shutdown_on_this_machine() -> None:
    """The real `last` here (a container: wtmp without records) gives an answer, never an error."""
    from collectors.platforms.linux import shutdown

    got = shutdown.parse(shutdown.fetch(CollectorIO(run=run_command, platform="linux")))
    assert got.kind in ("clean", "unexpected", "unknown") and got.detail


def test_recorded_zh_cn_unexpected_reboot() -> None:
    """A zh-CN machine's own System log after a crash, as published in a "Reboot Recovery
    Report" (code-search index file 66008109740): LastBootUpTime `2026/7/5 4:50:01` (local,
    UTC+8), Kernel-Power 41 at /Date(1783198205402)/ and EventLog 6008 at
    /Date(1783198211521)/ ("上一次系统的 4:24:25 在 2026/7/5 上的关闭是意外的。").

    Turned into SCRIPT's shape: the event times are exact (ms since 1970, UTC); the boot time
    is the local one less 8 hours, the offset the 41 event (logged 4 s after boot) implies.
    Events newest first, as Get-WinEvent returns them. The Chinese messages are not read."""
    from collectors.platforms.windows import shutdown

    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")

    sample = {"Boot": "2026-07-04T20:50:01.0000000Z",
              "Events": [{"Id": 6008, "Time": iso(1783198211521)}, {"Id": 41, "Time": iso(1783198205402)}]}
    assert sample["Events"][1]["Time"] == "2026-07-04T20:50:05.4020000Z"
    got = shutdown.parse(CommandOutput(("powershell.exe",), 0, json.dumps(sample).encode(), b""))
    assert (got.kind, got.detail.split(" (")[0]) == ("unexpected", "event 6008")
