"""Run a PowerShell script that prints JSON, and read that JSON back as a list of objects.

Shared by the Windows sources of the printers, software and hardware checks. Quirks handled
here once: output may start with a UTF-8 BOM; ``ConvertTo-Json`` prints a single object
bare (not in an array) and nothing at all for an empty pipeline.
"""

from __future__ import annotations

import json
from typing import Any

from collectors.base import CollectorIO, CommandOutput, FetchError, ParseError
from collectors.platforms.windows.services import powershell


def run_script(script: str, io: CollectorIO, *, timeout: float) -> CommandOutput:
    try:
        return io.run(powershell(script), timeout=timeout)
    except FileNotFoundError:
        raise FetchError("powershell.exe not found") from None
    except TimeoutError:
        raise FetchError(f"PowerShell did not finish within {timeout:g} s") from None


def load_json(output: CommandOutput, what: str) -> Any:
    """The decoded JSON; ``None`` for empty output. ``ParseError`` names ``what`` ran."""
    try:
        text = output.text("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise ParseError(f"{what}: output is not UTF-8") from None
    if output.returncode != 0 and not text:
        err = " ".join(output.stderr.decode("utf-8", "replace").split())[:200]
        raise ParseError(f"{what} failed (exit code {output.returncode}): {err or 'no message'}")
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{what}: output is not JSON ({exc.msg} at char {exc.pos})") from None


def as_rows(value: Any, what: str) -> list[dict[str, Any]]:
    """A JSON value that should be objects: a bare object becomes one row, null none."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise ParseError(f"{what}: expected JSON objects, got {type(value).__name__}")
    return value
