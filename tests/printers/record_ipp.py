"""Record CUPS IPP replies as parser fixtures: ``.venv/bin/python -m tests.printers.record_ipp``.

Starts a private cupsd (tests/printers/cups_server.py), sets up each case, and writes
``printers.ipp`` (CUPS-Get-Printers reply), ``jobs.ipp`` (Get-Jobs reply) and
``expected.json`` (what the parser made of them; review it before committing) into
tests/printers/fixtures/ipp/<case>/.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from collectors.platforms.linux import printers as cups
from collectors.printing import ipp
from tests.printers.cups_server import Cups, start_cups

FIXTURES = Path(__file__).parent / "fixtures" / "ipp"


def model_json(model) -> dict:
    return json.loads(json.dumps(asdict(model), default=str))


def record(c: Cups, case: str, note: str) -> None:
    server = ipp.IppServer("127.0.0.1", c.port)
    raw = cups.CupsReplies(str(server), server.post(cups.printers_request(), timeout=5),
                           server.post(cups.jobs_request(), timeout=5))
    folder = FIXTURES / case
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "printers.ipp").write_bytes(raw.printers or b"")
    (folder / "jobs.ipp").write_bytes(raw.jobs or b"")
    (folder / "SOURCE.md").write_text(f"Recorded from CUPS {cups_version()} (Debian 12 cupsd, tests/printers/record_ipp.py): {note}\n")
    (folder / "expected.json").write_text(json.dumps(model_json(cups.parse(raw)), indent=2) + "\n")


def cups_version() -> str:
    import subprocess
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "cups-daemon"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="patrol-cups-rec-"))
    c = start_cups(root)
    try:
        record(c, "no_queues", "a CUPS with no queue at all (CUPS-Get-Printers answers client-error-not-found)")
        c.admin("lpadmin", "-p", "office", "-E", "-v", "file:///dev/null", "-m", "raw")
        c.admin("lpadmin", "-p", "lab", "-E", "-v", "file:///dev/null", "-m", "raw")
        record(c, "two_idle_queues", "two idle queues on file:///dev/null, no jobs")
        c.admin("cupsdisable", "-r", "out of paper in tray 2", "office")
        c.admin("lp", "-d", "office", "-t", "report", "/etc/hostname")
        c.admin("cupsreject", "-r", "moving to new server", "lab")
        record(c, "paused_and_rejecting", "office paused with `cupsdisable -r` and one job pending; lab rejecting (`cupsreject`)")
        c.admin("lpadmin", "-p", "dead", "-E", "-v", "socket://user:secret@127.0.0.1:9", "-m", "raw")
        c.admin("lp", "-d", "dead", "/etc/hostname")
        time.sleep(3)
        record(c, "unreachable_printer", "queue on socket://127.0.0.1:9 (nothing listens) with a job the backend keeps retrying;"
                                         " its device URI has user:secret, which CUPS itself hides from the reply")
    finally:
        c.process.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
