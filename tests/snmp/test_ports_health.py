"""Port rates and health readings on the values of real devices (the trimmed snmpsim-data
recordings in data/, read without a server by recording.py). Where a test needs a second
poll or an odd row, the recording is changed in one place and the test says so.

Each test here failed on a change bench/mutation.py (or issue 21, by hand) made to
collectors/snmp/ports.py or health.py: counter wrap, clear and 32/64-bit handling, errors
against discards, line-rate slack, device thresholds, scaled memory, absent sensors.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from collectors.snmp.health import Health, _stem, fallback_sections, read_health
from collectors.snmp.ports import (
    IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_IN_DISCARDS, IF_IN_ERRORS, IF_IN_OCTETS, IF_OUT_DISCARDS, IF_OUT_ERRORS,
    IF_OPER, IF_OUT_OCTETS, PORT_COLUMNS, PortSample, detect_reboot, missing_columns, next_state, port_rates,
    port_samples,
)
from collectors.snmp.profiles import all_columns, load_profiles
from tests.snmp.recording import read_tables

Tables = dict[str, dict[str, Any]]
ELAPSED = 300.0
N5K_PO1 = "369098752"  # cisco-n5000 port-channel1: in/out errors, no discards, 64-bit counters
C3560_VL2 = "2"        # cisco-c3560 Vl2: in discards, no errors
C3560_NU0 = "10501"    # cisco-c3560 Nu0: no ifXTable octets (32-bit counters only)


def ports(name: str) -> Tables:
    return read_tables(name, PORT_COLUMNS)


def changed(tables: Tables, index: str, **deltas: int) -> Tables:
    """A later poll: the named columns of one row moved by ``deltas`` (column constant name -> delta)."""
    out = copy.deepcopy(tables)
    for column, delta in deltas.items():
        oid = globals()[column]
        out[oid][index] = out[oid][index] + delta
    return out


def rates_between(first: Tables, second: Tables, index: str, *, rebooted: bool = False):
    state = next_state(None, 1000.0, 100_000, port_samples(first))
    [sample] = [s for s in port_samples(second) if s.index == index]
    return port_rates(sample, state["ports"][index], ELAPSED, rebooted)


# --- counters and their columns ---------------------------------------------------------

def test_counters_come_from_their_own_columns_on_a_real_port():
    tables = ports("cisco-n5000")
    [po1] = [s for s in port_samples(tables) if s.index == N5K_PO1]
    expected = tuple(tables[c][N5K_PO1] for c in (IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_IN_ERRORS, IF_OUT_ERRORS,
                                                    IF_IN_DISCARDS, IF_OUT_DISCARDS))
    assert po1.counters == expected and po1.hc
    assert po1.counters[2:4] != po1.counters[4:6]  # the recording has errors and no discards here


def test_errors_and_discards_are_rated_apart_on_recordings_where_they_differ():
    first = ports("cisco-n5000")
    rates = rates_between(first, changed(first, N5K_PO1, IF_IN_ERRORS=600, IF_OUT_ERRORS=300), N5K_PO1)
    assert (rates.errors_per_s, rates.discards_per_s) == (3.0, 0.0)
    first = ports("cisco-c3560")
    rates = rates_between(first, changed(first, C3560_VL2, IF_IN_DISCARDS=600, IF_OUT_DISCARDS=150), C3560_VL2)
    assert (rates.errors_per_s, rates.discards_per_s) == (0.0, 2.5)


def test_traffic_rates_in_and_out_on_64_bit_counters():
    first = ports("cisco-n5000")
    second = changed(first, N5K_PO1, IF_HC_IN_OCTETS=375_000_000, IF_HC_OUT_OCTETS=37_500_000)
    rates = rates_between(first, second, N5K_PO1)
    assert (rates.in_bps, rates.out_bps, rates.note) == (10_000_000.0, 1_000_000.0, None)


def test_a_cleared_64_bit_counter_gives_no_rate_and_says_why():
    first = ports("cisco-n5000")
    second = changed(first, N5K_PO1, IF_HC_IN_OCTETS=-first[IF_HC_IN_OCTETS][N5K_PO1] + 5_000)  # clear counters
    rates = rates_between(first, second, N5K_PO1)
    assert rates.in_bps is None and rates.out_bps == 0.0
    assert "went backwards" in (rates.note or "")


def test_a_32_bit_octet_counter_that_wrapped_gives_the_wrapped_increase():
    first = ports("cisco-c3560")
    first[IF_IN_OCTETS][C3560_NU0] = 2**32 - 1_000
    second = changed(first, C3560_NU0, IF_IN_OCTETS=-(2**32 - 1_000) + 2_750, IF_OUT_OCTETS=375)
    rates = rates_between(first, second, C3560_NU0)
    assert (rates.in_bps, rates.out_bps, rates.note) == (100.0, 10.0, None)  # 3750 and 375 bytes in 300 s


def test_error_counters_are_32_bit_even_on_a_port_with_64_bit_octets():
    first = ports("cisco-n5000")
    first[IF_IN_ERRORS][N5K_PO1] = 2**32 - 100  # an old port: ifInErrors is a Counter32 and wraps
    second = changed(first, N5K_PO1, IF_IN_ERRORS=-(2**32 - 100) + 200)
    rates = rates_between(first, second, N5K_PO1)
    assert (rates.errors_per_s, rates.note) == (1.0, None)


def test_a_32_bit_counter_far_below_the_last_value_was_reset_not_wrapped():
    first = ports("cisco-c3560")
    first[IF_IN_OCTETS][C3560_NU0] = 1_000_000_000  # down to 1 MB: a wrap would be a 3.3 GB increase
    rates = rates_between(first, changed(first, C3560_NU0, IF_IN_OCTETS=-999_000_000), C3560_NU0)
    assert rates.in_bps is None and "went backwards" in (rates.note or "")


def test_a_port_whose_counters_changed_from_32_to_64_bit_waits_for_the_next_poll():
    first = ports("cisco-c3560")
    second = copy.deepcopy(first)
    second[IF_HC_IN_OCTETS][C3560_NU0] = 10**12  # the agent starts serving ifXTable octets for Nu0
    second[IF_HC_OUT_OCTETS][C3560_NU0] = 10**12
    rates = rates_between(first, second, C3560_NU0)
    assert (rates.in_bps, rates.out_bps, rates.errors_per_s) == (None, None, None)
    assert "counter type changed" in (rates.note or "")


def test_a_port_with_only_hc_in_octets_keeps_both_rates_from_the_32_bit_counters():
    first = ports("cisco-c3560")
    del first[IF_HC_OUT_OCTETS][C3560_VL2]  # hand-changed: an agent serving ifHCInOctets only
    [vl2] = [s for s in port_samples(first) if s.index == C3560_VL2]
    assert not vl2.hc and vl2.counters[:2] == (first[IF_IN_OCTETS][C3560_VL2], first[IF_OUT_OCTETS][C3560_VL2])
    second = changed(first, C3560_VL2, IF_IN_OCTETS=3_750_000, IF_OUT_OCTETS=750_000, IF_HC_IN_OCTETS=3_750_000)
    rates = rates_between(first, second, C3560_VL2)
    assert (rates.in_bps, rates.out_bps) == (100_000.0, 20_000.0)


@pytest.mark.parametrize("share,kept", [(1.1, True), (1.2, True), (1.3, False)])
def test_traffic_a_little_above_line_rate_is_kept_far_above_is_skipped(share: float, kept: bool):
    first = ports("cisco-n5000")  # port-channel1: 20 Gbit/s
    octets = int(20e9 * share * ELAPSED / 8)
    rates = rates_between(first, changed(first, N5K_PO1, IF_HC_OUT_OCTETS=octets), N5K_PO1)
    if kept:
        assert rates.out_bps == pytest.approx(20e9 * share) and rates.note is None
    else:
        assert rates.out_bps is None and rates.in_bps is None and "above line rate" in (rates.note or "")


def test_rates_are_held_after_a_reboot_or_a_renamed_port():
    first = ports("cisco-n5000")
    second = changed(first, N5K_PO1, IF_HC_IN_OCTETS=1000)
    assert "rebooted" in (rates_between(first, second, N5K_PO1, rebooted=True).note or "")
    state = next_state(None, 1000.0, 100_000, port_samples(first))["ports"][N5K_PO1]
    [sample] = [s for s in port_samples(second) if s.index == N5K_PO1]
    renamed = PortSample(**{f: getattr(sample, f) for f in PortSample.__slots__} | {"name": "port-channel9"})
    assert "renumbered" in (port_rates(renamed, state, ELAPSED, False).note or "")
    assert port_rates(sample, state, 0, False).in_bps is None  # no time passed: no rate


@pytest.mark.parametrize("elapsed,uptime,rebooted", [
    (300, 130_000 + 7_400, False),    # 74 s ahead: within 60 s + 5 % of 300 s
    (300, 30_000 - 7_600, True),      # less uptime than the time since the last poll, beyond tolerance
    (300, 99_000, True),              # uptime went back a little: rebooted
    (30_000, 100_000 + 3_000_000 - 100_000, False),  # 1000 s behind after 8 h: within 5 %
    (10, 100_000 + 1_000 - 6_050, False),  # 10 s later, 60.5 s behind: exactly the tolerance
    (0, 5_000, False),                # no time passed (a repeated poll): nothing to compare
])
def test_reboot_tolerance_is_60_s_plus_5_percent(elapsed, uptime, rebooted):
    assert detect_reboot({"at": 1000.0, "uptime": 100_000}, 1000.0 + elapsed, uptime) is rebooted


@pytest.mark.parametrize("uptime,rebooted", [
    (22_400, True),     # 224 s after 300 s: more than the tolerance short of the time since the last poll
    (22_500, False),    # exactly the tolerance short
    (200_000, False),   # far ahead of the clock (a restored VM): odd, but not a reboot
])
def test_reboot_shortly_after_a_boot_seen_at_the_last_poll(uptime, rebooted):
    assert detect_reboot({"at": 1000.0, "uptime": 1_000}, 1300.0, uptime) is rebooted


def test_next_state_keeps_the_last_reboot_time():
    samples = port_samples(ports("cisco-c3560"))
    first = next_state(None, 1000.0, 100_000, samples)
    assert first["last_reboot_at"] is None and first["ports"][C3560_NU0]["hc"] is False
    booted = next_state(first, 1300.0, 5_000, samples)
    assert booted["last_reboot_at"] == 1250.0  # 50 s of uptime at 1300
    assert next_state(booted, 1600.0, 35_000, samples)["last_reboot_at"] == 1250.0


# --- health -----------------------------------------------------------------------------

PROFILES = load_profiles()
HEALTH_COLUMNS = tuple(all_columns(PROFILES.values()))


def health_tables(name: str) -> Tables:
    return read_tables(name, HEALTH_COLUMNS)


def test_the_devices_own_warning_and_critical_thresholds_come_from_their_columns():
    tables = health_tables("ruijie-s5750")
    [cpu] = read_health(PROFILES["ruijie"], tables).cpu
    source = PROFILES["ruijie"].sources("cpu")[0]
    [(index, value)] = tables[source.value].items()
    assert (cpu.value, cpu.warn, cpu.crit) == (value, 90.0, 100.0)  # ruijieCPUUtilizationWarning, ...Critial
    assert (tables[source.warn][index], tables[source.crit][index]) == (90, 100)
    health = read_health(PROFILES["cisco-ios"], health_tables("cisco-c3560"))
    assert [(t.value, t.warn, t.crit, t.device_state) for t in health.temperature] == [(61.0, None, 66.0, "warn")]


def test_a_profile_scale_turns_kib_into_bytes():
    tables = health_tables("cisco-n5000")
    used = tables["1.3.6.1.4.1.9.9.109.1.1.1.1.12"]["1"]  # cpmCPUMemoryUsed, KiB
    free = tables["1.3.6.1.4.1.9.9.109.1.1.1.1.13"]["1"]
    [memory] = read_health(PROFILES["cisco-nxos"], tables).memory
    assert (memory.used_bytes, memory.total_bytes) == (used * 1024.0, (used + free) * 1024.0)
    assert memory.used_percent == pytest.approx(100 * used / (used + free))


def test_memory_from_allocation_units_and_storage_size():
    tables = health_tables("arista-7150s")
    [memory] = read_health(PROFILES["arista"], tables).memory
    row = next(i for i, d in tables["1.3.6.1.2.1.25.2.3.1.3"].items() if d == b"RAM")
    units, size, used = (tables[f"1.3.6.1.2.1.25.2.3.1.{c}"][row] for c in (4, 5, 6))
    assert (memory.total_bytes, memory.used_bytes) == (size * units, used * units)


def test_memory_above_100_percent_is_not_a_reading():
    tables = health_tables("ruijie-s5750")
    tables["1.3.6.1.4.1.4881.1.1.10.2.35.1.1.1.3"]["1"] = 150  # hand-changed from 50
    health = read_health(PROFILES["ruijie"], tables)
    assert health.memory == () and any("not a percentage" in u for u in health.unreadable)
    tables = health_tables("arista-7150s")
    row = next(i for i, d in tables["1.3.6.1.2.1.25.2.3.1.3"].items() if d == b"RAM")
    tables["1.3.6.1.2.1.25.2.3.1.6"][row] = tables["1.3.6.1.2.1.25.2.3.1.5"][row] + 1  # used > size
    health = read_health(PROFILES["arista"], tables)
    assert health.memory == () and any("impossible" in u for u in health.unreadable)


def test_a_sensor_the_device_marks_not_present_is_left_out():
    tables = health_tables("cisco-c3560")
    [index] = tables["1.3.6.1.4.1.9.9.13.1.3.1.6"]
    tables["1.3.6.1.4.1.9.9.13.1.3.1.6"][index] = 5  # hand-changed: ciscoEnvMonTemperatureState notPresent
    health = read_health(PROFILES["cisco-ios"], tables)
    assert health.temperature == () and not health.unreadable


def test_nul_padding_is_not_part_of_a_sensor_name():
    tables = health_tables("cisco-c3560")
    [index] = tables["1.3.6.1.4.1.9.9.13.1.4.1.2"]
    tables["1.3.6.1.4.1.9.9.13.1.4.1.2"][index] += b"\x00\x00\x00"  # hand-changed: fixed-width, NUL padded
    health = read_health(PROFILES["cisco-ios"], tables)
    assert [f.name for f in health.fans] == ["Switch#1, Fan#1"]


# --- port rows and columns --------------------------------------------------------------

def test_a_port_missing_from_ifoperstatus_stays_in_ifindex_order():
    tables = ports("cisco-c3560")
    order = [s.index for s in port_samples(tables)]
    del tables[IF_OPER][C3560_VL2]  # hand-changed: the agent skips one row of ifOperStatus
    assert [s.index for s in port_samples(tables)] == order
    [vl2] = [s for s in port_samples(tables) if s.index == C3560_VL2]
    assert vl2.oper is None and vl2.name == "Vl2"


def test_missing_port_columns_are_named_only_when_there_are_ports():
    tables = ports("cisco-c3560")
    assert missing_columns(tables) == []
    del tables[IF_IN_ERRORS]
    assert missing_columns(tables) == ["IF-MIB::ifInErrors"]
    assert missing_columns({IF_IN_ERRORS: {}}) == []


def test_a_port_without_error_counters_has_no_error_rate():
    first = ports("cisco-c3560")
    for column in (IF_IN_ERRORS, IF_OUT_ERRORS):
        del first[column][C3560_VL2]
    rates = rates_between(first, changed(first, C3560_VL2, IF_IN_DISCARDS=300), C3560_VL2)
    assert (rates.errors_per_s, rates.discards_per_s) == (None, 1.0)


def test_a_damaged_previous_state_gives_no_rates():
    [sample] = [s for s in port_samples(ports("cisco-n5000")) if s.index == N5K_PO1]
    for counters in ([1, 2, 3], "x", None):
        previous = {"n": sample.name, "hc": True, "c": counters}
        assert port_rates(sample, previous, ELAPSED, False) == port_rates(sample, None, ELAPSED, False)


# --- more health rows -------------------------------------------------------------------

def test_entity_sensor_scale_and_precision_on_a_nexus():
    temps = {t.name: t.value for t in read_health(PROFILES["cisco-nxos"], health_tables("cisco-n5000")).temperature}
    assert temps["Module-1, Outlet"] == 40.0                       # entSensorScale 9 (units)
    assert temps["temperature 25821"] == pytest.approx(52.394)     # scale 8 (milli): 52394 -> 52.394


def test_juniper_readings_come_from_their_index_ranges_and_containers_are_not_fans():
    health = read_health(PROFILES["juniper"], health_tables("juniper-mx960"))
    assert [c.name for c in health.cpu][:3] == ["Routing Engine 0", "Routing Engine 1", "FPC: MPC Type 2 3D @ 0/*/*"]
    assert all(c.name.startswith(("Routing Engine", "FPC")) for c in health.cpu)
    names = [f.name for f in health.fans]
    assert len(names) == 24 and "Top Fan Tray" not in names and names[0] == "Top Tray Fan 1"


@pytest.mark.parametrize("index,stem", [("4.1.0.0", "4.1"), ("4.1.1.0", "4.1.1"), ("7.0", "7"), ("0", "0"), ("9.1", "9.1")])
def test_index_stems(index, stem):
    assert _stem(index) == stem


@pytest.mark.parametrize("value", [-1, 65535, 2147483647, -2147483648, 4294967295])  # agents' "no reading"
def test_a_not_supported_marker_is_no_temperature(value):
    tables = health_tables("cisco-c3560")
    [index] = tables["1.3.6.1.4.1.9.9.13.1.3.1.3"]
    tables["1.3.6.1.4.1.9.9.13.1.3.1.3"][index] = value  # hand-changed from 61
    health = read_health(PROFILES["cisco-ios"], tables)
    assert health.temperature == () and health.unreadable == (
        f"temperature SW#1, Sensor#1, YELLOW: value {value} means not supported",)


@pytest.mark.parametrize("value,readable", [(0, True), (100, True), (101, False)])
def test_cpu_and_memory_percentages_from_0_to_100(value, readable):
    tables = health_tables("ruijie-s5750")
    profile = PROFILES["ruijie"]
    for column in (profile.sources("cpu")[0].value, profile.sources("memory")[0].percent):  # hand-changed
        [index] = tables[column]
        tables[column][index] = value
    health = read_health(PROFILES["ruijie"], tables)
    assert [c.value for c in health.cpu] == ([float(value)] if readable else [])
    assert [(m.name, m.used_percent) for m in health.memory] == ([("memory", value)] if readable else [])
    assert health.count("cpu") == health.count("memory") == (1 if readable else 0)
    assert len(health.unreadable) == (0 if readable else 2)


def test_an_empty_health_counts_nothing():
    assert Health().count("fans") == 0


def test_sections_a_profile_cannot_read_come_from_the_standard_mibs_when_asked():
    # The H3C profile on an Arista's recording reads nothing; the standard MIBs (generic) read it all.
    tables, h3c, generic = health_tables("arista-7150s"), PROFILES["h3c-comware"], PROFILES["generic"]
    assert fallback_sections(h3c, tables, generic) == ("cpu", "memory", "temperature", "fans", "psus")
    assert fallback_sections(h3c, tables, None) == ()
    health = read_health(h3c, tables, generic, ("cpu", "temperature"))
    assert health.from_fallback == ("cpu", "temperature")
    assert (health.count("cpu"), health.count("temperature"), health.count("memory")) == (3, 17, 0)
    assert [m.section for m in health.missing] == ["memory", "fans", "psus"]


def test_a_missing_section_names_every_object_tried():
    tables, h3c = health_tables("h3c-e528"), PROFILES["h3c-comware"]
    own = tuple(s.value or s.status for s in h3c.sources("fans"))
    missing = {m.section: m.tried for m in read_health(h3c, tables, PROFILES["generic"], ("fans",)).missing}
    assert set(missing) == {"fans", "psus"}
    assert missing["fans"] == (*own, "ENTITY-STATE-MIB::entStateOper (entPhysicalClass fan)",
                               "ENTITY-SENSOR-MIB::entPhySensorOperStatus (rpm sensors)")
    assert len(missing["psus"]) == len(set(missing["psus"])) == 2


def test_a_name_in_neither_utf8_nor_gbk_is_read_as_latin1():
    tables = health_tables("cisco-c3560")
    [index] = tables["1.3.6.1.4.1.9.9.13.1.4.1.2"]
    tables["1.3.6.1.4.1.9.9.13.1.4.1.2"][index] = b"L\xfcfter \xff"  # hand-changed: invalid UTF-8 and GBK
    assert [f.name for f in read_health(PROFILES["cisco-ios"], tables).fans] == ["L\u00fcfter \u00ff"]


def test_entities_reporting_the_profiles_ignore_value_are_no_readings():
    # hh3cEntityExtCpuUsage is 0 on 266 of the 281 entities of this H3C (ports, modules without a CPU)
    tables, profile = health_tables("h3c-comware7"), PROFILES["h3c-comware"]
    column = profile.sources("cpu")[0].value
    loads = [v for v in tables[column].values() if v != 0]
    health = read_health(profile, tables)
    assert len(tables[column]) - len(loads) == 266
    assert sorted(c.value for c in health.cpu) == sorted(float(v) for v in loads) and not health.unreadable
    column = profile.sources("memory")[0].percent  # hh3cEntityExtMemUsage: 0 on 263 entities
    used = [v for v in tables[column].values() if v != 0]
    assert len(used) == 18 and sorted(m.used_percent for m in health.memory) == sorted(used)


def test_a_memory_percentage_of_the_wrong_type_is_a_note_not_a_crash():
    tables, profile = health_tables("ruijie-s5750"), PROFILES["ruijie"]
    column = profile.sources("memory")[0].percent
    [index] = tables[column]
    tables[column][index] = b"50"  # hand-changed: an OCTET STRING where an INTEGER belongs
    health = read_health(profile, tables)
    assert health.memory == () and health.notes == (f"memory {index}: percent is bytes, not a number; ignored",)


def test_memory_with_nothing_used_is_a_zero_reading():
    tables = health_tables("arista-7150s")
    row = next(i for i, d in tables["1.3.6.1.2.1.25.2.3.1.3"].items() if d == b"RAM")
    tables["1.3.6.1.2.1.25.2.3.1.6"][row] = 0  # hand-changed: hrStorageUsed 0
    [memory] = read_health(PROFILES["arista"], tables).memory
    assert (memory.used_percent, memory.used_bytes) == (0.0, 0.0)
