"""Disks on Linux: ``lsblk`` for what is attached, ``smartctl -j`` for identity and health.

``lsblk -J -b -d -o NAME,TYPE,SIZE,MODEL,SERIAL,ROTA,TRAN,RM,REV`` (util-linux 2.38)::

    {"blockdevices": [{"name": "sda", "type": "disk", "size": 500107862016, "model": "Samsung SSD 860",
                       "serial": "S3Z2NB0K123456A", "rota": false, "tran": "sata", "rm": false, "rev": "RVT04B6Q"}]}

Older lsblk prints numbers and flags as text ("size": "500107862016", "rota": "0").
``smartctl -j -i -H /dev/sda`` (smartmontools 7; JSON format 1)::

    {"smartctl": {"exit_status": 0, "messages": [...]}, "model_name": "...", "serial_number": "...",
     "user_capacity": {"bytes": 500107862016}, "rotation_rate": 0, "smart_status": {"passed": true}}

Health is smartctl's overall verdict (``smart_status.passed``); without it (no root, a USB
bridge that passes no ATA commands, a virtual disk) the disk's health is "not readable"
with smartctl's own message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from agent.assets.capture.text import as_int, clean
from agent.assets.model import Disk, DiskType

LSBLK = ("lsblk", "-J", "-b", "-d", "-o", "NAME,TYPE,SIZE,MODEL,SERIAL,ROTA,TRAN,RM,REV")
SKIP_NAMES = re.compile(r"^(zram|ram|loop|fd|sr)\d*")  # RAM disks, loop files, floppies, optical drives
VIRTUAL_NAMES = re.compile(r"^(vd|xvd)[a-z]+$")  # virtio and Xen: a hypervisor's disk, not hardware


def smartctl_argv(name: str) -> tuple[str, ...]:
    return ("smartctl", "-j", "-i", "-H", f"/dev/{name}")


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in ("1", 1):
        return True
    if value in ("0", 0):
        return False
    return None


def parse_lsblk(text: str) -> list[dict[str, Any]]:
    """The whole disks lsblk lists (no partitions, RAM disks, loop devices or optical drives)."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("blockdevices"), list):
        raise ValueError("lsblk: expected an object with 'blockdevices'")
    disks = []
    for dev in data["blockdevices"]:
        if not isinstance(dev, dict) or dev.get("type") != "disk" or not isinstance(dev.get("name"), str):
            continue
        if SKIP_NAMES.match(dev["name"]) or not as_int(dev.get("size")):
            continue
        disks.append(dev)
    return disks


def _disk_type(dev: Mapping[str, Any], smart: Mapping[str, Any]) -> DiskType:
    name, tran = dev["name"], (dev.get("tran") or "")
    device = smart.get("device") if isinstance(smart.get("device"), dict) else {}
    if tran == "nvme" or name.startswith("nvme") or device.get("protocol") == "NVMe":
        return "nvme"
    if _flag(dev.get("rm")) or tran == "usb":
        return "removable"
    if VIRTUAL_NAMES.match(name):
        return "virtual"
    rate = smart.get("rotation_rate")
    if isinstance(rate, int):
        return "ssd" if rate == 0 else "hdd"
    rota = _flag(dev.get("rota"))
    return "unknown" if rota is None else ("hdd" if rota else "ssd")


def smart_messages(smart: Mapping[str, Any]) -> str:
    messages = (smart.get("smartctl") or {}).get("messages") or []
    return "; ".join(str(m.get("string", "")).strip() for m in messages if isinstance(m, dict))[:300]


def disk(dev: Mapping[str, Any], smart: Mapping[str, Any] | None, smart_error: str | None) -> Disk:
    """One disk from its lsblk row and, where smartctl ran, its JSON (``smart``) or why not (``smart_error``)."""
    s = smart or {}
    status = s.get("smart_status")
    if isinstance(status, dict) and isinstance(status.get("passed"), bool):
        health, detail = ("passed" if status["passed"] else "failed"), None
    else:
        health = "not readable"
        detail = smart_error or (f"smartctl: {smart_messages(s)}" if smart_messages(s) else "smartctl gave no verdict")
    capacity = s.get("user_capacity")
    size = as_int(capacity.get("bytes")) if isinstance(capacity, dict) else None
    model = clean(s.get("model_name")) or clean(" ".join(filter(None, (clean(s.get("vendor")), clean(s.get("product"))))))
    device = s.get("device") if isinstance(s.get("device"), dict) else {}
    return Disk(name=dev["name"], model=model or clean(dev.get("model")),
                serial=clean(s.get("serial_number")) or clean(dev.get("serial")),
                size_bytes=size or as_int(dev.get("size")), type=_disk_type(dev, s),
                bus=clean(dev.get("tran")) or clean(device.get("protocol")),
                firmware=clean(s.get("firmware_version")) or clean(dev.get("rev")), health=health, health_detail=detail)
