"""Never silent: a partial agent still gives every reading it serves, naming what it lacks,
and values that mean "not supported" are named, never reported as readings."""

from __future__ import annotations

from collectors.base import State
from tests.snmp.conftest import by_key, device


def test_agent_without_uptime_and_admin_status_gives_everything_else(snmpsim, poll) -> None:
    got = by_key(poll(device(snmpsim.port, "synth/partial")))
    assert got[("switch.reachability", "")].state is State.OK
    uptime = got[("switch.uptime", "")]
    assert (uptime.state, uptime.summary) == (
        State.UNKNOWN, "not readable: the agent does not serve SNMPv2-MIB::sysUpTime.0")
    health = got[("switch.health", "")]
    assert health.state is State.OK  # every reading is there; the missing objects are named
    assert health.summary == ("reads CPU 1, memory 3, temperature 1, fans 1, power supplies 1; "
                              "agent lacks SNMPv2-MIB::sysUpTime.0, IF-MIB::ifAdminStatus")
    assert "not served by the agent: IF-MIB::ifAdminStatus" in health.details
    # the same readings as the full recording (tests/snmp/test_devices.py)
    assert "CPU 28%" in got[("switch.cpu", "CPU 1")].summary
    assert "29% used" in got[("switch.memory", "Processor")].summary
    # ports are still reported without ifAdminStatus: every ethernet port with an oper status
    ports = [r for r in got.values() if r.check == "switch.port"]
    assert len(ports) == 52  # as in the full recording (its one admin-down port is Vlan1, not ethernet)
    assert got[("switch.ports", "")].summary.startswith("57 ports: 7 up, 50 down, 0 administratively down")


def test_not_supported_values_are_not_readings(snmpsim, poll) -> None:
    got = by_key(poll(device(snmpsim.port, "synth/unsupported")))
    assert not [k for k in got if k[0] in ("switch.cpu", "switch.temperature")]
    health = got[("switch.health", "")]
    assert health.state is State.UNKNOWN
    assert health.summary == ("not readable: CPU, temperature; reads memory 1, fans 1, power supplies 1; "
                              "2 sensor(s) not supported")
    assert "not a reading: cpu CPU 1: value 2147483647 means not supported" in health.details
    assert "not a reading: temperature Sensor 1: value 65535 means not supported" in health.details


def test_not_readable_state_is_a_setting(snmpsim, poll) -> None:
    from config.checks.switch import SwitchParams

    params = SwitchParams(not_readable="ok", response_time_s={"warn": None, "crit": None})
    got = by_key(poll(device(snmpsim.port, "synth/unsupported"), params=params))
    assert got[("switch.health", "")].state is State.OK
    assert got[("switch.health", "")].summary.startswith("not readable: CPU, temperature")
