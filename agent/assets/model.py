"""The asset snapshot (设备档案): what one capture found on one computer or device.

One ``AssetSnapshot`` per capture. Computers (Linux and Windows agents) fill ``identity``,
``cpus``, ``memory``, ``disks``, ``adapters``, ``monitors``, ``os`` and ``software``;
network devices and printers (SNMP) fill ``identity``, ``components`` (ENTITY-MIB),
``network`` (sysDescr and the version read from it) and ``printer`` (Printer-MIB).

Rules of the model:

- A value that could not be read is ``None`` (or an empty tuple), never a placeholder; why
  it could not be read is a ``Gap`` in ``gaps`` ("memory modules: dmidecode not installed").
  Vendor filler text ("To Be Filled By O.E.M.", "Default string", "0123456789") is
  dropped by the capture to None, so it never looks like a serial.
- Sizes are bytes, speeds MT/s, dates ``date``; text is kept as the device gave it.
- Every list item has ``key``: what makes it "the same part" between two captures (a
  memory slot, a disk's serial, an adapter's MAC), so the archive can tell a swap (same
  key, other serial) from an added or removed part.

Canonical JSON (``to_json``/``canonical_json``) sorts every list by its items' keys and the
object keys by name, so the same machine captured twice gives the same text byte for byte.

Hashes, and what they cover:

- ``content_hash`` covers everything EXCEPT ``captured_at``, ``gaps`` and
  ``counters`` (printer page counters, which grow every day). Two captures with the same
  content hash are the same asset state: the agent pushes, and the archive stores, a
  snapshot only when this hash changed (deduplication).
- ``hardware_hash`` covers the hardware only (identity, CPUs, memory, disks, monitors,
  ENTITY-MIB components; not OS, software, adapters' addresses or counters): for "did the
  hardware change" without diffing.
- Page counters live in ``counters`` and are stored by the archive as readings, not as a
  change of the asset.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Literal, get_args, get_origin

SCHEMA_VERSION = 1
Kind = Literal["computer", "network", "printer"]
Health = Literal["passed", "failed", "not readable"]
DiskType = Literal["ssd", "hdd", "nvme", "removable", "virtual", "unknown"]

# Bounds on what a snapshot may hold: a pushed snapshot past them is refused with the field
# named (from_json), so one hostile or broken agent cannot fill the archive.
MAX_TEXT = 1024
MAX_ITEMS = 20_000


@dataclass(frozen=True, slots=True)
class Gap:
    """One part the capture could not read, and why (shown, never guessed over)."""

    part: str  # "memory modules", "disk /dev/sda SMART", "monitors", ...
    reason: str  # "dmidecode not installed", "permission denied (needs root)", ...

    @property
    def key(self) -> str:
        return self.part


@dataclass(frozen=True, slots=True)
class Identity:
    """SMBIOS system, board and firmware (type 0/1/2), or the chassis of a network device."""

    maker: str | None = None
    model: str | None = None
    serial: str | None = None
    uuid: str | None = None  # SMBIOS system UUID
    sku: str | None = None
    chassis: str | None = None  # SMBIOS chassis type ("Notebook", "Desktop") or ENTITY-MIB chassis description
    board_maker: str | None = None
    board_model: str | None = None
    board_serial: str | None = None
    bios_vendor: str | None = None
    bios_version: str | None = None
    bios_date: date | None = None
    firmware: Literal["uefi", "bios"] | None = None  # how it booted, where known


@dataclass(frozen=True, slots=True)
class Cpu:
    model: str
    socket: str | None = None
    cores: int | None = None
    threads: int | None = None
    max_mhz: int | None = None

    @property
    def key(self) -> str:
        return self.socket or self.model


@dataclass(frozen=True, slots=True)
class MemoryModule:
    slot: str  # dmidecode Locator / Win32_PhysicalMemory DeviceLocator ("DIMM A1", "ChannelA-DIMM0")
    size_bytes: int | None = None
    speed_mts: int | None = None
    type: str | None = None  # DDR4, LPDDR5
    maker: str | None = None
    serial: str | None = None
    part_number: str | None = None
    bank: str | None = None

    @property
    def key(self) -> str:
        return self.slot


@dataclass(frozen=True, slots=True)
class Disk:
    name: str  # sda, nvme0n1, \\.\PHYSICALDRIVE0
    model: str | None = None
    serial: str | None = None
    size_bytes: int | None = None
    type: DiskType = "unknown"
    bus: str | None = None  # sata, nvme, usb, SCSI
    firmware: str | None = None
    health: Health = "not readable"
    health_detail: str | None = None  # "smartctl: permission denied", "Windows HealthStatus Warning"

    @property
    def key(self) -> str:
        # A serial follows the disk to another port; the device name is all a VM disk has.
        return self.serial or self.name


@dataclass(frozen=True, slots=True)
class NetworkAdapter:
    name: str  # eth0, "Intel(R) Ethernet Connection I219-LM"
    mac: str | None = None  # lower case, colon separated
    ips: tuple[str, ...] = ()  # addresses with prefix length: 192.0.2.10/24, fe80::1/64
    kind: str | None = None  # ethernet, wireless, virtual, loopback
    speed_mbps: int | None = None

    @property
    def key(self) -> str:
        return self.mac or self.name


@dataclass(frozen=True, slots=True)
class Monitor:
    maker: str | None = None  # EDID PNP id: "DEL", "SAM"
    model: str | None = None  # EDID monitor name descriptor: "E2219HN"
    product_code: int | None = None
    serial: str | None = None  # serial descriptor text, else the 32-bit serial number
    year: int | None = None  # year of manufacture (or model year)
    connector: str | None = None  # card0-DP-1, DISPLAY1

    @property
    def key(self) -> str:
        return f"{self.maker or ''}:{self.product_code if self.product_code is not None else self.model or ''}:" \
               f"{self.serial or self.connector or ''}"


@dataclass(frozen=True, slots=True)
class OperatingSystem:
    name: str | None = None  # "Debian GNU/Linux", "Microsoft Windows 11 专业版"
    edition: str | None = None  # Professional, Server Datacenter, "" for Linux
    version: str | None = None  # 12, 10.0.22631
    build: str | None = None  # 22631, kernel release on Linux
    architecture: str | None = None
    licence: str | None = None  # "licensed", "notification", "unlicensed", ...; None where there is no such thing


@dataclass(frozen=True, slots=True)
class Software:
    name: str
    version: str | None = None
    publisher: str | None = None
    installed_on: date | None = None
    source: str = ""  # dpkg, rpm, HKLM64, HKLM32, HKCU

    @property
    def key(self) -> str:
        return f"{self.name}\t{self.source}"


@dataclass(frozen=True, slots=True)
class Component:
    """One ENTITY-MIB entPhysicalEntry (RFC 6933): chassis, module, power supply, fan, port..."""

    index: int  # entPhysicalIndex
    klass: str  # entPhysicalClass as a word: chassis, module, powerSupply, fan, sensor, port, stack, cpu, ...
    name: str | None = None  # entPhysicalName
    description: str | None = None  # entPhysicalDescr
    maker: str | None = None  # entPhysicalMfgName
    model: str | None = None  # entPhysicalModelName
    serial: str | None = None  # entPhysicalSerialNum
    hardware_rev: str | None = None
    firmware_rev: str | None = None
    software_rev: str | None = None
    contained_in: int | None = None  # entPhysicalContainedIn (0 = not contained: None)
    position: int | None = None  # entPhysicalParentRelPos
    fru: bool | None = None  # entPhysicalIsFRU

    @property
    def key(self) -> str:
        return str(self.index)


@dataclass(frozen=True, slots=True)
class NetworkInfo:
    """What SNMP's system group says (RFC 3418) and the version read from sysDescr."""

    sys_descr: str | None = None
    sys_object_id: str | None = None
    sys_name: str | None = None
    version: str | None = None  # "15.2(4)E10", "7.2.5": parsed from sysDescr, None when no pattern matched


@dataclass(frozen=True, slots=True)
class PrinterInfo:
    serial: str | None = None  # Printer-MIB prtGeneralSerialNumber


@dataclass(frozen=True, slots=True)
class PageCounter:
    """Printer-MIB prtMarkerLifeCount of one marker (volatile: not in the content hash)."""

    marker: int  # prtMarkerIndex
    count: int
    unit: str = "impressions"  # prtMarkerCounterUnit as a word

    @property
    def key(self) -> str:
        return str(self.marker)


@dataclass(frozen=True, slots=True)
class AssetSnapshot:
    kind: Kind
    source: str  # "linux", "windows", "snmp"
    captured_at: datetime
    identity: Identity = Identity()
    cpus: tuple[Cpu, ...] = ()
    memory: tuple[MemoryModule, ...] = ()
    disks: tuple[Disk, ...] = ()
    adapters: tuple[NetworkAdapter, ...] = ()
    monitors: tuple[Monitor, ...] = ()
    os: OperatingSystem | None = None
    software: tuple[Software, ...] = ()
    components: tuple[Component, ...] = ()
    network: NetworkInfo | None = None
    printer: PrinterInfo | None = None
    counters: tuple[PageCounter, ...] = ()
    gaps: tuple[Gap, ...] = ()
    schema: int = SCHEMA_VERSION

    @property
    def memory_bytes(self) -> int | None:
        sizes = [m.size_bytes for m in self.memory if m.size_bytes is not None]
        return sum(sizes) if sizes else None

    def content_hash(self) -> str:
        return _sha256(_without(to_json(self), VOLATILE))

    def hardware_hash(self) -> str:
        data = to_json(self)
        return _sha256({k: data[k] for k in HARDWARE})


# Fields outside the content hash (see the module docstring) and those of the hardware hash.
VOLATILE = frozenset({"captured_at", "gaps", "counters"})
HARDWARE = ("kind", "identity", "cpus", "memory", "disks", "monitors", "components")


def _sha256(data: Any) -> str:
    return hashlib.sha256(_dumps(data).encode("utf-8")).hexdigest()


def _without(data: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def _dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- canonical JSON ----------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        items = [_encode(v) for v in value]
        if value and hasattr(value[0], "key"):  # parts: in key order, ties by their whole text
            order = sorted(range(len(value)), key=lambda i: (value[i].key, _dumps(items[i])))
            return [items[i] for i in order]
        return sorted(items, key=_dumps)  # plain values (an adapter's addresses): their order means nothing
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_json(snapshot: AssetSnapshot) -> dict[str, Any]:
    """The snapshot as plain JSON data, lists in canonical order."""
    return _encode(snapshot)


def canonical_json(snapshot: AssetSnapshot) -> str:
    """Canonical text: sorted keys, no spaces, UTF-8 characters as they are."""
    return _dumps(to_json(snapshot))


class SnapshotError(ValueError):
    """A JSON snapshot that does not fit the model; the message names the field."""


def from_json(data: Any) -> AssetSnapshot:
    """An ``AssetSnapshot`` from ``to_json`` data (an archive row, a pushed body).

    Strict: unknown fields, wrong types, texts longer than MAX_TEXT and lists longer than
    MAX_ITEMS are a ``SnapshotError`` naming the field ("snapshot.disks[2].size_bytes: ...").
    """
    snapshot = _decode(AssetSnapshot, data, "snapshot")
    if snapshot.schema != SCHEMA_VERSION:
        raise SnapshotError(f"snapshot.schema: version {snapshot.schema} is not supported (expected {SCHEMA_VERSION})")
    return snapshot


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _decode(inner, value, where)
    if origin is Literal:
        if value not in get_args(tp):
            raise SnapshotError(f"{where}: {value!r} is not one of {', '.join(map(repr, get_args(tp)))}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise SnapshotError(f"{where}: expected a list, got {type(value).__name__}")
        if len(value) > MAX_ITEMS:
            raise SnapshotError(f"{where}: {len(value)} items, more than {MAX_ITEMS}")
        inner = get_args(tp)[0]
        return tuple(_decode(inner, v, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise SnapshotError(f"{where}: expected an object, got {type(value).__name__}")
        hints = _hints(tp)
        unknown = sorted(set(value) - set(hints))
        if unknown:
            raise SnapshotError(f"{where}: unknown field {str(unknown[0])[:64]!r}")
        missing = [f.name for f in dataclasses.fields(tp) if f.name not in value
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise SnapshotError(f"{where}: field {missing[0]!r} is missing")
        return tp(**{k: _decode(hints[k], v, f"{where}.{k}") for k, v in value.items()})
    if tp is str:
        if not isinstance(value, str):
            raise SnapshotError(f"{where}: expected text, got {type(value).__name__}")
        if len(value) > MAX_TEXT:
            raise SnapshotError(f"{where}: text of {len(value)} characters, more than {MAX_TEXT}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise SnapshotError(f"{where}: expected true or false, got {type(value).__name__}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int) or not -2**63 <= value < 2**63:
            raise SnapshotError(f"{where}: expected a 64-bit integer, got {str(value)[:40]!r}")
        return value
    if tp is datetime:
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise SnapshotError(f"{where}: expected an ISO date-time with a zone, got {str(value)[:40]!r}")
        return moment.astimezone(timezone.utc)
    if tp is date:
        try:
            return date.fromisoformat(value) if isinstance(value, str) else _bad_date(where, value)
        except ValueError:
            return _bad_date(where, value)
    raise TypeError(f"{where}: no decoder for {tp!r}")  # a model field of a new type: a programming error


def _bad_date(where: str, value: Any) -> date:
    raise SnapshotError(f"{where}: expected an ISO date (YYYY-MM-DD), got {str(value)[:40]!r}")
