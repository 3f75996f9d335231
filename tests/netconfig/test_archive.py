"""The git archive and the results, with the device's reply given as text (real git, no SSH)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from collectors.base import CollectorIO, FetchError, State
from collectors.commands import run_command
from collectors.netconfig import CliReply, NetconfigCollector
from config.checks.netconfig import NetconfigParams
from inventory.models import CliCredentials, NetworkDevice

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
DEVICE = NetworkDevice(name="sw9", address="10.0.0.9", platform="cisco_ios",
                       cli=CliCredentials(username="u", password="env:UNUSED"))


class Device:
    """Stands in for the SSH session: what the device would print, and when."""

    def __init__(self, state_dir: Path):
        self.config = "hostname sw9\n!\nend\n"
        self.now = T0
        self.io = CollectorIO(run=run_command, state_dir=state_dir, clock=lambda: self.now,
                              extra={"netconfig_reader": lambda *_: CliReply(self.config, None)})

    def backup(self, params: NetconfigParams | None = None, target: NetworkDevice = DEVICE) -> dict:
        collector, params = NetconfigCollector(), params or NetconfigParams(include_version=False)
        model = collector.parse(collector.fetch(target, params, self.io))
        return {r.check: r for r in collector.evaluate(model, params, target, self.now)}


@pytest.fixture
def device(tmp_path: Path) -> Device:
    return Device(tmp_path)


def test_change_is_held_for_change_hold_h_then_ok(device):
    device.backup()
    device.config = "hostname sw9\n!\ninterface Vlan10\n ip address 10.0.10.1 255.255.255.0\n!\nend\n"
    device.now = T0 + timedelta(minutes=10)
    assert device.backup()["netconfig.change"].state is State.WARN
    params = NetconfigParams(include_version=False, change_hold_h=2)
    device.now = T0 + timedelta(hours=2, minutes=10)
    assert device.backup(params)["netconfig.change"].state is State.WARN  # exactly at the limit: still held
    device.now += timedelta(seconds=1)
    result = device.backup(params)["netconfig.change"]
    assert result.state is State.OK
    assert result.summary.startswith("no change since 2026-11-22 08:10 UTC")
    assert {m.name: m.value for m in result.metrics} == {"config_change_age_seconds": 7201}


def test_long_diff_is_cut_and_points_at_git(device):
    device.backup()
    device.config = "hostname sw9\n" + "".join(f"vlan {n}\n" for n in range(100, 160)) + "end\n"
    result = device.backup(NetconfigParams(include_version=False, max_diff_lines=20))["netconfig.change"]
    lines = result.details.splitlines()
    assert len(lines) == 21
    assert lines[-1].startswith("... 46 more diff lines: git show ")
    assert "+60 -1 lines" in result.summary


def test_a_device_without_platform_is_unknown_with_a_reason(device):
    target = NetworkDevice(name="sw8", address="10.0.0.8", cli=CliCredentials(username="u", password="env:X"))
    with pytest.raises(FetchError, match=r"^no 'platform' in the inventory for this device"):
        device.backup(target=target)


def test_missing_git_is_a_clear_reason(tmp_path: Path):
    def no_git(argv, **_):
        raise FileNotFoundError(argv[0])

    io = CollectorIO(run=no_git, state_dir=tmp_path, extra={"netconfig_reader": lambda *_: CliReply("hostname a\n", None)})
    with pytest.raises(FetchError, match="^the git program is not installed"):
        NetconfigCollector().fetch(DEVICE, NetconfigParams(), io)


def test_repository_path_can_be_absolute(device, tmp_path: Path):
    repo = tmp_path / "elsewhere" / "backups"
    device.backup(NetconfigParams(include_version=False, repository=str(repo)))
    assert (repo / "sw9.cfg").read_text() == "hostname sw9\n!\nend\n"
    assert not (tmp_path / "configs").exists()


def test_settings_refuse_a_bad_regex():
    with pytest.raises(ValueError, match="not a valid regular expression"):
        NetconfigParams(extra_volatile_patterns=("(unclosed",))


def test_targets_are_network_devices_with_cli_credentials():
    from inventory.models import Inventory, Printer

    inventory = Inventory(network_devices=(DEVICE, NetworkDevice(name="snmp-only")), printers=(Printer(name="p1"),))
    assert [t.name for t in NetconfigCollector().targets(NetconfigParams(), inventory)] == ["sw9"]
    assert NetconfigCollector().targets(NetconfigParams(), Inventory()) == []
