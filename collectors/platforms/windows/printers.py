"""Windows print system: the spooler service, Win32_Printer and Win32_PrintJob.

WMI's ``PrinterStatus`` and ``DetectedErrorState`` miss most offline printers; the
spooler's own status word (PRINTER_STATUS_* flags, MS-RPRN 2.2.3.12,
https://learn.microsoft.com/openspecs/windows_protocols/ms-rprn/1625e9d9-29e4-48f4-b83d-3bd0fdaea787)
is what Win32_Printer.PrinterState really carries (128 offline, 1024 printing, ...), so we
decode that, plus ``WorkOffline`` (the user's "Use Printer Offline"). Output of SCRIPT::

    {"Spooler": {"Name": "Spooler", "Status": 4},
     "Printers": [{"Name": "HP LaserJet M404", "PrinterState": 128, "WorkOffline": false,
                   "PortName": "IP_10.0.0.5", "PrinterStatus": 3, "DetectedErrorState": 0}],
     "Jobs": [{"Name": "HP LaserJet M404, 12", "JobId": 12, "StatusMask": 32, "Submitted": 1700000000}]}

Job document names are not asked for: they are the user's file names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.platforms.windows.powershell import as_objects, decode_json, run_powershell
from collectors.printing.model import PrintJob, PrintQueue, PrintSystem, QueueState

WHAT = "Win32_Printer query"
SCRIPT = (
    "$s = Get-Service -Name Spooler -ErrorAction SilentlyContinue | Select-Object Name,@{n='Status';e={[int]$_.Status}}; "
    "$p = @(Get-CimInstance -ClassName Win32_Printer -ErrorAction SilentlyContinue | "
    "Select-Object Name,PrinterState,PrinterStatus,DetectedErrorState,WorkOffline,PortName); "
    "$j = @(Get-CimInstance -ClassName Win32_PrintJob -ErrorAction SilentlyContinue | "
    "Select-Object Name,JobId,StatusMask,@{n='Submitted';e={([DateTimeOffset]$_.TimeSubmitted).ToUnixTimeSeconds()}}); "
    "[pscustomobject]@{Spooler=$s; Printers=$p; Jobs=$j} | ConvertTo-Json -Depth 3 -Compress"
)

# PRINTER_STATUS_* flag -> reason keyword (collectors/printing/reasons.py). Flags that only
# say the printer is busy (IO_ACTIVE, BUSY, PRINTING, PROCESSING, ...) set the state instead.
PRINTER_FLAGS: Mapping[int, str] = {
    0x00000001: "paused",
    0x00000002: "printer-error",
    0x00000004: "pending-deletion",
    0x00000008: "media-jam",
    0x00000010: "media-empty",
    0x00000020: "manual-feed",
    0x00000040: "paper-problem",
    0x00000080: "offline",
    0x00000800: "output-area-full",
    0x00001000: "not-available",
    0x00020000: "toner-low",
    0x00040000: "toner-empty",
    0x00080000: "page-punt",
    0x00100000: "user-intervention",
    0x00200000: "out-of-memory",
    0x00400000: "door-open",
    0x00800000: "server-unknown",
    0x02000000: "offline",  # PRINTER_STATUS_SERVER_OFFLINE
}
PAUSED = 0x00000001
PENDING_DELETION = 0x00000004
BUSY_FLAGS = 0x00000100 | 0x00000200 | 0x00000400 | 0x00004000 | 0x00008000 | 0x00010000  # io, busy, printing, processing, init, warm-up

# JOB_STATUS_* flags (winspool.h; Win32_PrintJob.StatusMask).
JOB_PAUSED, JOB_ERROR, JOB_DELETING, JOB_SPOOLING, JOB_PRINTING = 0x1, 0x2, 0x4, 0x8, 0x10
JOB_OFFLINE, JOB_PAPEROUT, JOB_PRINTED, JOB_DELETED, JOB_BLOCKED = 0x20, 0x40, 0x80, 0x100, 0x200
JOB_USER_INTERVENTION = 0x400
JOB_FLAGS: Mapping[int, str] = {JOB_ERROR: "job-error", JOB_OFFLINE: "printer-offline", JOB_PAPEROUT: "media-empty",
                                JOB_BLOCKED: "blocked", JOB_USER_INTERVENTION: "user-intervention"}
SPOOLER_RUNNING = 4  # System.ServiceProcess.ServiceControllerStatus.Running


def fetch(io: CollectorIO, timeout: float) -> CommandOutput:
    return run_powershell(io, SCRIPT, timeout=timeout, what=WHAT)


def _int(row: Mapping[str, Any], key: str) -> int:
    value = row.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def queue_from(row: Mapping[str, Any]) -> PrintQueue:
    name = row.get("Name")
    if not isinstance(name, str) or not name:
        raise ParseError("Win32_Printer: a printer without a Name")
    raw_state = row.get("PrinterState")
    known = isinstance(raw_state, int) and not isinstance(raw_state, bool)
    flags = _int(row, "PrinterState") & 0xFFFFFFFF
    reasons = [reason for flag, reason in PRINTER_FLAGS.items() if flags & flag]
    if row.get("WorkOffline") is True:
        reasons.append("work-offline")
    # A printer without PrinterState (some drivers, WMI errors) is not known to be ready.
    state: QueueState = ("unknown" if not known else "stopped" if flags & PAUSED
                         else "processing" if flags & BUSY_FLAGS else "idle")
    return PrintQueue(name=name, state=state, accepting=not flags & PENDING_DELETION,
                      reasons=tuple(dict.fromkeys(reasons)), device=str(row.get("PortName") or ""))


def job_from(row: Mapping[str, Any]) -> PrintJob | None:
    mask = _int(row, "StatusMask")
    if mask & (JOB_PRINTED | JOB_DELETED | JOB_DELETING):
        return None  # done or going away: not waiting
    # Win32_PrintJob.Name is "<printer name>, <job id>"
    queue = str(row.get("Name") or "").rsplit(",", 1)[0].strip()
    job_id = _int(row, "JobId")
    reasons = tuple(reason for flag, reason in JOB_FLAGS.items() if mask & flag)
    state = ("held" if mask & JOB_PAUSED else "stopped" if reasons
             else "processing" if mask & JOB_PRINTING else "pending")
    submitted = row.get("Submitted")
    created = datetime.fromtimestamp(submitted, timezone.utc) if isinstance(submitted, int) and submitted > 0 else None
    return PrintJob(queue=queue, job_id=job_id, state=state, created_at=created, reasons=reasons)


def parse(output: CommandOutput) -> PrintSystem:
    data = decode_json(output, WHAT)
    if not isinstance(data, dict):
        raise ParseError("Win32_Printer query: expected one JSON object with Spooler, Printers and Jobs")
    spooler = data.get("Spooler")
    if not isinstance(spooler, dict):
        running, detail = False, "the Spooler service is not installed"
    else:
        status = spooler.get("Status")
        running = status == SPOOLER_RUNNING or status == "Running"
        detail = "running" if running else f"Spooler service status {status}"
    queues = tuple(queue_from(row) for row in as_objects(data.get("Printers"), "Win32_Printer"))
    jobs = tuple(job for row in as_objects(data.get("Jobs"), "Win32_PrintJob") if (job := job_from(row)) is not None)
    return PrintSystem("Windows print spooler", running, detail, queues, jobs)
