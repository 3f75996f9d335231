"""Capture of network devices and printers over SNMP: ENTITY-MIB, sysDescr, Printer-MIB.

One GET and two multi-column walks per device::

    SNMPv2-MIB::sysDescr.0 / sysObjectID.0 / sysName.0                  (RFC 3418)
    ENTITY-MIB::entPhysicalTable  1.3.6.1.2.1.47.1.1.1.1.<column>.<index> (RFC 6933)
    Printer-MIB::prtGeneralSerialNumber 1.3.6.1.2.1.43.5.1.1.17.<device>  (RFC 3805)
    Printer-MIB::prtMarkerCounterUnit / prtMarkerLifeCount 1.3.6.1.2.1.43.10.2.1.{3,4}.<device>.<marker>

``fetch`` returns the raw values (``SnmpSample``); ``parse`` is pure. A walk the agent does
not answer is a ``Gap``, not a failure: many printers have no ENTITY-MIB and switches no
Printer-MIB.

Components kept: chassis, modules, power supplies, fans, stacks, CPUs, storage, batteries,
and any other row with a serial number. Ports, sensors and empty containers without a
serial would fill the archive with hundreds of rows that are not parts anyone swaps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.assets.capture.text import clean
from agent.assets.model import AssetSnapshot, Component, Gap, Identity, NetworkInfo, PageCounter, PrinterInfo

SYS_DESCR, SYS_OBJECT_ID, SYS_NAME = "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.5.0"
ENT = "1.3.6.1.2.1.47.1.1.1.1"
ENT_COLUMNS = {
    "description": f"{ENT}.2",   # ENTITY-MIB::entPhysicalDescr
    "contained_in": f"{ENT}.4",  # ENTITY-MIB::entPhysicalContainedIn
    "klass": f"{ENT}.5",         # ENTITY-MIB::entPhysicalClass
    "position": f"{ENT}.6",      # ENTITY-MIB::entPhysicalParentRelPos
    "name": f"{ENT}.7",          # ENTITY-MIB::entPhysicalName
    "hardware_rev": f"{ENT}.8",  # ENTITY-MIB::entPhysicalHardwareRev
    "firmware_rev": f"{ENT}.9",  # ENTITY-MIB::entPhysicalFirmwareRev
    "software_rev": f"{ENT}.10",  # ENTITY-MIB::entPhysicalSoftwareRev
    "serial": f"{ENT}.11",       # ENTITY-MIB::entPhysicalSerialNum
    "maker": f"{ENT}.12",        # ENTITY-MIB::entPhysicalMfgName
    "model": f"{ENT}.13",        # ENTITY-MIB::entPhysicalModelName
    "fru": f"{ENT}.16",          # ENTITY-MIB::entPhysicalIsFRU
}
PRT_SERIAL = "1.3.6.1.2.1.43.5.1.1.17"  # Printer-MIB::prtGeneralSerialNumber
PRT_COUNTER_UNIT = "1.3.6.1.2.1.43.10.2.1.3"  # Printer-MIB::prtMarkerCounterUnit
PRT_LIFE_COUNT = "1.3.6.1.2.1.43.10.2.1.4"  # Printer-MIB::prtMarkerLifeCount
HR_DEVICE_TYPE = "1.3.6.1.2.1.25.3.2.1.2"  # HOST-RESOURCES-MIB::hrDeviceType
HR_DEVICE_DESCR = "1.3.6.1.2.1.25.3.2.1.3"  # HOST-RESOURCES-MIB::hrDeviceDescr
HR_DEVICE_PRINTER = "1.3.6.1.2.1.25.3.1.5"  # HOST-RESOURCES-TYPES::hrDevicePrinter
PRINTER_COLUMNS = (PRT_SERIAL, PRT_COUNTER_UNIT, PRT_LIFE_COUNT, HR_DEVICE_TYPE, HR_DEVICE_DESCR)

# ENTITY-MIB PhysicalClass (RFC 6933)
PHYSICAL_CLASSES = {1: "other", 2: "unknown", 3: "chassis", 4: "backplane", 5: "container", 6: "powerSupply",
                    7: "fan", 8: "sensor", 9: "module", 10: "port", 11: "stack", 12: "cpu", 13: "energyObject",
                    14: "battery", 15: "storageDrive"}
KEPT_CLASSES = frozenset({"chassis", "module", "powerSupply", "fan", "stack", "cpu", "battery", "storageDrive"})
# IANA-PRINTER-MIB PrtMarkerCounterUnitTC
COUNTER_UNITS = {3: "tenThousandthsOfInches", 4: "micrometers", 5: "characters", 6: "lines", 7: "impressions",
                 8: "sheets", 9: "dotRow", 11: "hours", 16: "feet", 17: "meters"}

# The software version in sysDescr, most specific pattern first; the text each was written
# against (recordings of snmpsim-data) beside it. No match: None, never a guess.
VERSION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "VRP (R) software,Version 5.160 (S5720 V200R007C00SPC500)"
    ("huawei-vrp", re.compile(r"Version (\d[\w.]*) \((?:\S+ )?(V\d{3}R\d{3}\w*)\)")),
    # "Software Version 7.1.075, Release 7751P01", "Software Version 5.20, Release 1513P62"
    ("comware", re.compile(r"Version (\d[\w.]*), Release (\w+)")),
    # "kernel JUNOS 16.1R6.7, Build date"
    ("junos", re.compile(r"JUNOS (\d[\w.\-]*)")),
    # "Arista Networks EOS version 4.20.5F running on"
    ("eos", re.compile(r"EOS version (\S+)")),
    # "ProCurve ... 6120XG Blade Switch, revision Z.14.31, ROM Z.14.09"
    ("procurve", re.compile(r"revision ([A-Z]+\.\d[\w.]*)")),
    # "Version 12.2(55)SE3," (Cisco IOS), "Version: V1.01.10.B19P06," (ZTE), "SoftWare Version 7.0.3.1(B0232.0031)"
    ("generic", re.compile(r"[Vv]ersion:?\s+(V?\d[\w.()\-]*)")),
)


def version_from_descr(descr: str | None) -> str | None:
    for _name, pattern in VERSION_PATTERNS:
        match = pattern.search(descr or "")
        if match:
            return " ".join(g for g in match.groups() if g)
    return None


@dataclass(frozen=True)
class SnmpSample:
    system: Mapping[str, Any] = field(default_factory=dict)
    entity: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    printer: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)  # part -> why it could not be walked


async def fetch(target: Any, io: Any) -> SnmpSample:
    """One device: system scalars, entPhysicalTable, the Printer-MIB columns (unreachable: ``SnmpError``)."""
    from collectors.base import FetchError
    from collectors.snmp.client import SnmpError, SnmpTimeout, open_client

    if target.snmp is None:
        raise FetchError("no SNMP credentials in the inventory for this device")
    errors: dict[str, str] = {}
    async with open_client(target.address, target.snmp, io.resolve_secret) as snmp:
        system = await snmp.get([SYS_DESCR, SYS_OBJECT_ID, SYS_NAME])
        walked: dict[str, dict[str, dict[str, Any]]] = {}
        for part, columns in (("entity", list(ENT_COLUMNS.values())), ("printer", list(PRINTER_COLUMNS))):
            try:
                walked[part] = await snmp.walk(columns, max_rows=5000)
            except SnmpTimeout:
                raise
            except SnmpError as exc:  # a broken table is that part's gap; the rest still counts
                walked[part], errors[part] = {}, str(exc)
    return SnmpSample(system, walked["entity"], walked["printer"], errors)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.replace(b"\x00", b"").decode("utf-8", "replace")
    return clean(value) if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def components(entity: Mapping[str, Mapping[str, Any]]) -> tuple[Component, ...]:
    cols = {name: entity.get(oid, {}) for name, oid in ENT_COLUMNS.items()}
    indexes = sorted({i for column in cols.values() for i in column if i.isdigit()}, key=int)
    found = []
    for i in indexes:
        klass = PHYSICAL_CLASSES.get(_int(cols["klass"].get(i)) or 0, "unknown")
        serial = _text(cols["serial"].get(i))
        if klass not in KEPT_CLASSES and serial is None:
            continue
        parent = _int(cols["contained_in"].get(i))
        position = _int(cols["position"].get(i))
        fru = _int(cols["fru"].get(i))
        found.append(Component(
            index=int(i), klass=klass, name=_text(cols["name"].get(i)), description=_text(cols["description"].get(i)),
            maker=_text(cols["maker"].get(i)), model=_text(cols["model"].get(i)), serial=serial,
            hardware_rev=_text(cols["hardware_rev"].get(i)), firmware_rev=_text(cols["firmware_rev"].get(i)),
            software_rev=_text(cols["software_rev"].get(i)), contained_in=parent or None,
            position=position if position is not None and position >= 0 else None,
            fru=None if fru not in (1, 2) else fru == 1))  # TruthValue: 1 true, 2 false
    return tuple(found)


def _chassis(parts: tuple[Component, ...]) -> Component | None:
    chassis = [c for c in parts if c.klass == "chassis"]
    top = [c for c in chassis if c.contained_in is None or c.contained_in not in {p.index for p in chassis}]
    return (top or chassis or [None])[0]


def parse(sample: SnmpSample, captured_at: datetime) -> AssetSnapshot:
    gaps = [Gap(part, why) for part, why in sorted(sample.errors.items())]
    descr = _text(sample.system.get(SYS_DESCR))
    object_id = sample.system.get(SYS_OBJECT_ID)
    network = NetworkInfo(sys_descr=descr, sys_object_id=object_id if isinstance(object_id, str) else None,
                          sys_name=_text(sample.system.get(SYS_NAME)), version=version_from_descr(descr))
    if descr is None:
        gaps.append(Gap("sysDescr", "the device did not answer sysDescr.0"))
    parts = components(sample.entity)
    if not any(sample.entity.values()) and "entity" not in sample.errors:
        gaps.append(Gap("components", "no ENTITY-MIB entPhysicalTable on this device"))
    chassis = _chassis(parts)
    p = sample.printer
    serials = {i: s for i, v in p.get(PRT_SERIAL, {}).items() if (s := _text(v))}
    counts = p.get(PRT_LIFE_COUNT, {})
    is_printer = bool(serials or counts) or HR_DEVICE_PRINTER in p.get(HR_DEVICE_TYPE, {}).values()
    counters = []
    for index, count in counts.items():
        if _int(count) is None or _int(count) < 0:  # type: ignore[operator]
            continue
        marker = int(index.rsplit(".", 1)[-1]) if index.rsplit(".", 1)[-1].isdigit() else 0
        unit = COUNTER_UNITS.get(_int(p.get(PRT_COUNTER_UNIT, {}).get(index)) or 0, "impressions")
        counters.append(PageCounter(marker=marker, count=int(count), unit=unit))
    printer_model = None
    if is_printer:
        types = p.get(HR_DEVICE_TYPE, {})
        printer_index = next((i for i, t in types.items() if t == HR_DEVICE_PRINTER), None)
        printer_model = _text(p.get(HR_DEVICE_DESCR, {}).get(printer_index)) if printer_index else None
        if not serials:
            gaps.append(Gap("printer serial", "no prtGeneralSerialNumber (Printer-MIB) on this printer"))
        if not counters:
            gaps.append(Gap("page counters", "no prtMarkerLifeCount (Printer-MIB) on this printer"))
    serial = next(iter(serials.values()), None)
    identity = Identity(maker=chassis.maker if chassis else None,
                        model=(chassis.model if chassis else None) or printer_model,
                        serial=(chassis.serial if chassis else None) or serial,
                        chassis=chassis.description if chassis else None)
    return AssetSnapshot(kind="printer" if is_printer else "network", source="snmp", captured_at=captured_at,
                         identity=identity, components=parts, network=network,
                         printer=PrinterInfo(serial=serial) if is_printer else None,
                         counters=tuple(counters), gaps=tuple(gaps))
