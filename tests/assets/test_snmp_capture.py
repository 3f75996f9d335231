"""SNMP capture over real SNMP: snmpsim serves trimmed walks of real devices (snmpsim-data,
LibreNMS's test recordings of two printers, a published marker table; fixtures/SOURCES.md);
the capture's fetch talks to it."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from agent.assets.capture import snmp
from agent.assets.model import to_json
from collectors.base import CollectorIO
from inventory.models import NetworkDevice, SnmpCredentials

F = Path(__file__).parent / "fixtures" / "snmp-expected"
AT = datetime(2026, 12, 6, tzinfo=timezone.utc)
DEVICES = ("cisco-c3560", "huawei-s5720", "h3c-e528", "juniper-mx960", "arista-7150s", "zte-zxr10", "dcn-dcrs5980",
           "fortinet-xcu", "hp-m451dn-published", "librenms-sharp-mx3570n", "librenms-epson-wfc5790")


def capture(port: int, community: str):
    device = NetworkDevice(name="d1", address="127.0.0.1",
                           snmp=SnmpCredentials(community="env:UNUSED", port=port, timeout_s=2, retries=1))
    io = CollectorIO(run=None, resolve_secret=lambda ref: community)  # type: ignore[arg-type]
    return snmp.parse(asyncio.run(snmp.fetch(device, io)), AT)


@pytest.mark.parametrize("community", DEVICES)
def test_capture_of_recorded_devices(asset_snmpsim, community):
    got = to_json(capture(asset_snmpsim.port, community))
    expected = json.loads((F / f"{community}.json").read_text(encoding="utf-8"))
    assert got == expected


def test_what_matters_in_them(asset_snmpsim):
    c3560 = capture(asset_snmpsim.port, "cisco-c3560")
    assert c3560.kind == "network" and c3560.network.version == "12.2(55)SE3"
    chassis = [c for c in c3560.components if c.klass == "chassis"]
    assert chassis and c3560.identity.serial == chassis[0].serial and c3560.identity.model == chassis[0].model
    assert all(c.klass in snmp.KEPT_CLASSES or c.serial for c in c3560.components)
    huawei = capture(asset_snmpsim.port, "huawei-s5720")
    assert huawei.network.version == "5.160 V200R007C00SPC500"
    # a real Sharp MFP: prtGeneralSerialNumber.1, prtMarkerLifeCount.1.1 with prtMarkerCounterUnit 7
    sharp = capture(asset_snmpsim.port, "librenms-sharp-mx3570n")
    assert sharp.kind == "printer" and sharp.printer.serial == sharp.identity.serial == "6509415X00"
    assert sharp.identity.model == "SHARP MX-3570N"  # hrDeviceDescr of the hrDevicePrinter row
    assert [(c.marker, c.count, c.unit) for c in sharp.counters] == [(1, 121104, "impressions")]
    # a real Epson inkjet answers the serial but has no marker life count: a gap, not a zero
    epson = capture(asset_snmpsim.port, "librenms-epson-wfc5790")
    assert epson.printer.serial == "X3B8022793" and epson.counters == ()
    assert "page counters" in {g.part for g in epson.gaps}
    published = capture(asset_snmpsim.port, "hp-m451dn-published")  # the marker table only, as it was posted
    assert published.kind == "printer" and published.counters[0].count == 2039
    gaps = {g.part for g in published.gaps}
    assert {"sysDescr", "printer serial", "components"} <= gaps


@pytest.mark.parametrize("descr, version", [
    ("Cisco IOS Software, C3750 Software (C3750-IPBASE-M), Version 12.2(50)SE5, RELEASE SOFTWARE (fc1)", "12.2(50)SE5"),
    ("H3C Comware Platform Software, Software Version 7.1.075, Release 7751P01", "7.1.075 7751P01"),
    ("Juniper Networks, Inc. mx960 internet router, kernel JUNOS 16.1R6.7, Build date: 2017-11-22", "16.1R6.7"),
    ("Arista Networks EOS version 4.20.5F running on an Arista Networks DCS-7150S-52-CL", "4.20.5F"),
    ("ProCurve 516733-B21 6120XG Blade Switch, revision Z.14.31, ROM Z.14.09 (/ws/swbuildm", "Z.14.31"),
    ("ArubaOS (MODEL: Aruba7210), Version 6.5.1.6 (60228)", "6.5.1.6"),
    ("Palo Alto Networks PA-5000 series firewall", None),
])
def test_version_from_sysdescr(descr, version):
    assert snmp.version_from_descr(descr) == version


def test_hostile_values_do_not_break_parse():
    ent = snmp.ENT_COLUMNS
    sample = snmp.SnmpSample(
        system={snmp.SYS_DESCR: b"\xff\xfe\x00bad", snmp.SYS_OBJECT_ID: 7},
        entity={ent["klass"]: {"1": 3, "2": "chassis", "x": 9}, ent["serial"]: {"1": b"[red]FOC1\x00", "2": 12},
                ent["contained_in"]: {"1": -5}, ent["fru"]: {"1": 7}},
        printer={snmp.PRT_LIFE_COUNT: {"1.1": -3, "1.2": "many"}}, errors={"printer": "agent error tooBig"})
    snap = snmp.parse(sample, AT)
    assert snap.identity.serial == "[red]FOC1"  # kept as data: escaping is the renderer's job
    assert snap.network.sys_object_id is None and snap.counters == ()
    assert {g.part for g in snap.gaps} >= {"printer"}
