"""Capture on a Linux agent: fetch the raw sources into ``LinuxSample``, parse it into an ``AssetSnapshot``.

Sources (each one's format is described in the module that parses it):

- identity: /sys/class/dmi/id and ``dmidecode`` (dmi.py); UEFI when /sys/firmware/efi exists
- memory modules: ``dmidecode`` type 17 (dmi.py; root only)
- CPUs: /proc/cpuinfo (below)
- disks: ``lsblk`` and ``smartctl -j`` per disk (disks.py; SMART needs root)
- adapters: /sys/class/net/<name>/{address,type,speed} and psutil's addresses (below); adapters
  without a device (bridges, veth, tap) are software and left out
- monitors: /sys/class/drm/<card-connector>/edid (edid.py)
- OS: /etc/os-release, /proc/sys/kernel/{osrelease,arch}
- software: dpkg-query or rpm (linux_software.py)

Whatever could not be read becomes a ``Gap`` saying why (a program not installed, root
needed, no such hardware in a container); nothing is guessed.

/proc/cpuinfo (x86; one block per logical CPU)::

    processor	: 3
    model name	: Intel(R) Core(TM) i5-8500 CPU @ 3.00GHz
    physical id	: 0
    siblings	: 6
    cpu cores	: 6
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.assets.capture import dmi, disks, edid, linux_software
from agent.assets.capture.text import as_int, clean, ip_interface
from agent.assets.model import AssetSnapshot, Cpu, Disk, Gap, Monitor, NetworkAdapter, OperatingSystem, Software
from collectors.base import CollectorIO, CommandOutput

SYS_NET = "/sys/class/net"
SYS_DRM = "/sys/class/drm"
# /sys/class/net/<if>/type: ARPHRD_* numbers (include/uapi/linux/if_arp.h)
_ARPHRD = {1: "ethernet", 772: "loopback", 768: "tunnel", 776: "tunnel", 65534: "tunnel", 32: "infiniband"}


@dataclass(frozen=True)
class Ran:
    """A command's output, or why it has none ("dmidecode not installed", "timed out after 20 s")."""

    output: CommandOutput | None
    error: str = ""


@dataclass(frozen=True)
class LinuxSample:
    dmi_files: Mapping[str, str] = field(default_factory=dict)
    dmi_denied: tuple[str, ...] = ()  # sysfs files that exist but are root only
    dmidecode: Ran = Ran(None, "not run")
    uefi: bool | None = None
    cpuinfo: str = ""
    lsblk: Ran = Ran(None, "not run")
    smart: Mapping[str, Ran] = field(default_factory=dict)
    net: tuple[Mapping[str, str], ...] = ()  # name, address, type, speed, device ("1" when a physical device)
    addresses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # name -> "address/netmask"
    drm: tuple[tuple[str, bytes], ...] | None = None  # (connector, edid bytes); None: no /sys/class/drm
    os_release: str = ""
    kernel: str = ""
    arch: str = ""
    packages: Ran = Ran(None, "not run")
    package_manager: str = ""  # dpkg | rpm
    dpkg_list_mtimes: Mapping[str, float] = field(default_factory=dict)


# --- fetch -------------------------------------------------------------------------------


def run(io: CollectorIO, argv: tuple[str, ...], timeout: float) -> Ran:
    try:
        return Ran(io.run(argv, timeout=timeout))
    except FileNotFoundError:
        return Ran(None, f"{argv[0]} not installed")
    except TimeoutError:
        return Ran(None, f"{argv[0]} did not finish within {timeout:g} s")
    except OSError as exc:
        return Ran(None, f"{argv[0]}: {exc.strerror or exc}")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return None


def _read_dmi(io: CollectorIO) -> tuple[dict[str, str], tuple[str, ...]]:
    root = io.path(dmi.DMI_ID)
    values, denied = {}, []
    for name in dmi.DMI_FILES:
        path = root / name
        try:
            values[name] = path.read_text(errors="replace").strip()
        except PermissionError:
            denied.append(name)
        except OSError:
            continue
    return values, tuple(denied)


def _read_net(io: CollectorIO) -> tuple[dict[str, str], ...]:
    root = io.path(SYS_NET)
    if not root.is_dir():
        return ()
    rows = []
    for dev in sorted(root.iterdir()):
        rows.append({"name": dev.name, "address": _read(dev / "address") or "", "type": _read(dev / "type") or "",
                     "speed": _read(dev / "speed") or "", "device": "1" if (dev / "device").exists() else "",
                     "wireless": "1" if (dev / "wireless").exists() else ""})
    return tuple(rows)


def _addresses() -> dict[str, tuple[str, ...]]:
    import socket

    import psutil

    out = {}
    for name, addrs in psutil.net_if_addrs().items():
        out[name] = tuple(f"{a.address}/{a.netmask or ''}" for a in addrs if a.family in (socket.AF_INET, socket.AF_INET6))
    return out


def _read_drm(io: CollectorIO) -> tuple[tuple[str, bytes], ...] | None:
    root = io.path(SYS_DRM)
    if not root.is_dir():
        return None
    found = []
    for connector in sorted(root.iterdir()):
        try:
            data = (connector / "edid").read_bytes()
        except OSError:
            continue
        found.append((connector.name, data))
    return tuple(found)


def _dpkg_mtimes(io: CollectorIO) -> dict[str, float]:
    root = io.path(linux_software.DPKG_INFO)
    try:
        return {p.name[:-5]: p.stat().st_mtime for p in root.iterdir() if p.name.endswith(".list")}
    except OSError:
        return {}


def fetch(io: CollectorIO, *, timeout: float = 30.0, addresses: Any = _addresses) -> LinuxSample:
    """Read every source; ``addresses`` returns {interface: ("address/netmask", ...)} (psutil by default)."""
    dmi_files, denied = _read_dmi(io)
    lsblk = run(io, disks.LSBLK, timeout)
    smart: dict[str, Ran] = {}
    if lsblk.output is not None and lsblk.output.returncode == 0:
        try:
            names = [d["name"] for d in disks.parse_lsblk(lsblk.output.stdout.decode("utf-8", "replace"))]
        except ValueError:
            names = []
        for name in names:
            smart[name] = run(io, disks.smartctl_argv(name), timeout)
            if "not installed" in smart[name].error:
                break  # the same for every disk: said once
    packages, manager = run(io, linux_software.DPKG, timeout * 2), "dpkg"
    if packages.output is None and "not installed" in packages.error:
        packages, manager = run(io, linux_software.RPM, timeout * 2), "rpm"
    try:
        addrs = addresses()
    except Exception as exc:  # psutil missing or failing: the adapters' addresses become a gap, not a crash
        addrs = {"": (f"error: {exc}",)}
    return LinuxSample(
        dmi_files=dmi_files, dmi_denied=denied, dmidecode=run(io, dmi.DMIDECODE, timeout),
        uefi=io.path("/sys/firmware/efi").is_dir() if io.path("/sys/firmware").is_dir() else None,
        cpuinfo=_read(io.path("/proc/cpuinfo")) or "", lsblk=lsblk, smart=smart, net=_read_net(io), addresses=addrs,
        drm=_read_drm(io), os_release=_read(io.path("/etc/os-release")) or _read(io.path("/usr/lib/os-release")) or "",
        kernel=_read(io.path("/proc/sys/kernel/osrelease")) or "", arch=_read(io.path("/proc/sys/kernel/arch")) or "",
        packages=packages, package_manager=manager,
        dpkg_list_mtimes=_dpkg_mtimes(io) if manager == "dpkg" and packages.output is not None else {})


# --- parse -------------------------------------------------------------------------------


def _failed(ran: Ran) -> str | None:
    """Why a command gave nothing usable, or None when it did."""
    if ran.output is None:
        return ran.error
    if ran.output.returncode != 0:
        err = " ".join(ran.output.stderr.decode("utf-8", "replace").split())[:200]
        return f"{ran.output.argv[0]} failed (exit code {ran.output.returncode}): {err or 'no message'}"
    return None


def parse_cpuinfo(text: str) -> tuple[Cpu, ...]:
    sockets: dict[str, dict[str, Any]] = {}
    for block in re.split(r"\n\s*\n", text.strip()):
        fields = {}
        for line in block.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        if "processor" not in fields:
            continue
        model = fields.get("model name") or fields.get("Model") or fields.get("cpu model") or fields.get("Hardware")
        socket = fields.get("physical id", "0")
        entry = sockets.setdefault(socket, {"model": model, "threads": 0, "cores": set(), "declared": None})
        entry["threads"] += 1
        entry["cores"].add(fields.get("core id", fields["processor"]))
        entry["declared"] = as_int(fields.get("cpu cores")) or entry["declared"]
        entry["model"] = entry["model"] or model
    return tuple(Cpu(model=clean(e["model"]) or "unknown processor", socket=f"socket {s}",
                     cores=e["declared"] or len(e["cores"]), threads=e["threads"])
                 for s, e in sorted(sockets.items()))


def adapters(net: tuple[Mapping[str, str], ...], addresses: Mapping[str, tuple[str, ...]]) -> tuple[NetworkAdapter, ...]:
    out = []
    for row in net:
        kind = _ARPHRD.get(as_int(row.get("type")) or -1, "other")
        if kind == "loopback":
            continue
        if kind == "ethernet":
            if not row.get("device"):
                continue  # a bridge, veth, bond or tap: software, and containers make and drop them all day
            kind = "wireless" if row.get("wireless") else "ethernet"
        mac = (row.get("address") or "").lower()
        ips = tuple(sorted(filter(None, (ip_interface(*a.partition("/")[::2]) for a in addresses.get(row["name"], ())))))
        out.append(NetworkAdapter(name=row["name"], mac=mac if re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", mac)
                                  and mac != "00:00:00:00:00:00" else None,
                                  ips=ips, kind=kind, speed_mbps=as_int(row.get("speed"))))
    return tuple(out)


def parse_os_release(text: str, kernel: str, arch: str) -> OperatingSystem:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and re.fullmatch(r"[A-Z0-9_]+", key.strip()):
            values[key.strip()] = value.strip().strip("\"'")
    return OperatingSystem(name=clean(values.get("NAME")), edition=clean(values.get("VARIANT")),
                           version=clean(values.get("VERSION_ID")) or clean(values.get("VERSION")),
                           build=clean(kernel), architecture=clean(arch), licence=None)


def _monitors(drm: tuple[tuple[str, bytes], ...] | None, gaps: list[Gap]) -> tuple[Monitor, ...]:
    if drm is None:
        gaps.append(Gap("monitors", "no /sys/class/drm (no graphics driver, or a container)"))
        return ()
    found = []
    for connector, data in drm:
        if not data:
            continue  # nothing plugged into this connector
        try:
            found.append(edid.monitor(edid.parse(data), connector))
        except ValueError as exc:
            gaps.append(Gap(f"monitor {connector}", str(exc)))
    return tuple(found)


def _disks(sample: LinuxSample, gaps: list[Gap]) -> tuple[Disk, ...]:
    why = _failed(sample.lsblk)
    if why is not None:
        gaps.append(Gap("disks", why))
        return ()
    try:
        rows = disks.parse_lsblk(sample.lsblk.output.stdout.decode("utf-8", "replace"))  # type: ignore[union-attr]
    except ValueError as exc:
        gaps.append(Gap("disks", f"lsblk output not readable: {exc}"))
        return ()
    found = []
    for row in rows:
        ran = sample.smart.get(row["name"])
        smart: dict[str, Any] | None = None
        error = None
        if ran is None:
            error = next((r.error for r in sample.smart.values() if "not installed" in r.error), "smartctl not run")
        elif ran.output is None:
            error = ran.error
        else:
            try:
                smart = json.loads(ran.output.stdout.decode("utf-8", "replace"))
            except ValueError:
                error = f"smartctl printed no JSON (exit code {ran.output.returncode}; smartmontools older than 7?)"
        found.append(disks.disk(row, smart, error))
    return tuple(found)


def _software(sample: LinuxSample, gaps: list[Gap]) -> tuple[Software, ...]:
    why = _failed(sample.packages)
    if why is not None:
        gaps.append(Gap("software", why if sample.package_manager != "rpm" else f"neither dpkg-query nor rpm: {why}"))
        return ()
    try:
        if sample.package_manager == "dpkg":
            return linux_software.parse_dpkg(sample.packages.output, sample.dpkg_list_mtimes)  # type: ignore[arg-type]
        return linux_software.parse_rpm(sample.packages.output)  # type: ignore[arg-type]
    except ValueError as exc:
        gaps.append(Gap("software", str(exc)))
        return ()


def parse(sample: LinuxSample, captured_at: datetime) -> AssetSnapshot:
    gaps: list[Gap] = []
    records: tuple[dmi.DmiRecord, ...] = ()
    why = _failed(sample.dmidecode)
    if why is None:
        records = dmi.parse_dmidecode(sample.dmidecode.output.stdout.decode("utf-8", "replace"))  # type: ignore[union-attr]
        if not any(r.type == 1 for r in records):
            why = "dmidecode found no SMBIOS system record"
    if why is not None:
        gaps.append(Gap("memory modules", why))
    if not sample.dmi_files and not records:
        gaps.append(Gap("system identity", "no /sys/class/dmi/id and no dmidecode (a container, or not a PC)"))
    elif sample.dmi_denied and not records:
        gaps.append(Gap("system serial and UUID", f"{', '.join(sample.dmi_denied)} readable by root only"))
    cpus = parse_cpuinfo(sample.cpuinfo)
    if not cpus:
        gaps.append(Gap("cpus", "/proc/cpuinfo not readable"))
    if "" in sample.addresses:
        gaps.append(Gap("adapter addresses", sample.addresses[""][0]))
    if not sample.os_release:
        gaps.append(Gap("os", "no /etc/os-release"))
    return AssetSnapshot(
        kind="computer", source="linux", captured_at=captured_at,
        identity=dmi.identity(sample.dmi_files, records, sample.uefi), cpus=cpus,
        memory=dmi.memory_modules(records), disks=_disks(sample, gaps),
        adapters=adapters(sample.net, sample.addresses), monitors=_monitors(sample.drm, gaps),
        os=parse_os_release(sample.os_release, sample.kernel, sample.arch), software=_software(sample, gaps),
        gaps=tuple(gaps))
