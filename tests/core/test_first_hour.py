"""The first hour of a new user, as the README tells it: install, inspect, report.

The venv these tests run in was made by scripts/install.sh, which now installs WeasyPrint
and the Debian packages it needs by default; these tests hold the commands that follow to
what the README promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rich.cells import cell_len

REPO = Path(__file__).resolve().parents[2]


def patrol(*args: str, cwd: Path, columns: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["PATROL_CONFIG"] = ""
    if columns:
        env["COLUMNS"] = columns
    return subprocess.run([sys.executable, "-m", "agent.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


def test_inspect_then_the_default_report_formats_including_pdf(tmp_path):
    assert patrol("inspect", "--only", "system", "--no-tickets", cwd=tmp_path).returncode == 0
    result = patrol("report", "inspection", "--lang", "en", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = [tmp_path / line for line in result.stdout.split()]
    assert {p.suffix for p in written} >= {".pdf", ".html"}, written
    pdf = next(p for p in written if p.suffix == ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_mode & 0o777 == 0o600


def test_tables_fit_80_columns_when_piped_and_wide_does_not_cut(tmp_path):
    (tmp_path / "p.yaml").write_text("checks:\n  system:\n    required_processes: "
                                     "[a-process-name-far-too-long-for-any-column-of-an-80-column-table]\n")
    narrow = patrol("-c", str(tmp_path / "p.yaml"), "check", "system", cwd=tmp_path)
    assert narrow.returncode == 0, narrow.stderr
    table = [line for line in narrow.stdout.splitlines() if line.startswith(("┃", "│", "┏", "└", "┡", "╇", "━"))
             or "│" in line]
    assert table and max(cell_len(line) for line in table) <= 80
    assert "…" in narrow.stdout  # the long word ends in an ellipsis instead of breaking mid-word
    wide = patrol("-c", str(tmp_path / "p.yaml"), "check", "system", "--wide", cwd=tmp_path)
    assert "a-process-name-far-too-long-for-any-column-of-an-80-column-table" in wide.stdout


def test_every_option_and_argument_has_help():
    import argparse

    from agent.cli import build_parser

    missing = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not action.help and not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "patrol")
    assert not missing, missing
