"""SMBIOS on Linux: the kernel's /sys/class/dmi/id files and ``dmidecode`` output.

/sys/class/dmi/id (one value per file; ``*_serial`` and ``product_uuid`` are readable by
root only, so an agent running as a user reads everything but those)::

    sys_vendor        Dell Inc.
    product_name      OptiPlex 7070
    product_serial    8XK2Q33            (mode 0400)
    bios_date         05/04/2023

``dmidecode -t 0,1,2,3,17`` (root only: it reads /sys/firmware/dmi/tables)::

    Handle 0x1100, DMI type 17, 40 bytes
    Memory Device
    	Size: 8192 MB
    	Locator: PROC  1 DIMM  1
    	Type: DDR3
    	Speed: 1333 MHz
    	Manufacturer: HP
    	Serial Number: Not Specified
    	Part Number: 647650-071

dmidecode wins over sysfs where both give a value (it has the serials); sysfs fills the
rest. Memory modules exist only in dmidecode (type 17).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from agent.assets.capture.text import clean
from agent.assets.model import Identity, MemoryModule

DMI_ID = "/sys/class/dmi/id"
DMI_FILES = ("sys_vendor", "product_name", "product_version", "product_serial", "product_uuid", "product_sku",
             "product_family", "chassis_type", "board_vendor", "board_name", "board_serial", "bios_vendor",
             "bios_version", "bios_date")
DMIDECODE = ("dmidecode", "-t", "0,1,2,3,17")

# Makers whose Product Name is a machine-type code and whose Version holds the model name
# (a ThinkPad's product_name is "20HRCTO1WW", its product_version "ThinkPad X1 Carbon 5th").
VERSION_NAMES_MODEL = frozenset({"lenovo"})

# SMBIOS 3.x, 7.4.1 System Enclosure or Chassis Types (sysfs chassis_type gives the number).
CHASSIS_TYPES = {1: "Other", 2: "Unknown", 3: "Desktop", 4: "Low Profile Desktop", 5: "Pizza Box", 6: "Mini Tower",
                 7: "Tower", 8: "Portable", 9: "Laptop", 10: "Notebook", 11: "Hand Held", 12: "Docking Station",
                 13: "All in One", 14: "Sub Notebook", 15: "Space-saving", 16: "Lunch Box", 17: "Main Server Chassis",
                 18: "Expansion Chassis", 19: "SubChassis", 20: "Bus Expansion Chassis", 21: "Peripheral Chassis",
                 22: "RAID Chassis", 23: "Rack Mount Chassis", 24: "Sealed-case PC", 25: "Multi-system chassis",
                 26: "Compact PCI", 27: "Advanced TCA", 28: "Blade", 29: "Blade Enclosure", 30: "Tablet",
                 31: "Convertible", 32: "Detachable", 33: "IoT Gateway", 34: "Embedded PC", 35: "Mini PC", 36: "Stick PC"}


@dataclass(frozen=True, slots=True)
class DmiRecord:
    type: int
    name: str  # "Memory Device"
    fields: Mapping[str, str]


def parse_dmidecode(text: str) -> tuple[DmiRecord, ...]:
    """The records of ``dmidecode`` output (list-valued fields such as Characteristics are skipped).

    dmidecode indents fields with one tab and list items with two; copies that went through
    an editor use spaces, so a record's fields are its least indented lines."""
    records: list[DmiRecord] = []
    kind: int | None = None
    name = ""
    fields: dict[str, str] = {}
    field_indent = 0
    for raw in text.splitlines():
        line = raw.expandtabs(8)
        header = re.match(r"^Handle 0x[0-9A-Fa-f]+, DMI type (\d+),", line)
        if header:
            if kind is not None:
                records.append(DmiRecord(kind, name, fields))
            kind, name, fields, field_indent = int(header.group(1)), "", {}, 0
            continue
        if kind is None or not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            name = name or line.strip()
            continue
        field_indent = field_indent or indent
        if indent == field_indent and ":" in line:
            key, _, value = line.strip().partition(":")
            fields[key.strip()] = value.strip()
    if kind is not None:
        records.append(DmiRecord(kind, name, fields))
    return tuple(records)


def parse_dmi_date(text: str | None) -> date | None:
    """SMBIOS dates are MM/DD/YYYY (a two-digit year on old boards: 19xx before 1998 did not ship SMBIOS 2.3)."""
    if not text:
        return None
    for fmt in ("%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _size_bytes(text: str | None) -> int | None:
    """dmidecode's module size: "8192 MB", "16 GB", "No Module Installed", "Not Installed"."""
    match = re.match(r"^(\d+)\s*(bytes|kB|KB|MB|GB|TB)$", (text or "").strip())
    if not match:
        return None
    unit = {"bytes": 0, "kB": 1, "KB": 1, "MB": 2, "GB": 3, "TB": 4}[match.group(2)]
    return int(match.group(1)) * 1024 ** unit


def _speed(text: str | None) -> int | None:
    match = re.match(r"^(\d+)\s*(MT/s|MHz)$", (text or "").strip())
    return int(match.group(1)) if match else None


# JEP106 manufacturer codes as SMBIOS type 17 gives them when the firmware does not name
# the maker: "<bank><id>" in hex, the bank being the number of 0x7F continuation codes, each
# byte with an odd-parity bit 7 that is dropped here: "80CE" and "00CE00B300CE" are Samsung,
# "0198" Kingston, "04CB" A-DATA, "832500008325" Kingmax. Keys are (continuation codes, code
# without parity) exactly as memtest86+'s system/jedec_id.h writes them ("{ 0x0325, "Kingmax" }",
# github.com/memtest86plus/memtest86plus at 0f8981412c49, based on JEP106-BA, January 2022);
# only makers of memory modules are listed. An unknown code stays as it is, never a guess.
JEDEC_MAKERS = {
    (0x00, 0x2C): "Micron", (0x00, 0x2D): "SK Hynix", (0x00, 0x4E): "Samsung",
    (0x01, 0x18): "Kingston", (0x01, 0x3A): "PNY", (0x01, 0x4F): "Transcend", (0x01, 0x7A): "Apacer",
    (0x02, 0x1E): "Corsair", (0x02, 0x7E): "Elpida",
    (0x03, 0x0B): "Nanya", (0x03, 0x13): "GeIL", (0x03, 0x25): "Kingmax",
    (0x04, 0x43): "Ramaxel", (0x04, 0x4B): "A-DATA", (0x04, 0x4D): "G.Skill", (0x04, 0x6F): "Team Group",
    (0x05, 0x02): "Patriot", (0x05, 0x1B): "Crucial",
    (0x07, 0x46): "Gloway", (0x08, 0x12): "Galaxy", (0x08, 0x13): "Gloway", (0x08, 0x48): "Lenovo",
    (0x08, 0x71): "Asgard", (0x08, 0x75): "JUHOR", (0x09, 0x6C): "Colorful", (0x09, 0x77): "Netac",
    (0x0A, 0x02): "KingSpec", (0x0A, 0x11): "CXMT", (0x0B, 0x12): "Kingbank",
}


def memory_maker(text: str | None) -> str | None:
    """The module maker's name: as given, or decoded from a JEP106 code; an unknown code stays as it is."""
    maker = clean(text)
    if maker and re.fullmatch(r"[0-9A-Fa-f]{4}([0-9A-Fa-f]{4})*", maker):
        bank, ident = int(maker[0:2], 16) & 0x7F, int(maker[2:4], 16) & 0x7F
        return JEDEC_MAKERS.get((bank, ident), maker)
    return maker


def memory_modules(records: tuple[DmiRecord, ...]) -> tuple[MemoryModule, ...]:
    """Installed modules (type 17 with a size); empty slots are left out."""
    modules = []
    for rec in records:
        if rec.type != 17:
            continue
        size = _size_bytes(rec.fields.get("Size"))
        if not size:
            continue
        slot = clean(rec.fields.get("Locator")) or clean(rec.fields.get("Bank Locator")) or f"module {len(modules) + 1}"
        modules.append(MemoryModule(
            slot=slot, size_bytes=size,
            speed_mts=_speed(rec.fields.get("Configured Memory Speed")) or _speed(rec.fields.get("Configured Clock Speed"))
            or _speed(rec.fields.get("Speed")),
            type=clean(rec.fields.get("Type")), maker=memory_maker(rec.fields.get("Manufacturer")),
            serial=clean(rec.fields.get("Serial Number")), part_number=clean(rec.fields.get("Part Number")),
            bank=clean(rec.fields.get("Bank Locator"))))
    return tuple(modules)


def _first(records: tuple[DmiRecord, ...], kind: int) -> Mapping[str, str]:
    return next((r.fields for r in records if r.type == kind), {})


def identity(sysfs: Mapping[str, str], records: tuple[DmiRecord, ...], uefi: bool | None) -> Identity:
    """System, board and firmware identity from dmidecode records, sysfs filling the gaps."""
    bios, system, board, chassis = (_first(records, k) for k in (0, 1, 2, 3))

    def pick(record: Mapping[str, str], field: str, sysfs_name: str) -> str | None:
        return clean(record.get(field)) or clean(sysfs.get(sysfs_name))

    maker = pick(system, "Manufacturer", "sys_vendor")
    model = pick(system, "Product Name", "product_name")
    version = pick(system, "Version", "product_version")
    if maker and version and maker.casefold().split()[0] in VERSION_NAMES_MODEL:
        model = f"{version} ({model})" if model else version
    chassis_type = clean(chassis.get("Type"))
    if chassis_type is None and (number := sysfs.get("chassis_type", "").strip()).isdigit():
        chassis_type = CHASSIS_TYPES.get(int(number))
    uuid = pick(system, "UUID", "product_uuid")
    return Identity(
        maker=maker, model=model, serial=pick(system, "Serial Number", "product_serial"),
        uuid=uuid.lower() if uuid else None, sku=pick(system, "SKU Number", "product_sku"), chassis=chassis_type,
        board_maker=pick(board, "Manufacturer", "board_vendor"), board_model=pick(board, "Product Name", "board_name"),
        board_serial=pick(board, "Serial Number", "board_serial"), bios_vendor=pick(bios, "Vendor", "bios_vendor"),
        bios_version=pick(bios, "Version", "bios_version"),
        bios_date=parse_dmi_date(clean(bios.get("Release Date")) or clean(sysfs.get("bios_date"))),
        firmware=None if uefi is None else ("uefi" if uefi else "bios"))
