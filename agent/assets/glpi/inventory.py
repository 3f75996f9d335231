"""The archive as GLPI native inventory JSON, validated against GLPI's published schema.

One document per asset, as the GLPI agent sends it (``action``/``deviceid``/``itemtype``/
``content``), so GLPI's inventory endpoint or its "import from file" takes it as it is:

- computers: ``itemtype: Computer``, ``content.hardware``, ``bios``, ``cpus``, ``memories``,
  ``storages``, ``networks`` (one entry per address, as the GLPI agent does), ``monitors``,
  ``operatingsystem``, ``softwares``;
- network devices and printers: ``action: netinventory``, ``itemtype: NetworkEquipment`` or
  ``Printer``, ``content.network_device``, ``network_components`` (ENTITY-MIB),
  ``firmwares``, ``pagecounters`` (printers).

Units follow the schema: sizes in MB (memories.capacity, storages.disksize, hardware.memory),
speeds in MHz, dates ``YYYY-MM-DD``. Typed-in values win over captured ones (join.py): the
serial GLPI receives is the one on the label. An asset never captured still gets a document
(name, serial, asset tag), so the whole 台账 reaches GLPI.

Every document is validated against ``inventory.schema.json`` (vendored, see README.md)
before it is returned: a document GLPI would refuse is an error here, naming the asset and
the field.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from typing import Any

from agent.assets.archive import CounterReading
from agent.assets.join import ArchiveEntry
from agent.assets.model import AssetSnapshot

MB = 1024 * 1024
_NETWORK_TYPES = {"ethernet": "ethernet", "wireless": "wifi", "wifi": "wifi", "loopback": "loopback",
                  "bridge": "bridge", "infiniband": "infiniband", "aggregate": "aggregate"}
_ITEMTYPE = {"host": "Computer", "computer": "Computer", "network_device": "NetworkEquipment",
             "network": "NetworkEquipment", "printer": "Printer"}


class GlpiExportError(ValueError):
    """A document that does not validate against GLPI's inventory schema."""


@functools.cache
def schema() -> dict[str, Any]:
    text = resources.files("agent.assets.glpi").joinpath("inventory.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft7Validator(schema(), format_checker=jsonschema.FormatChecker())


def validate(document: dict[str, Any], asset_id: str) -> None:
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.absolute_path) or "(document)"
        raise GlpiExportError(f"GLPI inventory of {asset_id!r}: {where}: {first.message}"
                              + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))


def document(entry: ArchiveEntry, *, version: str, now: datetime,
             counters: Sequence[CounterReading] = ()) -> dict[str, Any]:
    """The validated GLPI inventory document of one archive entry."""
    snapshot = entry.snapshot
    kind = snapshot.kind if snapshot is not None else entry.kind
    itemtype = _ITEMTYPE.get(kind, "Computer")
    when = snapshot.captured_at if snapshot is not None else now
    content: dict[str, Any] = {"versionclient": f"Patrol-{version}"}
    if itemtype == "Computer":
        content.update(_computer(entry, snapshot))
    else:
        content.update(_device(entry, snapshot, itemtype, counters))
    doc = {
        "action": "inventory" if itemtype == "Computer" else "netinventory",
        "deviceid": f"{entry.asset_id}-{when:%Y-%m-%d-%H-%M-%S}",
        "itemtype": itemtype,
        "content": content,
    }
    validate(doc, entry.asset_id)
    return doc


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Without None values (the schema has no nulls) and with text where the schema wants text."""
    return {k: v for k, v in data.items() if v is not None and v != ""}


def _mb(value: int | None) -> int | None:
    return None if value is None else value // MB


def _computer(entry: ArchiveEntry, s: AssetSnapshot | None) -> dict[str, Any]:
    ident = s.identity if s is not None else None
    out: dict[str, Any] = {
        "hardware": _clean({"name": entry.asset_id, "uuid": ident.uuid if ident else None,
                            "memory": _mb(s.memory_bytes) if s is not None else None,
                            "chassis_type": ident.chassis if ident else None}),
        "bios": _clean({
            "smanufacturer": entry.value("maker"), "smodel": entry.value("model"), "ssn": entry.value("serial"),
            "assettag": entry.typed.get("number"), "skunumber": ident.sku if ident else None,
            "mmanufacturer": ident.board_maker if ident else None, "mmodel": ident.board_model if ident else None,
            "msn": ident.board_serial if ident else None, "bmanufacturer": ident.bios_vendor if ident else None,
            "bversion": ident.bios_version if ident else None,
            "bdate": ident.bios_date.isoformat() if ident and ident.bios_date else None}),
    }
    if s is None:
        return {k: v for k, v in out.items() if v}
    out["cpus"] = [_clean({"name": c.model, "model": c.model, "core": c.cores, "thread": c.threads, "speed": c.max_mhz,
                           "manufacturer": _cpu_maker(c.model)}) for c in s.cpus]
    out["memories"] = [_clean({"caption": m.slot, "description": m.slot, "capacity": _mb(m.size_bytes),
                               "speed": str(m.speed_mts) if m.speed_mts is not None else None, "type": m.type,
                               "manufacturer": m.maker, "serialnumber": m.serial, "model": m.part_number})
                       for m in s.memory]
    out["storages"] = [_clean({"name": d.name, "model": d.model, "serial": d.serial, "disksize": _mb(d.size_bytes),
                               "type": d.type if d.type != "unknown" else None, "interface": _interface(d.bus),
                               "firmware": d.firmware, "description": d.model}) for d in s.disks]
    out["networks"] = [n for a in s.adapters for n in _networks(a)]
    # no "port": the schema (inventory_format 37c1708) wants an integer there, and Patrol knows the
    # connector by name (HDMI-A-1, DISPLAY1), not by number
    out["monitors"] = [_clean({"manufacturer": m.maker, "caption": m.model, "name": m.model, "serial": m.serial})
                       for m in s.monitors]
    if s.os is not None:
        o = s.os
        out["operatingsystem"] = _clean({
            "name": o.name, "full_name": " ".join(x for x in (o.name, o.edition) if x) or None,
            "version": o.version, "kernel_version": o.build, "arch": o.architecture})
    out["softwares"] = [_clean({"name": p.name, "version": p.version, "publisher": p.publisher,
                                "install_date": p.installed_on.isoformat() if p.installed_on else None,
                                "from": p.source or None}) for p in s.software]
    return {k: v for k, v in out.items() if v}


# storages.interface as the schema's pattern allows; NVMe and others are left out (the schema
# at inventory_format 37c1708 has no value for them)
_INTERFACES = frozenset({"SCSI", "HDC", "IDE", "USB", "1394", "SATA", "SAS", "ATAPI"})


def _interface(bus: str | None) -> str | None:
    return bus.upper() if bus and bus.upper() in _INTERFACES else None


def _cpu_maker(model: str) -> str | None:
    lowered = model.lower()
    for word, maker in (("intel", "Intel"), ("amd", "AMD"), ("arm", "ARM"), ("apple", "Apple"), ("hygon", "Hygon"),
                        ("zhaoxin", "Zhaoxin"), ("loongson", "Loongson"), ("phytium", "Phytium"),
                        ("kunpeng", "HiSilicon")):
        if word in lowered:
            return maker
    return None


def _networks(adapter: Any) -> list[dict[str, Any]]:
    base = _clean({"description": adapter.name, "mac": adapter.mac,
                   "type": _NETWORK_TYPES.get((adapter.kind or "").lower()),
                   "virtualdev": True if (adapter.kind or "").lower() == "virtual" else None,
                   "speed": str(adapter.speed_mbps) if adapter.speed_mbps is not None else None})
    entries = []
    for text in adapter.ips:
        try:
            iface = ipaddress.ip_interface(text)
        except ValueError:
            continue  # not an address: left out rather than refused by GLPI
        if iface.version == 4:
            entries.append({**base, "ipaddress": str(iface.ip), "ipmask": str(iface.netmask),
                            "ipsubnet": str(iface.network.network_address)})
        else:
            entries.append({**base, "ipaddress6": str(iface.ip), "ipmask6": str(iface.netmask),
                            "ipsubnet6": str(iface.network.network_address)})
    return entries or [base]


def _device(entry: ArchiveEntry, s: AssetSnapshot | None, itemtype: str,
            counters: Sequence[CounterReading]) -> dict[str, Any]:
    ident = s.identity if s is not None else None
    network = s.network if s is not None else None
    ips = []
    if entry.address:
        try:
            ips = [str(ipaddress.ip_address(entry.address))]
        except ValueError:
            ips = []  # a host name: GLPI wants addresses here
    out: dict[str, Any] = {"network_device": _clean({
        "type": "Printer" if itemtype == "Printer" else "Networking",
        "name": (network.sys_name if network and network.sys_name else None) or entry.asset_id,
        "manufacturer": entry.value("maker"), "model": entry.value("model"), "serial": entry.value("serial"),
        "firmware": network.version if network else None, "description": network.sys_descr if network else None,
        "location": entry.typed.get("location"),  # the schema has no asset tag for devices
        "contact": entry.typed.get("user"), "ips": ips or None})}
    if s is None:
        return {k: v for k, v in out.items() if v}
    out["network_components"] = [_clean({
        "index": c.index, "type": c.klass, "name": c.name, "description": c.description, "manufacturer": c.maker,
        "model": c.model, "serial": c.serial, "firmware": c.firmware_rev, "contained_index": c.contained_in,
        "fru": None if c.fru is None else int(c.fru)}) for c in s.components]
    if network is not None and network.version:
        out["firmwares"] = [_clean({"name": (ident.model if ident else None) or entry.asset_id, "type": "system",
                                    "version": network.version, "manufacturer": entry.value("maker")})]
    if itemtype == "Printer" and counters:
        latest: dict[int, CounterReading] = {}
        for reading in counters:
            latest[reading.marker] = reading  # oldest first: the last one wins
        out["pagecounters"] = {"total": sum(r.count for r in latest.values())}
    return {k: v for k, v in out.items() if v}
