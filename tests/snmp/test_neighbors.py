"""LLDP and CDP neighbours on real recordings (snmpsim), and a finding when the neighbour
behind an uplink disappears (the same recording without its CDP cache, hand-made from it)."""

from __future__ import annotations

import json

from collectors.base import State
from config.checks.switch import SwitchParams
from tests.snmp.conftest import T0, by_key, device, later


def neighbors(results) -> list[dict]:
    return [json.loads(line) for line in by_key(results)[("switch.neighbors", "")].details.splitlines()]


def test_lldp_and_cdp_neighbours_of_a_nexus(snmpsim, poll) -> None:
    results = poll(device(snmpsim.port, "cisco-n5000"))
    assert by_key(results)[("switch.neighbors", "")].summary == "14 neighbours (LLDP 9, CDP 5)"
    found = neighbors(results)
    assert {"protocol": "lldp", "local_port": "Ethernet1/1", "remote_name": "H3C-1", "remote_port": "Ten-GigabitEther",
            "chassis_id": "58:6a:b1:4f:3d:91", "mgmt_address": "10.40.1.24"} in found  # lldpRemManAddr in the index
    assert {n["protocol"] for n in found} == {"lldp", "cdp"}


def test_cdp_neighbours_name_the_local_port_by_ifname(snmpsim, poll) -> None:
    found = neighbors(poll(device(snmpsim.port, "cisco-c3560")))
    assert found[0] == {"protocol": "cdp", "local_port": "Gi0/49", "remote_name": "OLD-ShiTang-WIRELESS",
                        "remote_port": "GigabitEthernet0/2", "chassis_id": "", "mgmt_address": "10.1.100.181"}
    assert len(found) == 9


def test_lldp_without_system_names_falls_back_to_the_chassis_mac(snmpsim, poll) -> None:
    found = neighbors(poll(device(snmpsim.port, "hp-procurve-6120xg")))
    assert {"protocol": "lldp", "local_port": "8", "remote_name": "e8:39:35:1a:ca:99", "remote_port": "e8:39:35:1a:ca:99",
            "chassis_id": "e8:39:35:1a:ca:99", "mgmt_address": ""} in found


def test_neighbour_gone_from_an_uplink_is_a_finding_until_it_is_back(snmpsim, poll, tmp_path) -> None:
    state = tmp_path / "state"
    uplink = ("Gi0/49",)
    first = by_key(poll(device(snmpsim.port, "cisco-c3560", uplinks=uplink), at=T0, state_dir=state))
    assert ("switch.neighbor", "Gi0/49") not in first
    second = by_key(poll(device(snmpsim.port, "synth/c3560-neighbor-gone", uplinks=uplink), at=later(300),
                         state_dir=state))
    lost = second[("switch.neighbor", "Gi0/49")]
    assert (lost.state, lost.summary) == (
        State.WARN, "neighbour OLD-ShiTang-WIRELESS on uplink Gi0/49 is gone (last seen 0 h 5 min ago)")
    assert second[("switch.neighbors", "")].summary == "0 neighbours (no LLDP or CDP entries)"
    # still gone on the next poll: the finding stays (a one-poll blip would never open a ticket)
    third = by_key(poll(device(snmpsim.port, "synth/c3560-neighbor-gone", uplinks=uplink), at=later(600),
                        state_dir=state))
    assert "last seen 0 h 10 min ago" in third[("switch.neighbor", "Gi0/49")].summary
    back = by_key(poll(device(snmpsim.port, "cisco-c3560", uplinks=uplink), at=later(900), state_dir=state))
    assert ("switch.neighbor", "Gi0/49") not in back
    # gone for longer than neighbor_forget_s (7 days) after it was last seen: no longer reported
    other = by_key(poll(device(snmpsim.port, "synth/c3560-neighbor-gone", uplinks=uplink), at=later(8 * 86400),
                        state_dir=state))
    assert ("switch.neighbor", "Gi0/49") not in other  # forgotten after neighbor_forget_s (7 days)


def test_neighbours_can_be_switched_off(snmpsim, poll) -> None:
    params = SwitchParams(neighbors=False, response_time_s={"warn": None, "crit": None})
    assert not [r for r in poll(device(snmpsim.port, "cisco-c3560"), params=params) if "neighbor" in r.check]
