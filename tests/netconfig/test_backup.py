"""Configuration backup against fakenos devices over real SSH, through the real runner and git."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from agent.runner import CheckJob, Runner
from collectors.base import CheckRun, CollectorIO, State
from collectors.commands import run_command
from collectors.netconfig import NetconfigCollector
from config.checks.netconfig import NetconfigParams
from inventory.models import CliCredentials, NetworkDevice
from tests.netconfig.conftest import FakeDevice
from tests.support.proc import SilentServer, free_port

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Site:
    """A state dir, a clock and the secrets of one test; runs backups through the runner."""

    def __init__(self, state_dir: Path, devices: dict[str, FakeDevice]):
        self.state_dir = state_dir
        self.clock = Clock()
        self.environ = {f"PW_{d.name.upper()}": d.password for d in devices.values()}
        self.io = CollectorIO(run=run_command, state_dir=state_dir, clock=self.clock,
                              resolve_secret=lambda ref: ref.resolve(self.environ))
        self.collector = NetconfigCollector()

    def target(self, device: FakeDevice, *, platform: str | None = None, password_env: str | None = None,
               port: int | None = None, timeout_s: float = 8) -> NetworkDevice:
        cli = CliCredentials(username=device.username, password=f"env:{password_env or 'PW_' + device.name.upper()}",
                             port=port or device.port, timeout_s=timeout_s)
        return NetworkDevice(name=device.name, address="127.0.0.1", platform=platform or device.platform, cli=cli)

    def run(self, *targets: NetworkDevice, params: NetconfigParams | None = None) -> list[CheckRun]:
        params = params or NetconfigParams()
        runner = Runner(self.io, concurrency=4)
        try:
            return asyncio.run(runner.run([CheckJob(self.collector, t, params) for t in targets]))
        finally:
            runner.close()

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.state_dir / "configs"), *args], check=True,
                              capture_output=True, text=True).stdout


def by_check(run: CheckRun) -> dict[str, object]:
    return {r.check: r for r in run.results}


@pytest.fixture
def site(tmp_path: Path, device_files: dict[str, FakeDevice]) -> Site:
    return Site(tmp_path / "state", device_files)


def test_first_backup_commits_one_file_per_device_by_patrol(site: Site, device_files):
    runs = site.run(*(site.target(d) for d in device_files.values()))
    for run in runs:
        assert run.error is None, run.results
        results = by_check(run)
        assert results["netconfig.backup"].state is State.OK
        assert "stored as a new version" in results["netconfig.backup"].summary
        assert results["netconfig.change"].state is State.OK
        assert "first backup" in results["netconfig.change"].summary
    assert sorted(site.git("ls-files").split()) == ["ar3.cfg", "r1.cfg", "sw2.cfg"]
    log = site.git("log", "--format=%an <%ae>|%s").splitlines()
    assert len(log) == 3
    assert all(line.startswith("patrol <patrol@localhost>|") for line in log)
    assert any(line.endswith("r1: first backup (42 lines)") for line in log), log


def test_stored_file_is_complete_without_volatile_lines(site: Site, device_files):
    r1 = device_files["r1"]
    [run] = site.run(site.target(r1))
    assert run.error is None, run.results
    stored = (site.state_dir / "configs" / "r1.cfg").read_text()
    # The version as comments on top, then the configuration, as RANCID/Oxidized keep it.
    assert stored.startswith("! show version\n! Cisco IOS XE Software, Version 17.03.01a\n")
    assert "! Processor board ID 9ESGOBARV9D" in stored
    for volatile in ("uptime is", "Uptime for this control processor", "Building configuration",
                     "Current configuration :", "Last configuration change", "NVRAM config", "ntp clock-period",
                     "Last reload reason", "Compiled Wed"):
        assert volatile not in stored
    # The git copy is the restorable backup: secrets stay (docs explain why).
    assert "snmp-server community Publ1cR0 RO" in stored
    assert "ntp server 10.0.0.5\n!\nend\n" in stored
    mode = (site.state_dir / "configs").stat().st_mode & 0o777
    assert mode == 0o700


def test_volatile_only_changes_are_not_a_change(site: Site, device_files):
    r1 = device_files["r1"]
    site.run(site.target(r1))
    r1.set_config(r1.original_config
                  .replace("Current configuration : 1187 bytes", "Current configuration : 1190 bytes")
                  .replace("10:15:02 UTC Sat Nov 21 2026", "09:01:44 UTC Sun Nov 22 2026")
                  .replace("ntp clock-period 17179860", "ntp clock-period 17179873"))
    r1.set_version(r1.original_version.replace("1 day, 17 hours, 32 minutes", "2 days, 1 hour, 5 minutes"))
    site.clock.now += timedelta(hours=1)
    [run] = site.run(site.target(r1))
    results = by_check(run)
    assert "unchanged" in results["netconfig.backup"].summary
    assert results["netconfig.change"].state is State.OK
    assert len(site.git("log", "--format=%H").split()) == 1


def test_a_change_between_backups_is_warn_with_the_masked_diff(site: Site, device_files):
    r1 = device_files["r1"]
    site.run(site.target(r1))
    changed = (r1.original_config
               .replace("interface GigabitEthernet2\n no ip address\n shutdown\n",
                        "interface GigabitEthernet2\n description to printers\n no ip address\n")
               .replace("snmp-server community Publ1cR0 RO", "snmp-server community N3wC0mm RO"))
    r1.set_config(changed)
    site.clock.now += timedelta(hours=2)
    [run] = site.run(site.target(r1))
    change = by_check(run)["netconfig.change"]
    assert change.state is State.WARN
    assert change.item == "running-config"
    assert "+2 -2 lines" in change.summary
    body = [line for line in change.details.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    assert body == [
        "+ description to printers",
        "- shutdown",
        "-snmp-server community <masked> RO",
        "+snmp-server community <masked> RO",
    ]
    assert change.details.startswith("--- r1.cfg@")
    for secret in ("Publ1cR0", "N3wC0mm", "0822455D0A16", "045802150C2E", "$9$", r1.password):
        assert secret not in change.details and secret not in change.summary
    # git keeps both full versions: the history is a real backup.
    assert "N3wC0mm" in (site.state_dir / "configs" / "r1.cfg").read_text()
    log = site.git("log", "--format=%an|%s").splitlines()
    assert log[0] == "patrol|r1: configuration changed (+2 -2 lines)"
    assert "-snmp-server community Publ1cR0 RO" in site.git("show", "HEAD", "--", "r1.cfg")

    # Held WARN for change_hold_h, then OK, with no new commit.
    site.clock.now += timedelta(hours=23)
    [run] = site.run(site.target(r1))
    assert by_check(run)["netconfig.change"].state is State.WARN
    site.clock.now += timedelta(hours=2)
    [run] = site.run(site.target(r1))
    change = by_check(run)["netconfig.change"]
    assert change.state is State.OK and "no change since 2026-11-22 10:00 UTC" in change.summary
    assert len(site.git("log", "--format=%H").split()) == 2


def test_huawei_change_is_detected_without_enable(site: Site, device_files):
    sw2 = device_files["sw2"]
    target = site.target(sw2, platform="huawei")  # the netmiko device type engineers write
    [run] = site.run(target)
    assert run.error is None, run.results
    sw2.set_config(sw2.original_config
                   .replace("2026-11-21 10:15:02+08:00", "2026-11-22 09:00:00+08:00")
                   .replace(" port default vlan 10\n", " port default vlan 20\n"))
    site.clock.now += timedelta(minutes=5)
    [run] = site.run(target)
    change = by_check(run)["netconfig.change"]
    assert change.state is State.WARN, change
    body = [line for line in change.details.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    assert body == ["- port default vlan 10", "+ port default vlan 20"]
    stored = (site.state_dir / "configs" / "sw2.cfg").read_text()
    assert stored.startswith("# display version\n# Huawei Versatile Routing Platform Software\n")
    assert "uptime is" not in stored and "!Last configuration" not in stored
    assert "local-user admin password irreversible-cipher $1a$" in stored


def test_secrets_masked_in_repository_when_asked(site: Site, device_files):
    ar3 = device_files["ar3"]
    [run] = site.run(site.target(ar3), params=NetconfigParams(mask_secrets_in_repository=True))
    assert run.error is None, run.results
    stored = (site.state_dir / "configs" / "ar3.cfg").read_text()
    assert "snmp-server community <masked> ro" in stored
    assert "role network-admin secret sha512 <masked>" in stored
    assert "Ar1staRO" not in stored and "$6$" not in stored
    assert "Uptime:" not in stored and "! Time:" not in stored


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung device)."""
    with SilentServer() as server:
        yield server.port


@pytest.mark.parametrize("case", ["wrong-password", "connection-refused", "silent-device", "no-platform-rules",
                                  "missing-secret"])
def test_failures_are_unknown_with_a_clear_reason(site: Site, device_files, silent_port, case):
    r1 = device_files["r1"]
    site.environ["PW_WRONG"] = "not-the-password"
    dead = free_port()
    target, expected = {
        "wrong-password": (site.target(r1, password_env="PW_WRONG"),
                           "SSH login as 'patrol' to 127.0.0.1:{port} failed: wrong user name or password"),
        "connection-refused": (site.target(r1, port=dead), f"cannot reach 127.0.0.1:{dead} over SSH: connection refused"),
        "silent-device": (site.target(r1, port=silent_port, timeout_s=1.5),
                          f"cannot reach 127.0.0.1:{silent_port} over SSH: the SSH session did not start within 1.5 s"),
        "no-platform-rules": (site.target(r1, platform="zyxel_os"), "no configuration-backup rules for platform 'zyxel_os'"),
        "missing-secret": (site.target(r1, password_env="PW_NOT_SET"), "cli.password: environment variable PW_NOT_SET is not set"),
    }[case]
    [run] = site.run(target)
    [result] = run.results
    assert result.state is State.UNKNOWN
    assert result.summary.startswith(expected.format(port=r1.port)), result.summary
    assert "not-the-password" not in result.summary and r1.password not in result.summary
    assert not (site.state_dir / "configs" / "r1.cfg").exists()


def test_error_reply_is_unknown_and_not_archived(site: Site, device_files):
    r1 = device_files["r1"]
    site.run(site.target(r1))
    r1.set_config("% Invalid input detected at '^' marker.\n")
    [run] = site.run(site.target(r1))
    [result] = run.results
    assert result.state is State.UNKNOWN
    assert result.summary == "'show running-config' answered with an error: % Invalid input detected at '^' marker."
    assert len(site.git("log", "--format=%H").split()) == 1
    assert "hostname r1" in (site.state_dir / "configs" / "r1.cfg").read_text()
