"""Two polls of the same switch (generated recordings, synth.py): what changed between them
is reported — a port going down, an uplink down, a dead fan, error and traffic rates from
counter deltas, a reboot, a TimeTicks wrap that is not a reboot, counters that advance."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from collectors.base import State
from tests.snmp.conftest import T0, by_key, device, later


def test_second_poll_reports_changes(snmpsim, poll, tmp_path) -> None:
    state = tmp_path / "state"
    first = by_key(poll(device(snmpsim.port, "synth/t0", uplinks=("Gi0/1",)), at=T0, state_dir=state))
    assert {r.state for r in first.values()} == {State.OK}
    assert "port_in_bits_per_second" not in {m.name for r in first.values() for m in r.metrics}  # no rate yet

    second = by_key(poll(device(snmpsim.port, "synth/t1", uplinks=("Gi0/1",)), at=later(300), state_dir=state))
    problems = {key: (r.state, r.summary) for key, r in second.items() if r.state is not State.OK}
    assert problems == {
        ("switch.port", "Gi0/1"): (State.CRIT, "uplink down, 1 Gbit/s"),
        ("switch.port", "Gi0/2"): (State.WARN, "went down since the last poll, 1 Gbit/s"),
        ("switch.port", "Gi0/3"): (State.WARN, "up, 1 Gbit/s, errors 2.00/s"),
        ("switch.port", "Gi0/4"): (State.WARN, "up, 1 Gbit/s, in 90% of link"),
        ("switch.fan", "Fan 1"): (State.CRIT, "fan crit"),  # ciscoEnvMonFanState 6 notFunctioning
    }
    metrics = {m.name: m.value for m in second[("switch.port", "Gi0/4")].metrics}
    assert metrics["port_in_bits_per_second"] == 900_000_000
    assert metrics["port_out_bits_per_second"] == 100_000_000
    assert metrics["port_in_utilization_percent"] == 90
    # a 64-bit counter that went backwards: no rate, and the reason is shown
    gi5 = second[("switch.port", "Gi0/5")]
    assert gi5.state is State.OK and "went backwards" in gi5.details
    assert "port_in_bits_per_second" not in {m.name for m in gi5.metrics}
    assert second[("switch.uptime", "")].state is State.OK

    # and back: the ports come up again, the fan recovers; all counters went back, so no rates
    third = by_key(poll(device(snmpsim.port, "synth/t0", uplinks=("Gi0/1",)), at=later(600), state_dir=state))
    assert {key: r.state for key, r in third.items() if r.state is not State.OK} == {
        ("switch.uptime", ""): State.WARN}  # uptime went back: the recording "rebooted"
    assert third[("switch.port", "Gi0/2")].summary == "up (came up since the last poll), 1 Gbit/s"


def test_reboot_is_detected_and_held(snmpsim, poll, tmp_path) -> None:
    state = tmp_path / "state"
    poll(device(snmpsim.port, "synth/t0"), at=T0, state_dir=state)
    after = by_key(poll(device(snmpsim.port, "synth/reboot"), at=later(300), state_dir=state))
    uptime = after[("switch.uptime", "")]
    assert uptime.state is State.WARN and uptime.summary.startswith("rebooted")
    # counters restarted with the reboot: no false rate, no error burst
    gi1 = after[("switch.port", "Gi0/1")]
    assert gi1.state is State.OK and "rebooted" in gi1.details
    # still WARN on the next poll, so a finding can open (expiry of the hold: test_pure.py)
    again = by_key(poll(device(snmpsim.port, "synth/reboot"), at=later(600), state_dir=state))
    assert again[("switch.uptime", "")].state is State.WARN


def test_timeticks_wrap_is_not_a_reboot(snmpsim, poll, tmp_path) -> None:
    state = tmp_path / "state"
    poll(device(snmpsim.port, "synth/wrap0"), at=T0, state_dir=state)  # 2^32 - 10000 ticks
    after = by_key(poll(device(snmpsim.port, "synth/wrap1"), at=later(300), state_dir=state))  # 20000 ticks
    assert after[("switch.uptime", "")].state is State.OK


def test_restart_keeps_state_no_false_reboot_or_rate(snmpsim, poll, tmp_path) -> None:
    """The poll state is on disk: a new process (here: a new runner and collector) continues."""
    state = tmp_path / "state"
    poll(device(snmpsim.port, "synth/t0"), at=T0, state_dir=state)
    from collectors.snmp import pollstate

    pollstate.close_all()  # what a process exit does
    same = by_key(poll(device(snmpsim.port, "synth/t0"), at=later(0.5), state_dir=state))
    assert same[("switch.uptime", "")].state is State.OK
    rates = {m.name: m.value for m in same[("switch.port", "Gi0/1")].metrics}
    assert rates["port_in_bits_per_second"] == 0  # same counters: zero traffic, not a rate from nothing


def test_counters_that_advance(snmpsim, poll, tmp_path) -> None:
    """snmpsim numeric variation: 125000 B/s in, 250000 B/s out, 5 errors/s on Gi0/1."""
    state = tmp_path / "state"

    def now() -> datetime:
        return datetime.fromtimestamp(time.time(), timezone.utc)

    poll(device(snmpsim.port, "synth/rates"), at=now(), state_dir=state)
    time.sleep(1.5)
    result = by_key(poll(device(snmpsim.port, "synth/rates"), at=now(), state_dir=state))[("switch.port", "Gi0/1")]
    metrics = {m.name: m.value for m in result.metrics}
    assert abs(metrics["port_in_bits_per_second"] - 1_000_000) < 150_000
    assert abs(metrics["port_out_bits_per_second"] - 2_000_000) < 300_000
    assert abs(metrics["port_errors_packets_per_second"] - 5) < 1.0
    assert result.state is State.WARN and "errors" in result.summary


def test_profiles_dir_overrides_a_builtin_profile(snmpsim, poll, tmp_path) -> None:
    """A site's own profile folder: same name replaces the built-in (here: no fan table)."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "cisco-ios.yaml").write_text(
        "name: cisco-ios\nextends: generic\nsysobjectid: ['1.3.6.1.4.1.9']\nfans: []\n"
        "cpu:\n  - label: CPU\n    value: 1.3.6.1.4.1.9.9.109.1.1.1.1.8   # CISCO-PROCESS-MIB::cpmCPUTotal5minRev\n")
    from config.checks.switch import SwitchParams

    got = by_key(poll(device(snmpsim.port, "synth/t1"), params=SwitchParams(
        profiles_dir=folder, response_time_s={"warn": None, "crit": None})))
    assert not any(check == "switch.fan" for check, _ in got)
    assert got[("switch.cpu", "CPU 1")].summary == "CPU 12%"
