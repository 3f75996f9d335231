"""The asset model: canonical JSON, hashes, strict decoding of pushed snapshots."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from agent.assets.model import (AssetSnapshot, Component, Disk, Gap, Identity, MemoryModule, NetworkAdapter, PageCounter,
                                PrinterInfo, Software, SnapshotError, canonical_json, from_json, to_json)

AT = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)


def computer() -> AssetSnapshot:
    return AssetSnapshot(
        kind="computer", source="linux", captured_at=AT,
        identity=Identity(maker="Dell Inc.", model="OptiPlex 7070", serial="8XK2Q33", bios_date=date(2023, 5, 4)),
        memory=(MemoryModule("DIMM2", 8 * 2**30, 2666, "DDR4", "SK Hynix", "93A1B2C3", "HMA81GU6CJR8N-VK"),
                MemoryModule("DIMM1", 8 * 2**30, 2666, "DDR4", "Samsung", "3A1B2C3D", "M378A1K43CB2-CTD")),
        disks=(Disk("sda", "Samsung SSD 860 EVO 500GB", "S3Z2NB0K123456A", 500107862016, "ssd", "sata", health="passed"),),
        adapters=(NetworkAdapter("eth0", "00:11:22:33:44:55", ("fe80::1/64", "192.0.2.10/24"), "ethernet"),),
        software=(Software("zlib1g", "1:1.2.13", source="dpkg"), Software("bash", "5.2.15-2", source="dpkg")),
        gaps=(Gap("monitors", "no DRM connectors"),),
    )


def test_canonical_order_does_not_depend_on_capture_order():
    a = computer()
    b = replace(a, memory=tuple(reversed(a.memory)), software=tuple(reversed(a.software)),
                adapters=(replace(a.adapters[0], ips=tuple(reversed(a.adapters[0].ips))),))
    assert canonical_json(a) == canonical_json(b)
    assert a.content_hash() == b.content_hash()
    assert [m["slot"] for m in to_json(a)["memory"]] == ["DIMM1", "DIMM2"]


def test_volatile_fields_are_outside_the_content_hash():
    a = computer()
    later = replace(a, captured_at=datetime(2026, 12, 7, tzinfo=timezone.utc), gaps=())
    assert later.content_hash() == a.content_hash()
    printer = AssetSnapshot(kind="printer", source="snmp", captured_at=AT, printer=PrinterInfo("CNB1234567"),
                            counters=(PageCounter(1, 1000),))
    assert replace(printer, counters=(PageCounter(1, 1250),)).content_hash() == printer.content_hash()
    assert replace(printer, printer=PrinterInfo("CNB7654321")).content_hash() != printer.content_hash()


def test_hardware_hash_ignores_software_but_content_hash_does_not():
    a = computer()
    b = replace(a, software=a.software[:1])
    assert a.hardware_hash() == b.hardware_hash()
    assert a.content_hash() != b.content_hash()
    swapped = replace(a, memory=(replace(a.memory[0], serial="FFFF0000"), a.memory[1]))
    assert swapped.hardware_hash() != a.hardware_hash()


def test_json_round_trip():
    a = computer()
    back = from_json(json.loads(canonical_json(a)))
    assert canonical_json(back) == canonical_json(a)
    assert back.identity.bios_date == date(2023, 5, 4)
    assert back.memory_bytes == 16 * 2**30
    c = AssetSnapshot(kind="network", source="snmp", captured_at=AT,
                      components=(Component(1, "chassis", "1", model="WS-C2960-24TT-L", serial="FOC1234X0AB"),
                                  Component(2, "powerSupply", contained_in=1)))
    assert from_json(to_json(c)) == replace(c, components=tuple(sorted(c.components, key=lambda x: x.key)))


@pytest.mark.parametrize("path, value, message", [
    (("kind",), "toaster", "snapshot.kind: 'toaster' is not one of"),
    (("disks", 0, "size_bytes"), "500G", "snapshot.disks[0].size_bytes: expected a 64-bit integer"),
    (("disks", 0, "size_bytes"), True, "snapshot.disks[0].size_bytes: expected a 64-bit integer"),
    (("disks", 0, "size_bytes"), 2**64, "snapshot.disks[0].size_bytes: expected a 64-bit integer"),
    (("identity", "serial"), "x" * 5000, "snapshot.identity.serial: text of 5000 characters"),
    (("identity", "bios_date"), "05/04/2023", "snapshot.identity.bios_date: expected an ISO date"),
    (("captured_at",), "2026-12-06T08:00:00", "snapshot.captured_at: expected an ISO date-time with a zone"),
    (("memory",), {"slot": "x"}, "snapshot.memory: expected a list"),
    (("adapters", 0, "ips", 0), 17, "snapshot.adapters[0].ips[0]: expected text"),
    (("schema",), 99, "snapshot.schema: version 99 is not supported"),
])
def test_bad_snapshots_name_the_field(path, value, message):
    data = to_json(computer())
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(SnapshotError) as err:
        from_json(data)
    assert message in str(err.value)


def test_unknown_fields_and_non_objects_are_refused():
    data = to_json(computer())
    data["identity"]["colour"] = "black"
    with pytest.raises(SnapshotError, match=r"snapshot.identity: unknown field 'colour'"):
        from_json(data)
    with pytest.raises(SnapshotError, match="snapshot: expected an object"):
        from_json([1, 2])
    with pytest.raises(SnapshotError, match="snapshot: field 'source' is missing"):
        from_json({"kind": "computer"})
    data = to_json(computer())
    del data["disks"][0]["name"]
    with pytest.raises(SnapshotError, match=r"snapshot.disks\[0\]: field 'name' is missing"):
        from_json(data)
