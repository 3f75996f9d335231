"""Replay recorded PowerShell outputs from a fixture folder as if PowerShell printed them.

The fetch layer runs unchanged: each script is recognized by the cmdlet or class it uses
and answered with ``<source>.json`` (stdout), ``<source>.stderr`` and ``<source>.rc``; a
``<source>.txt`` instead is a published recording (list view or wmic), turned into the
script's JSON by tests/support/recorded_windows.py.
A script with no recording fails the test, so a source that must not run (Security
Center on Server) is caught.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from collectors.base import CheckResult, CommandOutput, State
from tests.support.recorded_windows import recording_as_script_json

# Which recording answers which script: (text in the script, file stem).
SCRIPT_MARKERS = (
    ("Win32_OperatingSystem", "edition"),
    ("SecurityCenter2", "security_center"),
    ("Get-MpComputerStatus", "defender"),
    ("Get-Process", "windows_known_av"),
    ("Get-Service", "windows_third_party"),
    ("Microsoft.Update.Session", "windows_update"),
)


class Replay:
    def __init__(self, folder: Path):
        self.folder = folder
        self.calls: list[str] = []

    def __call__(self, argv: Sequence[str], *, timeout: float, input: bytes | None = None,
                 env: Mapping[str, str] | None = None) -> CommandOutput:
        script = argv[-1]
        for marker, stem in SCRIPT_MARKERS:
            if marker in script:
                break
        else:
            raise AssertionError(f"no recording for script {script[:80]!r}")
        self.calls.append(stem)
        stdout_file, recording = self.folder / f"{stem}.json", self.folder / f"{stem}.txt"
        if stdout_file.exists():
            stdout = stdout_file.read_bytes()
        elif recording.exists():  # a published list-view / wmic recording (tests/support/recorded_windows.py)
            stdout = recording_as_script_json(recording.read_text(encoding="utf-8"), script)
        else:
            raise AssertionError(f"{self.folder.name}: the check ran {stem} but the case has no {stem}.json or {stem}.txt")
        stderr_file, rc_file = self.folder / f"{stem}.stderr", self.folder / f"{stem}.rc"
        return CommandOutput(tuple(argv), int(rc_file.read_text()) if rc_file.exists() else 0, stdout,
                             stderr_file.read_bytes() if stderr_file.exists() else b"")


def load_expected(folder: Path) -> dict:
    return json.loads((folder / "expected.json").read_text())


def compare(results: list[CheckResult], expected: list[dict], case: str) -> None:
    """Every expected row matches; every WARN/CRIT/UNKNOWN that happened was expected (no false alarms)."""
    actual = {(r.check, r.item): r for r in results}
    assert len(actual) == len(results), f"{case}: duplicate (check, item) in {[r.key() for r in results]}"
    listed = set()
    for row in expected:
        key = (row["check"], row["item"])
        listed.add(key)
        assert key in actual, f"{case}: missing result {key}; got {sorted(actual)}"
        got = actual[key]
        assert got.state is State(row["state"]), f"{case}: {key} is {got.state.value}: {got.summary}"
        metrics = {m.name: m.value for m in got.metrics if not m.labels}
        for name, value in row.get("metrics", {}).items():
            assert abs(metrics[name] - value) < 0.01, f"{case}: {key} metric {name} = {metrics.get(name)}, expected {value}"
        if "summary_contains" in row:
            assert row["summary_contains"] in got.summary, f"{case}: {key} summary {got.summary!r}"
    for key, got in actual.items():
        if key not in listed:
            assert got.state is State.OK, f"{case}: unexpected {got.state.value} for {key}: {got.summary}"


def now_of(expected: dict) -> datetime:
    return datetime.fromisoformat(expected["now"])


def run_case(collector, folder: Path, host, *, platform: str = "windows", run=None, **params_extra) -> Replay | object:
    """fetch (replayed) -> parse -> evaluate for one fixture folder, compared with its expected.json."""
    from collectors.base import CollectorIO

    expected = load_expected(folder)
    params = collector.params_model.model_validate({**params_extra, **expected["params"]})
    runner = run or Replay(folder)
    io = CollectorIO(run=runner, platform=platform, fs_root=folder / "fs-root")
    model = collector.parse(collector.fetch(host, params, io))
    compare(list(collector.evaluate(model, params, host, now_of(expected))), expected["results"], folder.name)
    assert (folder / "SOURCE.md").read_text().strip(), f"{folder.name}: SOURCE.md says where the sample comes from"
    return runner
