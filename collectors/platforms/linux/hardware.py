"""Linux devices without a driver (sysfs) and kernel error lines (dmesg, else journalctl).

sysfs layout read (recorded trees in tests/hardware/fixtures/sysfs/)::

    /sys/bus/pci/devices/0000:00:1f.3/class     0x040380
    /sys/bus/pci/devices/0000:00:1f.3/vendor    0x8086
    /sys/bus/pci/devices/0000:00:1f.3/device    0xa348
    /sys/bus/pci/devices/0000:00:1f.3/driver -> ../../../bus/pci/drivers/snd_hda_intel   (absent: no driver)
    /sys/bus/usb/devices/1-2:1.0/bInterfaceClass   03         (an interface; drivers bind to these)
    /sys/bus/usb/devices/1-2/idVendor, idProduct, product     (its device)

Kernel error lines (``dmesg --level=emerg,alert,crit,err --notime``)::

    usb 1-2: device descriptor read/64, error -71
    ata2: COMRESET failed (errno=-16)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.hardware import DeviceIssue, HardwareSnapshot

PCI_DEVICES = "/sys/bus/pci/devices"
USB_DEVICES = "/sys/bus/usb/devices"
# PCI base classes (PCI Code and ID Assignment spec), enough to name a device in a summary.
PCI_CLASSES = {"00": "unclassified device", "01": "storage controller", "02": "network controller",
               "03": "display controller", "04": "multimedia controller", "05": "memory controller",
               "06": "bridge", "07": "communication controller", "08": "system peripheral", "09": "input device",
               "0a": "docking station", "0b": "processor", "0c": "serial bus controller (USB/SMBus)",
               "0d": "wireless controller", "0e": "intelligent controller", "0f": "satellite controller",
               "10": "encryption controller", "11": "signal processing controller", "12": "processing accelerator",
               "ff": "vendor-specific device"}
USB_CLASSES = {"01": "audio", "02": "communications", "03": "HID (keyboard/mouse)", "06": "imaging", "07": "printer",
               "08": "mass storage", "09": "hub", "0a": "CDC data", "0b": "smart card", "0e": "video",
               "e0": "wireless (Bluetooth)", "ef": "miscellaneous", "fe": "application specific",
               "ff": "vendor-specific"}
KERNEL_LOG_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("dmesg", "--level=emerg,alert,crit,err", "--notime"),
    ("journalctl", "-k", "-b", "-p", "err", "-o", "cat", "--no-pager", "-q"),
)


@dataclass(frozen=True, slots=True)
class SysfsSample:
    pci: tuple[Mapping[str, str], ...]
    usb: tuple[Mapping[str, str], ...]
    kernel: tuple[CommandOutput, ...] | None  # outputs tried in order; None when not asked
    kernel_error: str = ""  # why no kernel log command could run at all
    max_lines: int = 500


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return ""


def _driver(path: Path) -> str:
    """The bound driver's name from the ``driver`` symlink ("" when there is none).

    Only the link's own text is read, so a recorded tree need not contain the target."""
    link = path / "driver"
    try:
        return os.readlink(link).rstrip("/").rsplit("/", 1)[-1] if link.is_symlink() else ""
    except OSError:
        return ""


def read_pci(io: CollectorIO) -> tuple[dict[str, str], ...]:
    root = io.path(PCI_DEVICES)
    if not root.is_dir():
        return ()
    return tuple({"slot": dev.name, "class": _read(dev / "class"), "vendor": _read(dev / "vendor"),
                  "device": _read(dev / "device"), "driver": _driver(dev)}
                 for dev in sorted(root.iterdir()))


def read_usb(io: CollectorIO) -> tuple[dict[str, str], ...]:
    root = io.path(USB_DEVICES)
    if not root.is_dir():
        return ()
    interfaces = []
    for entry in sorted(root.iterdir()):
        if ":" not in entry.name:  # a device or root hub; drivers that matter bind to its interfaces
            continue
        device = entry.name.split(":", 1)[0]
        # A root hub's interface is "1-0:1.0" while its device directory is "usb1".
        parent = root / (f"usb{device[:-2]}" if device.endswith("-0") else device)
        interfaces.append({"id": entry.name, "class": _read(entry / "bInterfaceClass"),
                           "vendor": _read(parent / "idVendor"), "product_id": _read(parent / "idProduct"),
                           "product": _read(parent / "product"), "driver": _driver(entry)})
    return tuple(interfaces)


def fetch(io: CollectorIO, *, kernel_log: str, max_lines: int, timeout: float) -> SysfsSample:
    kernel: list[CommandOutput] | None = None
    missing: list[str] = []
    if kernel_log != "off":
        kernel = []
        for argv in KERNEL_LOG_COMMANDS:
            try:
                output = io.run(argv, timeout=timeout)
            except FileNotFoundError:
                missing.append(argv[0])
                continue
            except TimeoutError:
                missing.append(f"{argv[0]} (timed out after {timeout:g} s)")
                continue
            kernel.append(output)
            if output.returncode == 0:
                break
    return SysfsSample(read_pci(io), read_usb(io), None if kernel is None else tuple(kernel),
                       "not found: " + ", ".join(missing) if missing else "", max_lines)


def _kernel_lines(sample: SysfsSample) -> tuple[tuple[str, ...] | None, str]:
    if sample.kernel is None:
        return None, ""
    for output in sample.kernel:
        text = output.stdout.decode("utf-8", "replace")
        if output.returncode == 0:
            lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("-- ")]
            return tuple(lines[-sample.max_lines:]), ""
    tried = "; ".join(f"{o.argv[0]}: " + (" ".join(o.stderr.decode("utf-8", "replace").split())[:120] or f"exit {o.returncode}")
                      for o in sample.kernel)
    return None, "kernel log not readable (" + "; ".join(filter(None, [tried, sample.kernel_error])) + ")"


def parse(sample: SysfsSample) -> HardwareSnapshot:
    issues = []
    for dev in sample.pci:
        cls = dev.get("class", "").lower().removeprefix("0x")
        if not re.fullmatch(r"[0-9a-f]{6}", cls):
            raise ParseError(f"sysfs: PCI device {dev.get('slot')} has no readable class ({dev.get('class')!r})")
        if dev.get("driver"):
            continue
        ids = f"{dev.get('vendor', '').removeprefix('0x')}:{dev.get('device', '').removeprefix('0x')}"
        kind = PCI_CLASSES.get(cls[:2], f"class {cls}")
        issues.append(DeviceIssue(device_id=f"pci {dev['slot']}", name=f"{kind} [{ids}] (class 0x{cls})",
                                  category="driver", code="no-driver", meaning="no kernel driver bound",
                                  device_class=cls))
    for iface in sample.usb:
        if iface.get("driver"):
            continue
        cls = iface.get("class", "").lower()
        product = iface.get("product") or USB_CLASSES.get(cls, f"class {cls or '?'}")
        ids = f"{iface.get('vendor', '')}:{iface.get('product_id', '')}"
        issues.append(DeviceIssue(device_id=f"usb {iface['id']}", name=f"{product} [{ids}] ({USB_CLASSES.get(cls, 'class ' + cls)})",
                                  category="driver", code="no-driver", meaning="no kernel driver bound"))
    lines, kernel_error = _kernel_lines(sample)
    return HardwareSnapshot(platform="linux", source="sysfs", devices_total=len(sample.pci) + len(sample.usb),
                            issues=tuple(issues), kernel_lines=lines, kernel_error=kernel_error,
                            reports_device_errors=False)
