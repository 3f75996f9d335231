"""Windows services: are the required services running?

Fetched with PowerShell as JSON. Raw sample (``Get-Service -Name Spooler,WinDefend -ErrorAction
SilentlyContinue | Select-Object Name,Status,StartType | ConvertTo-Json``), as Windows
PowerShell 5.1 prints enums (numbers: Status 4 = Running, 1 = Stopped; StartType 2 = Automatic)::

    [{"Name": "Spooler", "Status": 4, "StartType": 2},
     {"Name": "WinDefend", "Status": 1, "StartType": 2}]

One service comes back as a bare object, not an array (ConvertTo-Json unwraps single
items); PowerShell 7 prints enum names ("Running") instead of numbers. Both are handled.
Source of the shapes: the ServiceControllerStatus enumeration in the .NET docs
(https://learn.microsoft.com/dotnet/api/system.serviceprocess.servicecontrollerstatus).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from collectors.base import CollectorIO, CommandOutput, FetchError, ParseError
from collectors.platforms.services import ServiceStatus

# System.ServiceProcess.ServiceControllerStatus
_STATUS = {1: "Stopped", 2: "StartPending", 3: "StopPending", 4: "Running", 5: "ContinuePending",
           6: "PausePending", 7: "Paused"}


def powershell(script: str) -> list[str]:
    return ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command",
            "[Console]::OutputEncoding = [Text.Encoding]::UTF8; " + script]


def fetch(names: Sequence[str], io: CollectorIO) -> CommandOutput:
    quoted = ",".join("'" + n.replace("'", "''") + "'" for n in names)
    script = (f"Get-Service -Name {quoted} -ErrorAction SilentlyContinue | "
              "Select-Object Name,Status,StartType | ConvertTo-Json -Compress")
    try:
        return io.run(powershell(script), timeout=20)
    except FileNotFoundError:
        raise FetchError("powershell.exe not found") from None


def parse(names: Sequence[str], output: CommandOutput) -> tuple[ServiceStatus, ...]:
    try:
        text = output.text("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise ParseError("Get-Service output is not UTF-8") from None
    if output.returncode != 0 and not text:
        raise ParseError(f"Get-Service failed: {output.stderr.decode('utf-8', 'replace').strip()[:200]}")
    try:
        data = json.loads(text) if text else []
    except json.JSONDecodeError as exc:
        raise ParseError(f"Get-Service output is not JSON ({exc.msg} at char {exc.pos})") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ParseError(f"Get-Service output is a JSON {type(data).__name__}, expected objects")
    found: dict[str, str] = {}
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("Name"), str):
            raise ParseError("Get-Service output has an entry without a Name")
        status = entry.get("Status")
        found[entry["Name"].lower()] = _STATUS.get(status, str(status)) if isinstance(status, int) else str(status)
    statuses = []
    for name in names:
        status = found.get(name.lower())
        statuses.append(ServiceStatus(name=name, exists=status is not None, running=status == "Running",
                                      detail=status or "service not installed"))
    return tuple(statuses)
