"""The Windows source on its samples (tests/printers/fixtures/windows/SOURCE.md says where they come from)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import pytest

from collectors.base import CollectorIO, CommandOutput, ParseError, State
from collectors.platforms.windows import printers
from collectors.printers import PrintersCollector
from config.checks.printers import PrintersParams
from inventory.models import Host

FIXTURES = Path(__file__).parent / "fixtures" / "windows"
CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir())


def output(data: bytes, returncode: int = 0, stderr: bytes = b"") -> CommandOutput:
    return CommandOutput(("powershell.exe",), returncode, data, stderr)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_samples_parse_to_expected_model(case: Path) -> None:
    got = json.loads(json.dumps(asdict(printers.parse(output((case / "output.json").read_bytes()))), default=str))
    assert got == json.loads((case / "expected.json").read_text())


def test_whole_collector_on_windows_through_the_command_runner() -> None:
    sample = (FIXTURES / "paused_with_stuck_jobs" / "output.json").read_bytes()
    seen: list[tuple[str, ...]] = []

    def run(argv, *, timeout, input=None, env=None):
        seen.append(tuple(argv))
        return CommandOutput(tuple(argv), 0, sample, b"")

    io = CollectorIO(run=run, platform="windows")
    collector, params, host = PrintersCollector(), PrintersParams(), Host(name="pc-17", local=True)
    model = collector.parse(collector.fetch(host, params, io))
    now = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)
    got = {(r.check, r.item): r.state for r in collector.evaluate(model, params, host, now)}
    assert seen[0][0] == "powershell.exe" and "Win32_PrintJob" in seen[0][-1]
    assert got == {
        ("printers.spooler", ""): State.OK,
        ("printers.queue", "Finance Kyocera"): State.CRIT,  # paused
        ("printers.jobs", "Finance Kyocera"): State.CRIT,  # job 4 waits 90 min; job 5 is held on purpose
        ("printers.queue", "HP LaserJet M404 2F"): State.OK,  # printing
        ("printers.jobs", "HP LaserJet M404 2F"): State.WARN,  # job 17 in error for 30 min
    }


def test_job_error_at_once_work_offline_and_missing_state() -> None:
    """A job in an error state one minute old is WARN at once (not after the 15-minute stuck
    limit); 'Use Printer Offline' is WARN; a printer without PrinterState is UNKNOWN, not ready."""
    model = printers.parse(output((FIXTURES / "job_error_offline_and_no_state" / "output.json").read_bytes()))
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    host = Host(name="pc-17", local=True)
    got = {(r.check, r.item): r for r in PrintersCollector().evaluate(model, PrintersParams(), host, now)}
    canon = "Canon LBP2900 前台"
    assert got[("printers.jobs", canon)].state is State.WARN
    assert got[("printers.jobs", canon)].summary == f"{canon}: 1 job(s) in an error state (job-error, printer-offline)"
    assert got[("printers.queue", canon)].state is State.OK
    assert got[("printers.queue", "Reception")].state is State.WARN
    assert "set to 'Use Printer Offline'" in got[("printers.queue", "Reception")].summary
    assert got[("printers.queue", "Legacy Driver Queue")].state is State.UNKNOWN
    strict = {(r.check, r.item): r.state for r in PrintersCollector().evaluate(
        model, PrintersParams(job_error_state="crit", reason_states={"work-offline": "crit"}), host, now)}
    assert (strict[("printers.jobs", canon)], strict[("printers.queue", "Reception")]) == (State.CRIT, State.CRIT)


@pytest.mark.parametrize("data, returncode, stderr, message", [
    (b"WARNING: something\r\n", 0, b"", "not JSON"),
    (b"[]", 0, b"", "expected one JSON object"),
    (b"", 1, b"Get-CimInstance : Access denied", "Access denied"),
    (b'{"Spooler":null,"Printers":[{"PrinterState":0}],"Jobs":[]}', 0, b"", "without a Name"),
    (b'{"Spooler":null,"Printers":"HP","Jobs":[]}', 0, b"", "expected JSON objects"),
    (b"\xff\xfe{\x00", 0, b"", "not UTF-8"),
], ids=["text", "array", "failed", "no-name", "printers-not-objects", "utf16"])
def test_broken_outputs_are_parse_errors(data: bytes, returncode: int, stderr: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        printers.parse(output(data, returncode, stderr))


def test_recorded_win32_printer_view() -> None:
    """Win32_Printer as a real server printed it (fixtures/recorded/SOURCES.md): two ready
    software printers; the properties the default view leaves out are null."""
    from tests.support.recorded_windows import format_list_records, json_value

    records = format_list_records((FIXTURES.parent / "recorded" / "gwmi-win32-printer-server.txt").read_text())
    rows = [{"Name": r["Name"], "PrinterState": json_value(r["PrinterState"]), "PrinterStatus": json_value(r["PrinterStatus"]),
             "DetectedErrorState": None, "WorkOffline": None, "PortName": None} for r in records]
    model = printers.parse(output(json.dumps({"Spooler": {"Name": "Spooler", "Status": 4}, "Printers": rows,
                                              "Jobs": []}).encode()))
    assert [(q.name, q.state, q.reasons) for q in model.queues] == [
        ("Microsoft XPS Document Writer", "idle", ()), ("Microsoft Print to PDF", "idle", ())]
    host, now = Host(name="thmserver2", local=True), datetime(2026, 3, 1, tzinfo=timezone.utc)
    # Both are software printers, which the default ignore_queues leaves out ...
    default = list(PrintersCollector().evaluate(model, PrintersParams(), host, now))
    assert [(r.check, r.state) for r in default] == [("printers.spooler", State.OK)]
    assert "0 queue(s) checked" in default[0].summary
    # ... and checked when asked for, both ready.
    got = {(r.check, r.item): r.state
           for r in PrintersCollector().evaluate(model, PrintersParams(ignore_queues=()), host, now)}
    assert got == {("printers.spooler", ""): State.OK,
                   **{(check, name): State.OK for check in ("printers.queue", "printers.jobs")
                      for name in ("Microsoft XPS Document Writer", "Microsoft Print to PDF")}}


def test_recorded_error_state_values() -> None:
    """Win32_Printer values a developer noted from real printers (fixtures/recorded/SOURCES.md):
    "PrinterState : 1026 PrinterStatus : 1" beside "Status : Error", and "PrinterState : 0
    PrinterStatus : 3". Only the values are recorded: the names are the test's. 1026 is
    PRINTER_STATUS_ERROR | PRINTER_STATUS_PRINTING: the queue is in error, not printing fine."""
    rows = [{"Name": "noted printer (error)", "PrinterState": 1026, "PrinterStatus": 1, "DetectedErrorState": None,
             "WorkOffline": None, "PortName": None},
            {"Name": "noted printer (ready)", "PrinterState": 0, "PrinterStatus": 3, "DetectedErrorState": None,
             "WorkOffline": None, "PortName": None}]
    model = printers.parse(output(json.dumps({"Spooler": {"Name": "Spooler", "Status": 4}, "Printers": rows,
                                              "Jobs": []}).encode()))
    queues = {q.name: q for q in model.queues}
    assert (queues["noted printer (error)"].state, queues["noted printer (error)"].reasons) == ("processing", ("printer-error",))
    assert queues["noted printer (ready)"].reasons == ()
    got = {(r.check, r.item): r.state for r in PrintersCollector().evaluate(
        model, PrintersParams(ignore_queues=()), Host(name="pc", local=True), datetime(2026, 3, 1, tzinfo=timezone.utc))}
    assert got[("printers.queue", "noted printer (error)")] is State.CRIT
    assert got[("printers.queue", "noted printer (ready)")] is State.OK
