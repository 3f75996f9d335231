"""The last shutdown from the wtmp records: ``last -x -n 3 shutdown reboot``.

The newest ``reboot`` record is this boot. The record before it says how the previous run
ended: ``shutdown system down`` is a clean shutdown; another ``reboot`` with no shutdown in
between is an unexpected one (power loss, kernel panic, reset). Recorded samples (published,
see tests/core/samples/last/SOURCE.md)::

    reboot   system boot  3.10.0-862.11.6. Sat Sep  1 09:51 - 09:45 (124+22:54)
    shutdown system down  3.10.0-693.21.1. Sat Sep  1 09:50 - 09:51  (00:00)

    reboot   system boot  3.10.0-327.18.2. Wed Dec 26 15:20 - 11:45 (8+20:24)
    reboot   system boot  3.10.0-327.18.2. Fri Dec 14 18:46 - 11:45 (20+16:58)

Only the first words of each record are read ("reboot", "shutdown": wtmp user names, not
translated). No wtmp (a container, a rotated log) or no ``last`` is "unknown".
"""

from __future__ import annotations

from collectors.base import CollectorIO, CommandOutput
from collectors.platforms.shutdown import LastShutdown


def fetch(io: CollectorIO) -> CommandOutput | None:
    try:
        return io.run(["last", "-x", "-n", "3", "shutdown", "reboot"], timeout=5)
    except (FileNotFoundError, PermissionError, TimeoutError):
        return None


def parse(out: CommandOutput | None) -> LastShutdown:
    if out is None or out.returncode != 0:
        return LastShutdown("unknown", "wtmp not readable (no `last`)")
    kinds = [line.split()[0] for line in out.stdout.decode("utf-8", "replace").splitlines()
             if line.split() and line.split()[0] in ("reboot", "shutdown")]
    if "reboot" not in kinds:
        return LastShutdown("unknown", "no boot recorded in wtmp")
    before = kinds[kinds.index("reboot") + 1:]
    if not before:
        return LastShutdown("unknown", "wtmp has no record before this boot")
    if before[0] == "shutdown":
        return LastShutdown("clean", "a shutdown record precedes this boot in wtmp")
    return LastShutdown("unexpected", "no shutdown record between the last two boots in wtmp (power loss or crash)")
