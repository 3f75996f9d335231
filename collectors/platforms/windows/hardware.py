"""Windows devices with a problem: Win32_PnPEntity where ConfigManagerErrorCode is not 0.

Output of SCRIPT (the total lets the OK summary say how many devices were looked at)::

    {"Total":142,"Problems":[{"Name":"PCI Simple Communications Controller",
      "PNPDeviceID":"PCI\\\\VEN_8086&DEV_A3BA&SUBSYS_09281028&REV_00\\\\3&11583659&0&B3",
      "PNPClass":null,"ConfigManagerErrorCode":28}]}

Codes are decoded by collectors/platforms/windows/hardware_codes.py.
"""

from __future__ import annotations

from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.hardware import DeviceIssue, HardwareSnapshot
from collectors.platforms.windows.hardware_codes import describe
from collectors.platforms.windows.powershell import as_objects, decode_json, run_powershell

WHAT = "Win32_PnPEntity query"
SCRIPT = (
    "$all = @(Get-CimInstance -ClassName Win32_PnPEntity -ErrorAction Stop); "
    "$bad = @($all | Where-Object { $_.ConfigManagerErrorCode -ne 0 } | "
    "Select-Object Name,PNPDeviceID,PNPClass,ConfigManagerErrorCode); "
    "[pscustomobject]@{Total=$all.Count; Problems=$bad} | ConvertTo-Json -Depth 3 -Compress"
)


def fetch(io: CollectorIO, timeout: float) -> CommandOutput:
    return run_powershell(io, SCRIPT, timeout=timeout, what=WHAT)


def parse(output: CommandOutput) -> HardwareSnapshot:
    data = decode_json(output, WHAT)
    if not isinstance(data, dict) or not isinstance(data.get("Total"), int):
        raise ParseError("Win32_PnPEntity query: expected an object with Total and Problems")
    issues = []
    for row in as_objects(data.get("Problems"), "Win32_PnPEntity"):
        code, device_id = row.get("ConfigManagerErrorCode"), row.get("PNPDeviceID")
        if not isinstance(code, int) or not isinstance(device_id, str):
            raise ParseError("Win32_PnPEntity: an entry without PNPDeviceID or ConfigManagerErrorCode")
        if code == 0:
            continue
        name, meaning, category, _state = describe(code)
        label = str(row.get("Name") or "") or device_id
        cls = row.get("PNPClass")
        issues.append(DeviceIssue(device_id=device_id, name=label + (f" [{cls}]" if cls else ""), category=category,
                                  code=str(code), meaning=f"code {code} {name}: {meaning}"))
    return HardwareSnapshot(platform="windows", source="Win32_PnPEntity", devices_total=data["Total"],
                            issues=tuple(issues))
