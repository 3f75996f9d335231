"""When an agent captures its asset snapshot: daily, and sooner when a cheap check sees a change.

A full capture runs dmidecode, lsblk, smartctl per disk and lists every package (Linux), or
fourteen CIM and registry queries (Windows): a fraction of a second to a few seconds of
CPU. The *quick fingerprint* reads only what changes when hardware or software changes,
for a few milliseconds (Linux) or one short PowerShell run (Windows), and is compared
with the one taken at the last full capture:

- Linux: the DMI files the kernel lets a user read, MemTotal, each block device's size,
  model and serial (sysfs), each physical adapter's MAC, each EDID, the OS release, the kernel
  release, and the size and mtime of the package database (dpkg status, rpm db);
- Windows: memory and disk serials and sizes, the BIOS version, the OS build and the
  number and newest write of the Uninstall keys (``QUICK_SCRIPT``).

``due`` decides: the first capture, one older than ``full_every_s``, or a fingerprint that
differs. The state (fingerprint and time of the last full capture) is a small JSON file in
the state folder; a broken file means "never captured", never a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from collectors.base import CollectorIO
from collectors.platforms.windows.powershell import run_powershell

log = logging.getLogger(__name__)
STATE_FILE = "assets/capture-state.json"
_QUICK_FILES = ("/proc/sys/kernel/osrelease", "/etc/os-release")
_PACKAGE_DBS = ("/var/lib/dpkg/status", "/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages")
QUICK_SCRIPT = (
    "$m = @(Get-CimInstance Win32_PhysicalMemory | ForEach-Object { [string]$_.SerialNumber + ':' + $_.Capacity }); "
    "$d = @(Get-CimInstance Win32_DiskDrive | ForEach-Object { [string]$_.SerialNumber + ':' + $_.Size }); "
    "$b = (Get-CimInstance Win32_BIOS).SMBIOSBIOSVersion; $o = (Get-CimInstance Win32_OperatingSystem).BuildNumber; "
    "$u = @(Get-ChildItem 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall',"
    "'HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall' -ErrorAction SilentlyContinue); "
    "($m + $d + @($b, $o, $u.Count)) -join '|'"
)


@dataclass(frozen=True)
class CaptureState:
    quick: str | None = None  # the quick fingerprint at the last full capture
    captured_at: datetime | None = None


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return ""


def quick_linux(io: CollectorIO) -> str:
    """The Linux fingerprint: file reads only, no program started."""
    parts: list[str] = []
    dmi = io.path("/sys/class/dmi/id")
    if dmi.is_dir():
        for name in sorted(os.listdir(dmi)):
            if name.endswith(("_vendor", "_name", "_version", "_serial", "_date", "_uuid")):
                parts.append(f"dmi {name}={_read(dmi / name)}")
    for line in _read(io.path("/proc/meminfo")).splitlines():
        if line.startswith("MemTotal:"):
            parts.append(line)
    block = io.path("/sys/block")
    if block.is_dir():
        for dev in sorted(block.iterdir()):
            if not dev.name.startswith(("loop", "ram", "zram")):
                parts.append(f"disk {dev.name} {_read(dev / 'size')} {_read(dev / 'device' / 'model')} "
                             f"{_read(dev / 'device' / 'serial')} {_read(dev / 'device' / 'wwid')}")
    net = io.path("/sys/class/net")
    if net.is_dir():
        # adapters with a device only: containers' veth pairs come and go without any hardware change
        parts += [f"net {dev.name} {_read(dev / 'address')}" for dev in sorted(net.iterdir()) if (dev / "device").exists()]
    drm = io.path("/sys/class/drm")
    if drm.is_dir():
        for connector in sorted(drm.iterdir()):
            try:
                parts.append(f"edid {connector.name} {hashlib.sha256((connector / 'edid').read_bytes()).hexdigest()}")
            except OSError:
                continue
    parts += [f"{name} {_read(io.path(name))}" for name in _QUICK_FILES]
    for name in _PACKAGE_DBS:
        try:
            st = io.path(name).stat()
        except OSError:
            continue
        parts.append(f"{name} {st.st_size} {st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest()


def quick_windows(io: CollectorIO, timeout: float) -> str:
    out = run_powershell(io, QUICK_SCRIPT, timeout=timeout, what="asset quick check")
    return hashlib.sha256(out.stdout + b"\0" + str(out.returncode).encode()).hexdigest()


def quick_fingerprint(io: CollectorIO, timeout: float = 60.0) -> str:
    return quick_windows(io, timeout) if io.platform == "windows" else quick_linux(io)


def due(state: CaptureState, quick: str, now: datetime, full_every_s: float) -> str | None:
    """Why a full capture is due now, or None when the last one still holds."""
    if state.captured_at is None or state.quick is None:
        return "first capture"
    if (now - state.captured_at).total_seconds() >= full_every_s:
        return "daily capture"
    if quick != state.quick:
        return "a change was seen (quick check)"
    return None


def load_state(path: Path) -> CaptureState:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        at = datetime.fromisoformat(data["captured_at"])
        return CaptureState(str(data["quick"]), at if at.tzinfo else at.replace(tzinfo=timezone.utc))
    except FileNotFoundError:
        return CaptureState()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("asset capture state %s is not readable (%s): capturing as if for the first time", path, exc)
        return CaptureState()


def save_state(path: Path, state: CaptureState) -> None:
    """Written to a temporary file and renamed: a crash leaves the old state or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"quick": state.quick, "captured_at": state.captured_at.isoformat()
                               if state.captured_at else None}), encoding="utf-8")
    os.replace(tmp, path)
