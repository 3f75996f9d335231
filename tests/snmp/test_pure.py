"""Pure parts: the BER codec, counter deltas, reboot detection, profiles and health rows."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from collectors.base import State
from collectors.snmp import ber
from collectors.snmp.health import read_health
from collectors.snmp.ports import counter_delta, detect_reboot
from collectors.snmp.profiles import Profile, ProfileError, load_profiles, select
from collectors.switch import SwitchCollector, SwitchModel
from config.checks.switch import SwitchParams
from inventory.models import NetworkDevice


@pytest.mark.parametrize("oid", ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.2.2.1.2.436326400", "2.999.1", "0.0",
                                 "1.3.6.1.4.1.9.9.91.1.1.1.1.4.4294967295"])
def test_oid_round_trip(oid: str) -> None:
    assert ber.decode_oid(ber.encode_oid(oid)) == oid


def _response(varbinds: bytes, *, pdu: int = ber.RESPONSE, version: int = 1) -> bytes:
    body = ber.encode_int(42) + ber.encode_int(0) + ber.encode_int(0) + ber.tlv(0x30, varbinds)
    return ber.tlv(0x30, ber.encode_int(version) + ber.tlv(0x04, b"public") + ber.tlv(pdu, body))


def _vb(oid: str, tag: int, content: bytes) -> bytes:
    return ber.tlv(0x30, ber.tlv(0x06, ber.encode_oid(oid)) + ber.tlv(tag, content))


@pytest.mark.parametrize("tag,content,value", [
    (0x02, b"\xff", -1), (0x02, b"\x00\x80", 128), (0x04, b"Gi0/1", b"Gi0/1"), (0x40, b"\x0a\x00\x00\x01", "10.0.0.1"),
    (0x41, b"\x00\xff\xff\xff\xff", 2**32 - 1), (0x43, b"\x01\x00", 256),
    (0x46, b"\x00\xff\xff\xff\xff\xff\xff\xff\xff", 2**64 - 1), (0x06, ber.encode_oid("1.3.6.1.4.1.9.1.617"),
                                                                   "1.3.6.1.4.1.9.1.617"),
    (0x05, b"", None), (0x82, b"", ber.END_OF_MIB_VIEW), (0x81, b"", ber.NO_SUCH_INSTANCE),
], ids=["int-neg", "int-128", "octets", "ipaddress", "counter32-max", "timeticks", "counter64-max", "oid", "null",
        "endOfMibView", "noSuchInstance"])
def test_decode_values(tag: int, content: bytes, value: object) -> None:
    rid, status, index, varbinds = ber.decode_response(_response(_vb("1.3.6.1.2.1.1.3.0", tag, content)))
    assert (rid, status, index) == (42, 0, 0)
    assert varbinds == [(ber.encode_oid("1.3.6.1.2.1.1.3.0"), value)]


@pytest.mark.parametrize("datagram,reason", [
    (b"", "truncated"),
    (b"\x30\x03\x02\x01\x01", "truncated"),
    (b"garbage garbage", "expected message"),
    (_response(b"")[:-3], "past the end"),
    (_response(_vb("1.3.6.1.2.1.1.3.0", 0x99, b"x")), "unknown value type"),
    (_response(_vb("1.3.6.1.2.1.1.3.0", 0x41, b"\x01" * 12)), "unsigned value of 12 octets"),
    (_response(b"", pdu=ber.GET), "expected Response-PDU"),
    (_response(b"", version=3), "not an SNMPv2c message"),
    (_response(ber.tlv(0x30, ber.tlv(0x04, b"x") + b"\x05\x00")), "not an OBJECT IDENTIFIER"),
], ids=["empty", "cut-short", "not-ber", "length-past-end", "unknown-tag", "huge-counter", "not-a-response",
        "v3-message", "name-not-oid"])
def test_malformed_datagrams_raise(datagram: bytes, reason: str) -> None:
    with pytest.raises(ber.BerError, match=reason):
        ber.decode_response(datagram)


@pytest.mark.parametrize("current,previous,bits,delta,why", [
    (150, 100, 32, 50, None),
    (50, 2**32 - 50, 32, 100, None),                 # wrapped
    (10, 1_000_000, 32, None, "backwards"),          # reset (clear counters)
    (10, 1_000_000, 64, None, "backwards"),          # 64-bit never wraps: reset
    (None, 5, 64, None, None),
    (5, "x", 64, None, None),                        # a damaged state file
], ids=["normal", "32bit-wrap", "32bit-reset", "64bit-backwards", "missing-now", "bad-previous"])
def test_counter_delta(current, previous, bits, delta, why) -> None:
    got, reason = counter_delta(current, previous, bits)
    assert got == delta
    assert (why is None and reason is None) or (why in (reason or ""))


@pytest.mark.parametrize("prev_uptime,elapsed,uptime,rebooted", [
    (100_000, 300, 130_000, False),
    (100_000, 300, 5_000, True),
    (2**32 - 10_000, 300, 20_000, False),             # TimeTicks wrap after 497 days
    (2**32 - 10_000, 300, 500, True),                 # wrap window, but far too little uptime
    (100_000, 86_400 * 3, 86_400 * 100, True),        # booted while we were not polling (uptime 1 d < 3 d gap)
    (100_000, 300, 131_000, False),                   # clock drift within tolerance
], ids=["normal", "reboot", "wrap", "reboot-near-wrap", "reboot-during-gap", "drift"])
def test_detect_reboot(prev_uptime, elapsed, uptime, rebooted) -> None:
    assert detect_reboot({"at": 1000.0, "uptime": prev_uptime}, 1000.0 + elapsed, uptime) is rebooted


def test_reboot_hold_expires() -> None:
    dev = NetworkDevice(name="sw", snmp={"community": "env:X"})
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    params = SwitchParams(reboot_hold_s=3600)

    def uptime_state(since_reboot: float) -> State:
        model = SwitchModel(None, 0.01, uptime_s=since_reboot, at=10_000.0, last_reboot_at=10_000.0 - since_reboot)
        return next(r for r in SwitchCollector().evaluate(model, params, dev, now) if r.check == "switch.uptime").state

    assert uptime_state(600) is State.WARN
    assert uptime_state(3700) is State.OK


@pytest.mark.parametrize("sys_object_id,profile", [
    ("1.3.6.1.4.1.9.1.617", "cisco-ios"), ("1.3.6.1.4.1.9.12.3.1.3.1084", "cisco-nxos"),
    ("1.3.6.1.4.1.25506.1.921", "h3c-comware"), ("1.3.6.1.4.1.2011.10.1.2", "h3c-comware"),
    ("1.3.6.1.4.1.2011.2.23.276", "huawei-vrp"), ("1.3.6.1.4.1.4881.1.1.10.1.41", "ruijie"),
    ("1.3.6.1.4.1.30065.1.3011.7150", "arista"), ("1.3.6.1.4.1.2636.1.1.1.2.21", "juniper"),
    ("1.3.6.1.4.1.8072.3.2.10", "generic"), ("1.3.6.1.4.1.99", "generic"), (None, "generic"),
    ("1.3.6.1.4.1.90", "generic"),  # a prefix match must end on a sub-identifier (not 9 -> 90)
    ("1.3.6.1.4.1.11.2.3.7.11.107", "hp-procurve"), ("1.3.6.1.4.1.1991.1.3.57.1.1.1.1", "brocade-fastiron"),
    ("1.3.6.1.4.1.171.10.63.6", "dlink"), ("1.3.6.1.4.1.12356.101.1.30000", "fortinet"),
    ("1.3.6.1.4.1.6339.1.1.2.29", "dcn"), ("1.3.6.1.4.1.25461.2.3.9", "generic"),  # Palo Alto: the standard MIBs give its readings
])
def test_profile_selection(sys_object_id, profile) -> None:
    assert select(sys_object_id, load_profiles()).name == profile


def test_extends_inherits_sections() -> None:
    profiles = load_profiles()
    assert profiles["cisco-nxos"].cpu == profiles["cisco-ios"].cpu  # not redefined: inherited
    assert profiles["arista"].temperature == profiles["generic"].temperature


def test_new_vendor_is_a_yaml_file(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(
        "name: acme\nextends: generic\nsysobjectid: ['1.3.6.1.4.1.99999']\n"
        "cpu:\n  - label: CPU\n    value: 1.3.6.1.4.1.99999.1.1   # ACME-MIB::acmeCpuLoad\n")
    profiles = load_profiles(tmp_path)
    assert select("1.3.6.1.4.1.99999.7", profiles).name == "acme"
    health = read_health(profiles["acme"], {"1.3.6.1.4.1.99999.1.1": {"0": 42}})
    assert [(c.name, c.value) for c in health.cpu] == [("CPU", 42.0)]  # a scalar (.0): named by its label


def test_extends_loop_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\nextends: b\n")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a\n")
    with pytest.raises(ProfileError, match="loops"):
        load_profiles(tmp_path)


def test_hostile_health_rows_are_skipped_with_reasons() -> None:
    profile = load_profiles()["cisco-ios"]
    tables = {
        "1.3.6.1.4.1.9.9.109.1.1.1.1.8": {"1": b"28", "2": 30},           # cpmCPUTotal5minRev: a string
        "1.3.6.1.4.1.9.9.48.1.1.1.2": {"1": b"Processor", "2": b"I/O"},
        "1.3.6.1.4.1.9.9.48.1.1.1.5": {"1": 10, "2": 500},                # used > used + free? no: free missing
        "1.3.6.1.4.1.9.9.48.1.1.1.6": {"1": 30},
        "1.3.6.1.4.1.9.9.13.1.4.1.3": {"1004": 9},                        # a fan state the MIB does not define
        "1.3.6.1.4.1.9.9.13.1.5.1.3": {"1003": 5},                        # notPresent: left out
    }
    health = read_health(profile, tables)
    assert [(c.name, c.value) for c in health.cpu] == [("CPU 2", 30.0)]
    assert [(m.name, m.used_percent) for m in health.memory] == [("Processor", 25.0)]
    assert [(f.name, f.state) for f in health.fans] == [("fan 1004", "unknown")]
    assert health.psus == ()
    assert any("not a number" in n for n in health.notes)
    assert any("incomplete row" in n for n in health.notes)
    assert any("status code 9" in n for n in health.notes)


def test_every_profile_oid_has_a_mib_name_comment() -> None:
    import re

    oid_line = re.compile(r"^\s*(- )?\w+: \d+(\.\d+)+\s*(#.*)?$")
    missing = [f"{path.name}: {line.strip()}" for path in Path("collectors/snmp/profiles").glob("*.yaml")
               for line in path.read_text().splitlines() if oid_line.match(line) and "#" not in line]
    assert missing == []


@pytest.mark.parametrize("rtt,state", [(0.05, State.OK), (1.5, State.WARN), (4.0, State.CRIT)])
def test_response_time_thresholds(rtt: float, state: State) -> None:
    dev = NetworkDevice(name="sw", snmp={"community": "env:X"})
    model = SwitchModel(None, rtt, uptime_s=1e6, at=1e7)
    results = list(SwitchCollector().evaluate(model, SwitchParams(), dev, datetime(2026, 1, 1, tzinfo=timezone.utc)))
    assert results[0].check == "switch.reachability" and results[0].state is state


ENT_NAME, ENT_CLASS, ENT_IN = "1.3.6.1.2.1.47.1.1.1.1.7", "1.3.6.1.2.1.47.1.1.1.1.5", "1.3.6.1.2.1.47.1.1.1.1.4"
ENT_OPER = "1.3.6.1.2.1.131.1.1.1.3"  # ENTITY-STATE-MIB::entStateOper
SENSOR = "1.3.6.1.2.1.99.1.1.1"       # ENTITY-SENSOR-MIB::entPhySensorEntry


def test_fan_tray_holding_fans_is_not_a_fan() -> None:
    tables = {ENT_NAME: {"1": b"Fan Tray 1", "2": b"Fan 1/1", "3": b"Fan 1/2", "4": b"PSU fan"},
              ENT_CLASS: {"1": 7, "2": 7, "3": 7, "4": 7},
              ENT_IN: {"1": 0, "2": 1, "3": 1, "4": 0},
              ENT_OPER: {"1": 3, "2": 3, "3": 2, "4": 3}}
    health = read_health(load_profiles()["generic"], tables)
    assert [(f.name, f.state) for f in health.fans] == [("Fan 1/1", "ok"), ("Fan 1/2", "crit"), ("PSU fan", "ok")]


def test_entity_sensor_scale_precision_and_status() -> None:
    tables = {ENT_NAME: {"10": b"Inlet", "11": b"Board", "12": b"Missing"},
              f"{SENSOR}.1": {"10": 8, "11": 8, "12": 8},        # entPhySensorType celsius
              f"{SENSOR}.2": {"10": 9, "11": 9, "12": 9},        # entPhySensorScale units
              f"{SENSOR}.3": {"10": 1, "11": 0, "12": 0},        # entPhySensorPrecision
              f"{SENSOR}.4": {"10": 455, "11": 38, "12": 0},     # entPhySensorValue
              f"{SENSOR}.5": {"10": 1, "11": 1, "12": 2}}        # entPhySensorOperStatus: 2 unavailable
    health = read_health(load_profiles()["generic"], tables)
    assert [(t.name, t.value) for t in health.temperature] == [("Inlet", 45.5), ("Board", 38.0)]
    assert health.unreadable == ("temperature Missing: the device says its state is unknown (status 2)",)


def test_standard_mibs_read_what_the_vendor_profile_cannot() -> None:
    profiles = load_profiles()
    tables = {"1.3.6.1.2.1.25.3.3.1.2": {"768": 97},                     # hrProcessorLoad only
              "1.3.6.1.2.1.25.2.3.1.2": {"1": "1.3.6.1.2.1.25.2.1.2"},   # hrStorageRam
              "1.3.6.1.2.1.25.2.3.1.3": {"1": b"RAM"}, "1.3.6.1.2.1.25.2.3.1.4": {"1": 1024},
              "1.3.6.1.2.1.25.2.3.1.5": {"1": 1000}, "1.3.6.1.2.1.25.2.3.1.6": {"1": 880}}
    alone = read_health(profiles["cisco-ios"], tables)
    assert alone.cpu == () and [m.section for m in alone.missing] == ["cpu", "memory", "temperature", "fans", "psus"]
    health = read_health(profiles["cisco-ios"], tables, profiles["generic"], ("cpu", "memory"))
    assert [(c.name, c.value) for c in health.cpu] == [("CPU 768", 97.0)]
    assert [(m.name, m.used_percent, m.total_bytes) for m in health.memory] == [("RAM", 88.0, 1024_000.0)]
    assert health.from_fallback == ("cpu", "memory")
    assert [m.section for m in health.missing] == ["temperature", "fans", "psus"]
    assert "CISCO-PROCESS" not in " ".join(health.missing[0].tried)  # OIDs or object names, never guessed


@pytest.mark.parametrize("value", [-1, 65535, 2147483647, 4294967295])
def test_not_supported_markers_are_never_readings(value: int) -> None:
    tables = {"1.3.6.1.4.1.9.9.109.1.1.1.1.8": {"1": value},      # cpmCPUTotal5minRev
              "1.3.6.1.4.1.9.9.13.1.3.1.3": {"7": value}}         # ciscoEnvMonTemperatureStatusValue
    health = read_health(load_profiles()["cisco-ios"], tables)
    assert health.cpu == () and health.temperature == ()
    assert len(health.unreadable) == 2 and all("means not supported" in u for u in health.unreadable)


def test_text_values_are_read_through_the_profile_pattern() -> None:
    """FASTPATH's CPU and ZTE's percentages are DisplayStrings (as recorded): a number in text."""
    profile = Profile.model_validate({"name": "t", "cpu": [{"label": "CPU", "value": "1.3.6.1.4.1.4413.1.1.1.1.4.9",
                                                            "pattern": r"([0-9]+(?:\.[0-9]+)?)\s*%"}],
                                      "memory": [{"label": "Memory", "percent": "1.3.6.1.4.1.3902.15.2.30.1.5",
                                                  "pattern": r"([0-9]+(?:\.[0-9]+)?)"}]})
    tables = {"1.3.6.1.4.1.4413.1.1.1.1.4.9": {"0": b"    5 Secs ( 96.4918%)   60 Secs ( 54.2271%)"},
              "1.3.6.1.4.1.3902.15.2.30.1.5": {"0": b"82.5"}}
    health = read_health(profile, tables)
    assert [(c.name, c.value) for c in health.cpu] == [("CPU", 96.4918)]
    assert [(m.name, m.used_percent) for m in health.memory] == [("Memory", 82.5)]
    broken = read_health(profile, {"1.3.6.1.4.1.4413.1.1.1.1.4.9": {"0": b"n/a"}})
    assert broken.cpu == () and any("no number" in n for n in broken.notes)
    assert [m.section for m in broken.missing] == ["cpu", "memory", "temperature", "fans", "psus"]


def test_a_pattern_needs_a_group_for_the_number() -> None:
    with pytest.raises(ValueError, match="capturing group"):
        Profile.model_validate({"name": "t", "cpu": [{"value": "1.3.6.1.4.1.1.1", "pattern": r"\d+%"}]})
    with pytest.raises(ValueError, match="not a regular expression"):
        Profile.model_validate({"name": "t", "cpu": [{"value": "1.3.6.1.4.1.1.1", "pattern": r"(\d+"}]})


def test_row_zero_of_a_table_is_not_a_scalar() -> None:
    profile = Profile.model_validate({"name": "t", "fans": [{"label": "Fan", "status": "1.3.6.1.4.1.3320.9.187.4.1.2",
                                                             "status_map": {1: "ok"}}]})
    many = read_health(profile, {"1.3.6.1.4.1.3320.9.187.4.1.2": {"0": 1, "1": 1}})
    assert [f.name for f in many.fans] == ["Fan 0", "Fan 1"]
    one = read_health(profile, {"1.3.6.1.4.1.3320.9.187.4.1.2": {"0": 1}})
    assert [f.name for f in one.fans] == ["Fan"]


MTXR = "1.3.6.1.4.1.14988.1.1.3"  # MIKROTIK-MIB::mtxrHealth


def test_fans_known_only_by_speed_are_ok_while_turning_and_named_when_stopped() -> None:
    """mtxrHlFanSpeed1/2 are one fallback (``with_previous``): both are read, and only when the
    gauge table has no rpm rows; 0 rpm is named as not readable, never a fan state."""
    profile = load_profiles()["mikrotik-routeros"]
    scalars = {f"{MTXR}.17": {"0": 4200}, f"{MTXR}.18": {"0": 0}}
    health = read_health(profile, scalars)
    assert [(f.name, f.state, f.rpm) for f in health.fans] == [("Fan 1", "ok", 4200.0)]
    assert health.unreadable == ("fan Fan 2: speed 0 rpm (stopped, or no fan fitted)",)
    gauge = {f"{MTXR}.100.1.2": {"1": b"fan1-speed"}, f"{MTXR}.100.1.3": {"1": 3900}, f"{MTXR}.100.1.4": {"1": 2}}
    both = read_health(profile, {**scalars, **gauge})
    assert [(f.name, f.rpm) for f in both.fans] == [("fan1-speed", 3900.0)] and both.unreadable == ()


def test_an_empty_slot_is_named_not_fitted_not_a_fault() -> None:
    os10_psu = "1.3.6.1.4.1.674.11000.5000.100.4.1.2.1.1.4"  # os10PowerSupplyOperStatus: 6 notPresent
    health = read_health(load_profiles()["dell-os10"], {os10_psu: {"1": 6, "2": 1}})
    assert [(p.name, p.state) for p in health.psus] == [("PSU 2", "ok")]
    assert health.absent == (("psus", "PSU 1"),)
    model = SwitchModel(None, 0.01, uptime_s=1e6, at=1e7, health=health)
    dev = NetworkDevice(name="sw", snmp={"community": "env:X"})
    results = {r.check: r for r in SwitchCollector().evaluate(model, SwitchParams(), dev,
                                                                datetime(2026, 1, 1, tzinfo=timezone.utc))}
    assert "1 not fitted (PSU 1)" in results["switch.health"].summary
    assert "not fitted (the device says its slot is empty): power supplies PSU 1" in results["switch.health"].details
    assert results["switch.psu"].item == "PSU 2" and results["switch.psu"].state is State.OK


def test_linux_physical_memory_is_used_less_buffers_and_cache() -> None:
    """net-snmp on Linux counts buffers and page cache in "Physical memory": they are taken off
    when the agent lists them (Dell OS10's rows, as recorded); never below zero."""
    hr = "1.3.6.1.2.1.25.2.3.1"
    tables = {f"{hr}.2": {"1": "1.3.6.1.2.1.25.2.1.2", "6": "1.3.6.1.2.1.25.2.1.1", "7": "1.3.6.1.2.1.25.2.1.1"},
              f"{hr}.3": {"1": b"Physical memory", "6": b"Memory buffers", "7": b"Cached memory"},
              f"{hr}.4": {"1": 1024, "6": 1024, "7": 1024},
              f"{hr}.5": {"1": 3996012, "6": 3996012, "7": 434048},
              f"{hr}.6": {"1": 2107392, "6": 17864, "7": 434048}}
    health = read_health(load_profiles()["generic"], tables)
    assert [(m.name, round(m.used_percent, 1)) for m in health.memory] == [("Physical memory", 41.4)]
    odd = {**tables, f"{hr}.6": {"1": 100, "6": 17864, "7": 434048}}  # already net of cache: left as given
    assert [round(m.used_percent, 3) for m in read_health(load_profiles()["generic"], odd).memory] == [0.003]


def test_rows_kept_by_a_pattern_on_their_name() -> None:
    """FortiGate's fgHwSensorTable says what a row is only in its name; ``matches`` keeps rows by it."""
    name, alarm = "1.3.6.1.4.1.12356.101.4.3.2.1.2", "1.3.6.1.4.1.12356.101.4.3.2.1.4"
    profile = Profile.model_validate({"name": "t", "fans": [{"name": name, "status": alarm, "status_map": {0: "ok", 1: "crit"},
                                                             "where": [{"column": name, "matches": r"\bfan\s*\d*\b"}]}]})
    tables = {name: {"1": b"FAN1", "2": b"PS1 Fan 2", "3": b"+12V", "4": b"Fanless", "5": 7},
              alarm: {"1": 0, "2": 1, "3": 0, "4": 0, "5": 0}}
    health = read_health(profile, tables)
    assert [(f.name, f.state) for f in health.fans] == [("FAN1", "ok"), ("PS1 Fan 2", "crit")]
    with pytest.raises(ValueError, match="either equals or matches"):
        Profile.model_validate({"name": "t", "fans": [{"status": alarm, "where": [{"column": name}]}]})
    with pytest.raises(ValueError, match="not a regular expression"):
        Profile.model_validate({"name": "t", "fans": [{"status": alarm, "where": [{"column": name, "matches": "("}]}]})


def test_port_columns_with_values_that_are_not_plain_ints() -> None:
    """port_samples reads a column at once when it holds only ints; a column with anything
    else (a bool, text, bytes from a broken agent; an int subclass) is read value by value,
    as _int reads it: ints (subclasses too) kept, everything else a gap."""
    from collectors.snmp import ports as P

    class Gauge(int):
        pass

    tables = {P.IF_OPER: {"1": 1, "2": True, "3": "1", "4": b"\x01", "5": Gauge(2)},
              P.IF_ADMIN: {"1": 1, "2": 1, "3": 2, "4": 1, "5": 1},
              P.IF_HIGH_SPEED: {"1": 1000, "2": 1000, "3": None, "4": 100.0, "5": Gauge(10)},
              P.IF_NAME: {"1": b"Gi0/1", "2": b"Gi0/2\x00", "3": "Gi0/3 ", "4": b"\xb6\xcb\xbf\xda1", "5": 5}}
    samples = P.port_samples(tables)
    assert [(s.index, s.name, s.oper, s.admin, s.speed_bps) for s in samples] == [
        ("1", "Gi0/1", 1, 1, 1e9), ("2", "Gi0/2", None, 1, 1e9), ("3", "Gi0/3", None, 2, None),
        ("4", "端口1", None, 1, None), ("5", "ifIndex 5", 2, 1, 1e7)]
    assert type(samples[4].oper) is Gauge  # kept as the decoder gave it, as before
