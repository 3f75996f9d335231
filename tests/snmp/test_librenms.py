"""Patrol's CPU, memory, temperature, fan and supply readings against the readings LibreNMS took
from the same real walks (data/librenms, served by snmpsim): coverage per kind is pinned, and
every reading where the two differ is one of the explained ones (librenms_compare.EXPLAINED,
the table in docs/network-snmp.md). bench/health_vs_librenms.py prints the same figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.base import State
from tests.snmp import librenms_compare as lc
from tests.snmp.conftest import LIBRENMS_DATA, device

RECORDED = lc.load_recorded(LIBRENMS_DATA)

# (Patrol also, LibreNMS) per kind, over all recordings. Raise these when a profile gains a
# reading; a lower figure is a regression.
PINNED = {"cpu": (25, 25), "memory": (17, 17), "temperature": (54, 59), "fans": (50, 50), "psus": (22, 22)}


@pytest.fixture(scope="module")
def comparison(snmpsim_librenms, tmp_path_factory: pytest.TempPathFactory) -> lc.Comparison:
    from tests.snmp.conftest import poll_once

    state = tmp_path_factory.mktemp("state")
    results = {name: poll_once(device(snmpsim_librenms.port, name), state) for name in RECORDED}
    return lc.compare(RECORDED, results, lc.walk_oids(LIBRENMS_DATA, RECORDED))


def test_coverage_per_kind_is_pinned(comparison: lc.Comparison) -> None:
    got = {k: (t.patrol_also, t.librenms) for k, t in comparison.tallies.items()}
    assert got == PINNED, lc.coverage_lines(comparison)


def test_readings_of_another_version_of_a_walk_are_set_apart_not_counted(comparison: lc.Comparison) -> None:
    """routeros: LibreNMS's readings list hrProcessorLoad.1-.4; the walk the index serves has .1 only."""
    apart = sorted((d.device, d.kind, d.what) for d in comparison.not_in_walk)
    assert apart == [("routeros", "cpu", f".1.3.6.1.2.1.25.3.3.1.2.{i} is not in the walk") for i in (2, 3, 4)]


def test_every_difference_is_explained(comparison: lc.Comparison) -> None:
    found = {d.key(): d.what for d in comparison.differences}
    assert sorted(found) == sorted(lc.EXPLAINED), {k: v for k, v in found.items() if k not in lc.EXPLAINED}


def test_the_docs_table_lists_every_explained_difference() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "network-snmp.md").read_text(encoding="utf-8")
    for device_name, kind, reading in lc.EXPLAINED:
        assert f"| *`{device_name}`* | {lc.KIND_NAMES[kind]} | {reading} |" in doc, (device_name, kind, reading)


def test_librenms_readings_are_sorted_into_kinds() -> None:
    """Port optics are not device health; a fan listed by speed and by state is one fan."""
    items = lc.librenms_items({"sensors": [
        {"class": "temperature", "descr": "sfp1", "type": "x", "group": "transceiver", "value": 40, "state": None},
        {"class": "temperature", "descr": "CPU", "type": "x", "group": None, "value": 36, "state": None},
        {"class": "fanspeed", "descr": "Fan 0 speed", "type": "bdcom", "group": None, "value": 3029, "state": None},
        {"class": "state", "descr": "Fan 0 status", "type": "FanStatus", "group": None, "value": 2, "state": "critical"},
        {"class": "state", "descr": "ether5 POE", "type": "mtxrPOEStatus", "group": "Ports", "value": 2, "state": None},
        {"class": "state", "descr": "PS0", "type": "hillstonePowerState", "group": None, "value": 0, "state": "ok"},
    ], "memory": [{"descr": "Physical memory", "class": "system", "percent": 41},
                  {"descr": "Cached memory", "class": "cached", "percent": 11}]})
    assert [(i.name, i.value) for i in items["temperature"]] == [("CPU", 36.0)]
    assert [(i.name, i.state) for i in items["fans"]] == [("Fan 0 status", State.CRIT)]  # the one with a state
    assert [i.name for i in items["psus"]] == ["PS0"]
    assert [i.name for i in items["memory"]] == ["Physical memory"]


def test_make_fixtures_keeps_librenms_oids() -> None:
    """A regenerated readings file keeps processor_oid / sensor_oid, which the comparison needs
    to set apart readings of another version of the walk (routeros)."""
    from tests.snmp.make_fixtures import readings

    got = readings({
        "processors": {"discovery": {"processors": [
            {"processor_descr": "Processor", "processor_usage": 21, "processor_oid": ".1.3.6.1.2.1.25.3.3.1.2.2"}]}},
        "sensors": {"discovery": {"sensors": [
            {"sensor_class": "temperature", "sensor_descr": "CPU", "sensor_type": "x", "sensor_current": 44,
             "sensor_oid": ".1.3.6.1.4.1.14988.1.1.3.11.0"}], "state_indexes": []}}})
    assert [c["oid"] for c in got["cpu"]] == [".1.3.6.1.2.1.25.3.3.1.2.2"]
    assert [s["oid"] for s in got["sensors"]] == [".1.3.6.1.4.1.14988.1.1.3.11.0"]
    items = lc.librenms_items(got)
    assert items["cpu"][0].oid == ".1.3.6.1.2.1.25.3.3.1.2.2" and items["temperature"][0].oid is not None


def test_every_readings_file_has_its_walk() -> None:
    """NAME.readings.json is compared with a poll of NAME.snmprec: one without the other is a slip."""
    walks = {p.stem for p in LIBRENMS_DATA.glob("*.snmprec")}
    assert RECORDED and set(RECORDED) <= walks, sorted(set(RECORDED) - walks)


def test_an_alarm_on_a_supplys_measurement_is_not_a_supply() -> None:
    """FortiGate: LibreNMS lists the alarm flag of every hardware sensor; "PS1 Status" is the supply,
    "PS1 Temp" / "PS1 VIN" / "INA219 PS1 Vbus" are alarms on its measurements."""
    sensors = [{"class": "state", "descr": d, "type": "fgHwSensors", "group": None, "value": 0, "state": "ok"}
               for d in ("PS1 Status", "PS1 Temp", "PS1 VIN", "PS1 VOUT_12V", "INA219 PS1 Vbus", "PS1 Fan 1")]
    sensors.append({"class": "temperature", "descr": "Gi1/0/52 Module", "type": "cisco-entity-sensor", "group": None,
                    "value": 34.6, "state": None, "measured": "ports"})  # an optic, measured on a port
    items = lc.librenms_items({"sensors": sensors})
    assert items["temperature"] == []
    assert [i.name for i in items["psus"]] == ["PS1 Status"]
    assert [i.name for i in items["fans"]] == ["PS1 Fan 1"]
