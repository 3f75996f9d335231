"""This computer's identity for the collector (protocol.MachineIdentity).

The collector finds a computer again by its SMBIOS UUID (the firmware's, survives an OS
reinstall) or its OS machine id (survives a re-enrolment), never by IP or name
(agent/serve/registry.py). Sources:

- Linux: ``/etc/machine-id`` (systemd; ``/var/lib/dbus/machine-id`` on older systems),
  32 lowercase hex digits and a newline; ``/sys/class/dmi/id/product_uuid``, the SMBIOS
  UUID, readable by root only on most distributions (missing is fine: the machine id
  alone identifies the computer until its OS is reinstalled).
- Windows: ``HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MachineGuid`` (set at install) and
  ``Win32_ComputerSystemProduct.UUID`` (SMBIOS), read by one PowerShell call that prints
  JSON (``WINDOWS_SCRIPT``).

fetch (I/O through an injected ``CollectorIO``) and parse (pure, tested on recorded
outputs in tests/fleet/fixtures/identity/) are separate, as for every check.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable

from agent.fleet.protocol import MachineIdentity
from collectors.base import CollectorIO, CommandOutput, FetchError, ParseError

LINUX_MACHINE_ID_PATHS = ("/etc/machine-id", "/var/lib/dbus/machine-id")
LINUX_PRODUCT_UUID_PATH = "/sys/class/dmi/id/product_uuid"
WINDOWS_TIMEOUT_S = 30.0
# One call for both values; a missing one is $null, not an error (a VM without SMBIOS
# data, a locked-down registry). -ErrorAction: a failing part must not hide the other.
WINDOWS_SCRIPT = (
    "$g = (Get-ItemProperty -Path 'HKLM:\\SOFTWARE\\Microsoft\\Cryptography' -Name MachineGuid "
    "-ErrorAction SilentlyContinue).MachineGuid; "
    "$u = (Get-CimInstance -ClassName Win32_ComputerSystemProduct -ErrorAction SilentlyContinue).UUID; "
    "[pscustomobject]@{MachineGuid = $g; UUID = $u; ComputerName = $env:COMPUTERNAME} | ConvertTo-Json -Compress"
)

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_GUID_BRACES = re.compile(r"^\{(.*)\}$")


class IdentityError(Exception):
    """Neither a machine id nor an SMBIOS UUID could be read: enrolment would not survive a reinstall."""


def parse_machine_id(text: str) -> str | None:
    """``/etc/machine-id``: 32 hex digits. An empty file (an image not yet booted, where
    systemd fills it at first boot) or anything else is None."""
    value = text.strip().lower()
    return value if _HEX32.match(value) else None


def parse_uuid(text: str | None) -> str | None:
    """A UUID as ``product_uuid`` or WMI prints it (any case, braces allowed), lowercased;
    None when it is not a UUID (firmware that fills in "Not Settable" or blanks)."""
    if not text:
        return None
    value = text.strip()
    if (m := _GUID_BRACES.match(value)) is not None:
        value = m.group(1)
    value = value.lower()
    return value if _UUID.match(value) else None


def parse_windows(out: CommandOutput, hostname: str) -> MachineIdentity:
    """The JSON ``WINDOWS_SCRIPT`` prints -> identity; ``ParseError`` when it is not that JSON."""
    from collectors.platforms.windows.powershell import decode_json

    data = decode_json(out, "machine identity")
    if not isinstance(data, dict):
        raise ParseError(f"machine identity: expected a JSON object, got {type(data).__name__}")
    guid, uuid = data.get("MachineGuid"), data.get("UUID")
    return MachineIdentity(hostname=hostname, machine_id=parse_uuid(guid if isinstance(guid, str) else None),
                           smbios_uuid=parse_uuid(uuid if isinstance(uuid, str) else None))


def _read(io: CollectorIO, path: str) -> str | None:
    try:
        return io.path(path).read_text(encoding="ascii", errors="replace")
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        return None
    except OSError:  # an unreadable sysfs attribute (EIO on some firmware)
        return None


def linux_identity(io: CollectorIO, hostname: str) -> MachineIdentity:
    machine_id = None
    for path in LINUX_MACHINE_ID_PATHS:
        text = _read(io, path)
        if text is not None and (machine_id := parse_machine_id(text)) is not None:
            break
    return MachineIdentity(hostname=hostname, machine_id=machine_id,
                           smbios_uuid=parse_uuid(_read(io, LINUX_PRODUCT_UUID_PATH)))


def windows_identity(io: CollectorIO, hostname: str) -> MachineIdentity:
    from collectors.platforms.windows.powershell import run_powershell

    out = run_powershell(io, WINDOWS_SCRIPT, timeout=WINDOWS_TIMEOUT_S, what="machine identity")
    return parse_windows(out, hostname)


def machine_identity(io: CollectorIO, hostname: Callable[[], str] = socket.gethostname, *,
                     override: str | None = None) -> MachineIdentity:
    """This computer's identity; ``IdentityError`` when it has no stable id at all.
    ``override`` (agent.machine_id) replaces the ids read from the computer."""
    name = (hostname() or "").strip() or "unknown"
    name = name[:128]
    if override:
        return MachineIdentity(hostname=name, machine_id=override.strip().lower(), smbios_uuid=None)
    try:
        ident = windows_identity(io, name) if io.platform == "windows" else linux_identity(io, name)
    except (FetchError, ParseError) as exc:
        raise IdentityError(f"cannot read this computer's identity: {exc}") from None
    if ident.machine_id is None and ident.smbios_uuid is None:
        where = ("MachineGuid or Win32_ComputerSystemProduct.UUID" if io.platform == "windows"
                 else f"{' or '.join(LINUX_MACHINE_ID_PATHS)} (run `systemd-machine-id-setup`)")
        raise IdentityError(f"this computer has no machine id: none readable from {where}")
    return ident
