"""Capture on a Windows agent: one PowerShell run of CIM queries, printed as one JSON object.

Output of SCRIPT (``ConvertTo-Json -Depth 5 -Compress``; each class is a list of objects
with the selected properties; a query that failed is in Errors with its message)::

    {"Firmware": "UEFI",
     "Classes": {"ComputerSystem": [{"Manufacturer": "Dell Inc.", "Model": "OptiPlex 3040", "SystemSKUNumber": "06B9"}],
                 "PhysicalMemory": [{"BankLabel": "BANK 0", "DeviceLocator": "ChannelA-DIMM0", "Capacity": 8589934592, ...}],
                 "OperatingSystem": [{"Caption": "Microsoft Windows 10 专业版", "Version": "10.0.16299",
                                      "BuildNumber": "16299", "OSArchitecture": "64 位", "OperatingSystemSKU": 48}],
                 ...},
     "Errors": {"MonitorID": "不支持"}}

Classes read: Win32_ComputerSystem, Win32_ComputerSystemProduct, Win32_BIOS, Win32_BaseBoard,
Win32_SystemEnclosure, Win32_Processor, Win32_PhysicalMemory, Win32_DiskDrive with
MSFT_PhysicalDisk (health; Windows 8 / Server 2012 and later), Win32_NetworkAdapterConfiguration
(IP-enabled adapters), WmiMonitorID (root/wmi: EDID maker, product, serial), Win32_OperatingSystem,
SoftwareLicensingProduct (the Windows licence) and the Uninstall registry keys.

Localized text stays as Windows gives it (Caption "Microsoft Windows 10 专业版"); what is
compared or shown as a fact comes from numbers where Windows has them (OperatingSystemSKU
for the edition, LicenseStatus, HealthStatus, BusType, SMBIOSMemoryType), so a zh-CN machine
reads like an en-US one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from agent.assets.capture.dmi import CHASSIS_TYPES, VERSION_NAMES_MODEL, memory_maker
from agent.assets.capture.text import as_int, clean, ip_interface
from agent.assets.model import (AssetSnapshot, Cpu, Disk, DiskType, Gap, Health, Identity, MemoryModule, Monitor,
                                NetworkAdapter, OperatingSystem, Software)
from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.platforms.windows.powershell import as_objects, decode_json, parse_ps_date, ps_quote, run_powershell
from collectors.platforms.windows.software import uninstall_rows

WHAT = "asset CIM queries"
WINDOWS_APPLICATION_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"  # SoftwareLicensingProduct.ApplicationID of Windows

# (key in the output, PowerShell pipeline); each runs on its own so one failing class is a gap.
QUERIES: tuple[tuple[str, str], ...] = (
    ("ComputerSystem", "Get-CimInstance Win32_ComputerSystem | Select-Object Manufacturer,Model,SystemSKUNumber"),
    ("ComputerSystemProduct", "Get-CimInstance Win32_ComputerSystemProduct | Select-Object IdentifyingNumber,UUID,Vendor,Name,Version"),
    ("BIOS", "Get-CimInstance Win32_BIOS | Select-Object Manufacturer,SMBIOSBIOSVersion,ReleaseDate,SerialNumber"),
    ("BaseBoard", "Get-CimInstance Win32_BaseBoard | Select-Object Manufacturer,Product,SerialNumber"),
    ("SystemEnclosure", "Get-CimInstance Win32_SystemEnclosure | Select-Object ChassisTypes,SerialNumber"),
    ("Processor", "Get-CimInstance Win32_Processor | Select-Object Name,SocketDesignation,NumberOfCores,"
                  "NumberOfLogicalProcessors,MaxClockSpeed"),
    ("PhysicalMemory", "Get-CimInstance Win32_PhysicalMemory | Select-Object BankLabel,DeviceLocator,Capacity,Speed,"
                       "ConfiguredClockSpeed,Manufacturer,SerialNumber,PartNumber,SMBIOSMemoryType"),
    ("DiskDrive", "Get-CimInstance Win32_DiskDrive | Select-Object Index,DeviceID,Model,SerialNumber,Size,InterfaceType,"
                  "FirmwareRevision,MediaType,Status"),
    ("PhysicalDisk", "Get-CimInstance -Namespace root/Microsoft/Windows/Storage -ClassName MSFT_PhysicalDisk | "
                     "Select-Object DeviceId,FriendlyName,SerialNumber,Size,MediaType,BusType,HealthStatus,FirmwareVersion"),
    ("NetworkAdapterConfiguration", "Get-CimInstance Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=True' | "
                                    "Select-Object Index,Description,MACAddress,IPAddress,IPSubnet"),
    ("MonitorID", "Get-CimInstance -Namespace root/wmi -ClassName WmiMonitorID | Select-Object InstanceName,"
                  "ManufacturerName,ProductCodeID,SerialNumberID,UserFriendlyName,YearOfManufacture"),
    ("OperatingSystem", "Get-CimInstance Win32_OperatingSystem | Select-Object Caption,Version,BuildNumber,OSArchitecture,"
                        "OperatingSystemSKU,ProductType"),
    ("Licensing", "Get-CimInstance SoftwareLicensingProduct -Filter "
                  + ps_quote(f"ApplicationID='{WINDOWS_APPLICATION_ID}' AND PartialProductKey IS NOT NULL")
                  + " | Select-Object Name,Description,LicenseStatus"),
    ("Software", uninstall_rows("DisplayName,DisplayVersion,Publisher,InstallDate") + "$rows"),
)
SCRIPT = (
    "$ErrorActionPreference = 'Stop'; $c = [ordered]@{}; $e = [ordered]@{}; "
    + "".join(f"try {{ $c[{ps_quote(key)}] = @({query}) }} catch {{ $e[{ps_quote(key)}] = $_.Exception.Message }}; "
              for key, query in QUERIES)
    + "[pscustomobject]@{Firmware=$env:firmware_type; Classes=$c; Errors=$e} | ConvertTo-Json -Depth 5 -Compress"
)

# Win32_OperatingSystem.OperatingSystemSKU (learn.microsoft.com, Win32_OperatingSystem):
# the edition in words whatever the display language.
EDITIONS = {1: "Ultimate", 2: "Home Basic", 3: "Home Premium", 4: "Enterprise", 6: "Business", 7: "Server Standard",
            8: "Server Datacenter", 10: "Server Enterprise", 11: "Starter", 12: "Server Datacenter (core)",
            13: "Server Standard (core)", 14: "Server Enterprise (core)", 27: "Enterprise N", 48: "Professional",
            49: "Professional N", 50: "Server Essentials", 72: "Enterprise Evaluation", 79: "Server Standard Evaluation",
            80: "Server Datacenter Evaluation", 98: "Home N", 99: "Home China", 100: "Home Single Language",
            101: "Home", 121: "Education", 122: "Education N", 125: "Enterprise LTSC", 126: "Enterprise N LTSC",
            161: "Pro for Workstations", 162: "Pro for Workstations N", 164: "Pro Education", 175: "Enterprise multi-session"}
# SoftwareLicensingProduct.LicenseStatus
LICENCE_STATUS = {0: "unlicensed", 1: "licensed", 2: "out-of-box grace", 3: "out-of-tolerance grace",
                  4: "non-genuine grace", 5: "notification", 6: "extended grace"}
# SMBIOS type 17 Memory Type, as Win32_PhysicalMemory.SMBIOSMemoryType gives it
MEMORY_TYPES = {18: "DDR", 19: "DDR2", 20: "DDR", 21: "DDR2", 22: "DDR2 FB-DIMM", 24: "DDR3", 26: "DDR4", 27: "LPDDR",
                28: "LPDDR2", 29: "LPDDR3", 30: "LPDDR4", 34: "DDR5", 35: "LPDDR5"}
# MSFT_PhysicalDisk.HealthStatus / BusType / MediaType
DISK_HEALTH = {0: "Healthy", 1: "Warning", 2: "Unhealthy", 5: "Unknown"}
MEDIA_TYPES = {0: "Unspecified", 3: "HDD", 4: "SSD", 5: "SCM"}
BUS_TYPES = {1: "SCSI", 2: "ATAPI", 3: "ATA", 4: "1394", 6: "Fibre Channel", 7: "USB", 8: "RAID", 9: "iSCSI",
             10: "SAS", 11: "SATA", 12: "SD", 13: "MMC", 14: "Virtual", 15: "File Backed Virtual",
             16: "Storage Spaces", 17: "NVMe"}


def fetch(io: CollectorIO, timeout: float = 120.0) -> CommandOutput:
    return run_powershell(io, SCRIPT, timeout=timeout, what=WHAT)


def _one(classes: Mapping[str, list[dict[str, Any]]], key: str) -> dict[str, Any]:
    rows = classes.get(key) or []
    return rows[0] if rows else {}


def _date(value: Any, what: str) -> date | None:
    """A DMTF datetime ("20140401000000.000000+000", wmic), /Date(ms)/ or ISO (ConvertTo-Json)."""
    if isinstance(value, str) and re.fullmatch(r"\d{14}\.\d{6}[+-]\d{3}", value.strip()):
        try:
            return datetime.strptime(value.strip()[:8], "%Y%m%d").date()
        except ValueError:
            return None
    try:
        moment = parse_ps_date(value, what)
    except ParseError:
        return None
    return moment.date() if moment else None


def _chars(value: Any) -> str | None:
    """WmiMonitorID's uint16 arrays: character codes padded with zeros."""
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return clean("".join(chr(v) for v in value if 0 < v < 0x110000))
    return clean(value) if isinstance(value, str) else None


def identity(classes: Mapping[str, list[dict[str, Any]]], firmware: Any) -> Identity:
    system, product, bios = _one(classes, "ComputerSystem"), _one(classes, "ComputerSystemProduct"), _one(classes, "BIOS")
    board, enclosure = _one(classes, "BaseBoard"), _one(classes, "SystemEnclosure")
    maker = clean(system.get("Manufacturer")) or clean(product.get("Vendor"))
    model = clean(system.get("Model")) or clean(product.get("Name"))
    version = clean(product.get("Version"))
    if maker and version and maker.casefold().split()[0] in VERSION_NAMES_MODEL:
        model = f"{version} ({model})" if model else version
    types = enclosure.get("ChassisTypes")
    first_type = as_int(types[0] if isinstance(types, list) and types else types)
    uuid = clean(product.get("UUID"))
    fw = clean(firmware)
    return Identity(
        maker=maker, model=model,
        serial=clean(bios.get("SerialNumber")) or clean(product.get("IdentifyingNumber")) or clean(enclosure.get("SerialNumber")),
        uuid=uuid.lower() if uuid and set(uuid.upper()) - set("0F-") else None,  # all zeros or all F: none
        sku=clean(system.get("SystemSKUNumber")),
        chassis=CHASSIS_TYPES.get(first_type) if first_type is not None else None,
        board_maker=clean(board.get("Manufacturer")), board_model=clean(board.get("Product")),
        board_serial=clean(board.get("SerialNumber")), bios_vendor=clean(bios.get("Manufacturer")),
        bios_version=clean(bios.get("SMBIOSBIOSVersion")), bios_date=_date(bios.get("ReleaseDate"), "Win32_BIOS.ReleaseDate"),
        firmware={"uefi": "uefi", "legacy": "bios"}.get((fw or "").lower()))


def cpus(rows: list[dict[str, Any]]) -> tuple[Cpu, ...]:
    return tuple(Cpu(model=clean(r.get("Name")) or "unknown processor", socket=clean(r.get("SocketDesignation")),
                     cores=as_int(r.get("NumberOfCores")), threads=as_int(r.get("NumberOfLogicalProcessors")),
                     max_mhz=as_int(r.get("MaxClockSpeed"))) for r in rows)


def memory(rows: list[dict[str, Any]]) -> tuple[MemoryModule, ...]:
    modules = []
    for number, r in enumerate(rows, 1):
        size = as_int(r.get("Capacity"))
        if not size:
            continue
        modules.append(MemoryModule(
            slot=clean(r.get("DeviceLocator")) or clean(r.get("BankLabel")) or f"module {number}", size_bytes=size,
            speed_mts=as_int(r.get("ConfiguredClockSpeed")) or as_int(r.get("Speed")),
            type=MEMORY_TYPES.get(as_int(r.get("SMBIOSMemoryType")) or 0), maker=memory_maker(r.get("Manufacturer")),
            serial=clean(r.get("SerialNumber")), part_number=clean(r.get("PartNumber")), bank=clean(r.get("BankLabel"))))
    return tuple(modules)


def _enum(value: Any, names: Mapping[int, str]) -> str | None:
    """An enumeration as Get-CimInstance gives it (a number) or as the storage cmdlets print it (its name)."""
    number = as_int(value)
    return names.get(number) if number is not None else clean(value)


def _health(physical: Mapping[str, Any], drive: Mapping[str, Any]) -> tuple[Health, str | None]:
    status = _enum(physical.get("HealthStatus"), DISK_HEALTH) if physical else None
    if status == "Healthy":
        return "passed", None
    if status in ("Warning", "Unhealthy"):
        return "failed", f"MSFT_PhysicalDisk HealthStatus {status}"
    legacy = clean(drive.get("Status"))  # Win32_DiskDrive.Status: SMART's verdict where the driver passes it on
    if legacy == "OK" and not physical:
        return "passed", None
    if legacy == "Pred Fail":
        return "failed", "Win32_DiskDrive Status Pred Fail (SMART predicts a failure)"
    return "not readable", f"Windows reports health {status or legacy or 'nothing'}"


def disk_serial(text: str | None) -> str | None:
    """A disk serial as Windows gives it. Windows 7's Win32_DiskDrive returns an ATA serial as
    the hex of its bytes, each pair swapped (ATA strings are big-endian 16-bit words):
    "42566332666666303539622d6632643731622031" is "VB2cff0f95-b2f7db11". NVMe serials end
    with a '.' (the EUI-64 "ACE4_2E61_9000_7804.")."""
    if text and len(text) % 4 == 0 and len(text) >= 16 and re.fullmatch(r"[0-9a-f]+", text):
        raw = bytes.fromhex(text)
        swapped = bytes(b for pair in zip(raw[1::2], raw[0::2]) for b in pair)
        if all(0x20 <= b < 0x7F for b in swapped):
            text = swapped.decode("ascii")
    text = clean(text)
    return text.rstrip(".") or None if text else None


def disks(drives: list[dict[str, Any]], physical: list[dict[str, Any]]) -> tuple[Disk, ...]:
    by_id = {str(p.get("DeviceId")): p for p in physical if p.get("DeviceId") is not None}
    found = []
    for number, d in enumerate(drives):
        p = by_id.get(str(d.get("Index")), {})
        bus = _enum(p.get("BusType"), BUS_TYPES) if p else clean(d.get("InterfaceType"))
        media = _enum(p.get("MediaType"), MEDIA_TYPES) if p else None
        kind: DiskType = "unknown"
        if bus == "NVMe":
            kind = "nvme"
        elif bus in ("USB", "SD", "MMC") or "removable" in (clean(d.get("MediaType")) or "").lower() \
                or "external" in (clean(d.get("MediaType")) or "").lower():
            kind = "removable"
        elif bus in ("Virtual", "File Backed Virtual"):
            kind = "virtual"
        elif media in ("HDD", "SSD"):
            kind = "hdd" if media == "HDD" else "ssd"
        health, detail = _health(p, d)
        serial = disk_serial(clean(p.get("SerialNumber"))) or disk_serial(clean(d.get("SerialNumber")))
        index = as_int(d.get("Index"))
        found.append(Disk(name=clean(d.get("DeviceID")) or f"disk {index if index is not None else number}",
                          model=clean(d.get("Model")) or clean(p.get("FriendlyName")),
                          serial=serial,
                          size_bytes=as_int(p.get("Size")) or as_int(d.get("Size")), type=kind, bus=bus,
                          firmware=clean(p.get("FirmwareVersion")) or clean(d.get("FirmwareRevision")),
                          health=health, health_detail=detail))
    return tuple(found)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def adapters(rows: list[dict[str, Any]]) -> tuple[NetworkAdapter, ...]:
    out = []
    for number, r in enumerate(rows):
        addresses, masks = _strings(r.get("IPAddress")), _strings(r.get("IPSubnet"))
        ips = [ip_interface(a, masks[i] if i < len(masks) else "") for i, a in enumerate(addresses)]
        mac = (clean(r.get("MACAddress")) or "").lower().replace("-", ":")
        index = as_int(r.get("Index"))
        out.append(NetworkAdapter(name=clean(r.get("Description")) or f"adapter {index if index is not None else number}",
                                  mac=mac if re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", mac) else None,
                                  ips=tuple(sorted(filter(None, ips)))))
    return tuple(out)


def monitors(rows: list[dict[str, Any]]) -> tuple[Monitor, ...]:
    found = []
    for r in rows:
        code = _chars(r.get("ProductCodeID"))
        found.append(Monitor(maker=_chars(r.get("ManufacturerName")), model=_chars(r.get("UserFriendlyName")),
                             product_code=int(code, 16) if code and re.fullmatch(r"[0-9A-Fa-f]{1,4}", code) else None,
                             serial=_chars(r.get("SerialNumberID")), year=as_int(r.get("YearOfManufacture")) or None,
                             connector=clean(r.get("InstanceName"))))
    return tuple(found)


def _architecture(text: str | None) -> str | None:
    """OSArchitecture is localized ("64-bit", "64 位", "64 Bit"); its number and ARM are not."""
    if not text:
        return None
    bits = re.search(r"(32|64)", text)
    arm = "ARM " if "ARM" in text.upper() else ""
    return f"{arm}{bits.group(1)}-bit" if bits else text


def operating_system(os_row: Mapping[str, Any], licensing: list[dict[str, Any]], licence_error: str | None) -> OperatingSystem:
    # LicenseStatus 0 is "unlicensed": compared with None, never by truth (0 is falsy)
    statuses = [LICENCE_STATUS.get(code) for code in (as_int(r.get("LicenseStatus")) for r in licensing) if code is not None]
    known = [s for s in statuses if s]
    licence = "licensed" if "licensed" in known else (known[0] if known else None)
    if licence is None and not licence_error and not licensing and os_row:
        licence = "no product key"  # the query ran and Windows has no key installed
    sku = as_int(os_row.get("OperatingSystemSKU"))
    return OperatingSystem(name=clean(os_row.get("Caption")), edition=EDITIONS.get(sku) if sku is not None else None,
                           version=clean(os_row.get("Version")), build=clean(os_row.get("BuildNumber")),
                           architecture=_architecture(clean(os_row.get("OSArchitecture"))), licence=licence)


def software(rows: list[dict[str, Any]]) -> tuple[Software, ...]:
    seen: dict[tuple[str, str], Software] = {}
    for r in rows:
        name = clean(r.get("DisplayName"))
        if name is None:
            continue
        version = clean(r.get("DisplayVersion"))
        installed = clean(r.get("InstallDate"))
        day = None
        if installed and re.fullmatch(r"\d{8}", installed):  # REG_SZ yyyymmdd as MSI writes it
            try:
                day = datetime.strptime(installed, "%Y%m%d").date()
            except ValueError:
                day = None
        key = (name.casefold(), version or "")
        if key not in seen:  # a 32-bit PowerShell sees the same entry through two hives
            seen[key] = Software(name=name, version=version, publisher=clean(r.get("Publisher")), installed_on=day,
                                 source=str(r.get("Hive") or "registry"))
    return tuple(seen.values())


def parse_classes(data: Any) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str], Any]:
    """The script's JSON split into classes, errors and the firmware type; ``ParseError`` on another shape."""
    if not isinstance(data, dict) or not isinstance(data.get("Classes"), dict):
        raise ParseError(f"{WHAT}: expected an object with Classes and Errors")
    classes = {str(k): as_objects(v, f"{WHAT}: {k}") for k, v in data["Classes"].items()}
    errors = data.get("Errors") if isinstance(data.get("Errors"), dict) else {}
    return classes, {str(k): str(v)[:300] for k, v in errors.items()}, data.get("Firmware")


def from_classes(classes: Mapping[str, list[dict[str, Any]]], errors: Mapping[str, str], firmware: Any,
                 captured_at: datetime) -> AssetSnapshot:
    gaps = [Gap(_PART.get(key, key), why) for key, why in sorted(errors.items())
            if not (key == "PhysicalDisk" and classes.get("DiskDrive"))]
    if errors.get("PhysicalDisk") and classes.get("DiskDrive"):
        gaps.append(Gap("disk health", f"MSFT_PhysicalDisk not readable ({errors['PhysicalDisk']}); "
                                       "health from Win32_DiskDrive.Status"))
    if not classes.get("PhysicalMemory") and "PhysicalMemory" not in errors:
        gaps.append(Gap("memory modules", "Win32_PhysicalMemory lists no module (a virtual machine, or SMBIOS without type 17)"))
    return AssetSnapshot(
        kind="computer", source="windows", captured_at=captured_at, identity=identity(classes, firmware),
        cpus=cpus(classes.get("Processor", [])), memory=memory(classes.get("PhysicalMemory", [])),
        disks=disks(classes.get("DiskDrive", []), classes.get("PhysicalDisk", [])),
        adapters=adapters(classes.get("NetworkAdapterConfiguration", [])), monitors=monitors(classes.get("MonitorID", [])),
        os=operating_system(_one(classes, "OperatingSystem"), classes.get("Licensing", []), errors.get("Licensing")),
        software=software(classes.get("Software", [])), gaps=tuple(gaps))


_PART = {"ComputerSystem": "system identity", "ComputerSystemProduct": "system serial and UUID", "BIOS": "BIOS",
         "BaseBoard": "board", "SystemEnclosure": "chassis", "Processor": "cpus", "PhysicalMemory": "memory modules",
         "DiskDrive": "disks", "NetworkAdapterConfiguration": "adapters", "MonitorID": "monitors",
         "OperatingSystem": "os", "Licensing": "os licence", "Software": "software"}


def parse(output: CommandOutput, captured_at: datetime) -> AssetSnapshot:
    classes, errors, firmware = parse_classes(decode_json(output, WHAT))
    return from_classes(classes, errors, firmware, captured_at)
