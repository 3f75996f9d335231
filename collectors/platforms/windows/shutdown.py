"""The last shutdown from the System event log, by event id (language-neutral).

- 6008 (EventLog: "The previous system shutdown ... was unexpected") and 41 (Kernel-Power:
  rebooted without cleanly shutting down first), logged after this boot: unexpected.
- 1074 (User32: a process or user initiated the restart, with a reason) and 6006 (EventLog
  stopped: a clean shutdown), before this boot: clean.

Output of SCRIPT (Windows PowerShell 5.1)::

    {"Boot":"2026-12-06T02:03:11.5000000Z","Events":[{"Id":1074,"Time":"2026-12-06T02:01:40.1230000Z"},
     {"Id":6006,"Time":"2026-12-06T02:02:55.0000000Z"}]}
"""

from __future__ import annotations

import re
from datetime import datetime

from collectors.base import CollectorIO, CommandOutput, FetchError, ParseError
from collectors.platforms.shutdown import LastShutdown
from collectors.platforms.windows.powershell import as_object, as_objects, decode_json, run_powershell

WHAT = "System log shutdown events"
SCRIPT = (
    "$boot = (Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop).LastBootUpTime; "
    "$ev = @(Get-WinEvent -FilterHashtable @{LogName='System'; Id=41,1074,6006,6008; StartTime=$boot.AddDays(-2)} "
    "-MaxEvents 40 -ErrorAction SilentlyContinue | "
    "Select-Object Id, @{n='Time';e={$_.TimeCreated.ToUniversalTime().ToString('o')}}); "
    "ConvertTo-Json -InputObject ([pscustomobject]@{Boot=$boot.ToUniversalTime().ToString('o'); Events=$ev}) -Depth 3 -Compress"
)
UNEXPECTED = {6008: "event 6008 (the previous shutdown was unexpected)",
              41: "event 41 Kernel-Power (rebooted without a clean shutdown)"}
CLEAN = {1074: "event 1074 (restart initiated by a user or process)", 6006: "event 6006 (clean shutdown)"}


def fetch(io: CollectorIO) -> CommandOutput | None:
    try:
        return run_powershell(io, SCRIPT, timeout=20, what=WHAT)
    except FetchError:
        return None


_ROUND_TRIP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def _time(text: object) -> datetime:
    """.NET's round-trip format ("o"): 7 fraction digits, which Python's parser may refuse."""
    match = _ROUND_TRIP.match(text) if isinstance(text, str) else None
    if match is None:
        raise ParseError(f"{WHAT}: {text!r} is not a round-trip time")
    zone = "+00:00" if match[3] in (None, "Z") else match[3]
    return datetime.fromisoformat(f"{match[1]}.{(match[2] or '0')[:6].ljust(6, '0')}{zone}")


def parse(out: CommandOutput | None) -> LastShutdown:
    if out is None:
        return LastShutdown("unknown", "the System log could not be read")
    try:
        data = as_object(decode_json(out, WHAT), WHAT)
        boot = _time(data.get("Boot"))
        events = [(e.get("Id"), _time(e.get("Time"))) for e in as_objects(data.get("Events"), WHAT)]
    except (ParseError, ValueError) as exc:
        return LastShutdown("unknown", f"the System log could not be read: {exc}")
    after = [i for i, t in events if t >= boot and i in UNEXPECTED]
    if after:
        return LastShutdown("unexpected", UNEXPECTED[after[0]])
    before = sorted(((t, i) for i, t in events if t < boot and i in CLEAN), reverse=True)
    if before:
        return LastShutdown("clean", CLEAN[before[0][1]])
    return LastShutdown("unknown", "no shutdown event recorded before this boot")
