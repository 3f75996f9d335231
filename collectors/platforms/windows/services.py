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

from collections.abc import Sequence

from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.platforms.services import ServiceStatus
from collectors.platforms.windows.powershell import as_objects, decode_json, ps_quote, run_powershell

# System.ServiceProcess.ServiceControllerStatus
_STATUS = {1: "Stopped", 2: "StartPending", 3: "StopPending", 4: "Running", 5: "ContinuePending",
           6: "PausePending", 7: "Paused"}
WHAT = "Get-Service"


def fetch(names: Sequence[str], io: CollectorIO) -> CommandOutput:
    quoted = ",".join(ps_quote(n) for n in names)
    script = (f"Get-Service -Name {quoted} -ErrorAction SilentlyContinue | "
              "Select-Object Name,Status,StartType | ConvertTo-Json -Compress")
    return run_powershell(io, script, timeout=20, what=WHAT)


def parse(names: Sequence[str], output: CommandOutput) -> tuple[ServiceStatus, ...]:
    # None of the services installed: Get-Service prints nothing (errors are silenced).
    found: dict[str, str] = {}
    for entry in as_objects(decode_json(output, WHAT, allow_empty=True), WHAT):
        if not isinstance(entry.get("Name"), str):
            raise ParseError("Get-Service output has an entry without a Name")
        status = entry.get("Status")
        found[entry["Name"].lower()] = _STATUS.get(status, str(status)) if isinstance(status, int) else str(status)
    statuses = []
    for name in names:
        status = found.get(name.lower())
        statuses.append(ServiceStatus(name=name, exists=status is not None, running=status == "Running",
                                      detail=status or "service not installed"))
    return tuple(statuses)
