"""PowerShell as a data source: run one script, keep what it printed, decode its JSON.

Used by the antivirus and patches families. The fetch side is thin (one ``io.run`` call);
everything that interprets the output (error classification, JSON, dates) is pure and
tested on recorded outputs in tests/antivirus/fixtures and tests/patches/fixtures.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from collectors.base import CollectorIO, FetchError, ParseError

# UTF-8 on stdout whatever the console code page is (a zh-CN machine defaults to 936):
# the parsers decode strictly as UTF-8, so a stray code page shows as a clear error.
PREAMBLE = "[Console]::OutputEncoding = [Text.Encoding]::UTF8; $ProgressPreference = 'SilentlyContinue'; "


@dataclass(frozen=True, slots=True)
class PsOutput:
    """What one PowerShell call printed (the raw sample of a Windows data source)."""

    stdout: bytes
    stderr: str = ""
    returncode: int = 0


def powershell_argv(executable: str, script: str) -> list[str]:
    return [executable, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", PREAMBLE + script]


def run_powershell(io: CollectorIO, executable: str, script: str, *, timeout: float, what: str) -> PsOutput:
    """Run ``script``; a missing PowerShell or a timeout is a ``FetchError`` naming ``what``."""
    try:
        out = io.run(powershell_argv(executable, script), timeout=timeout)
    except FileNotFoundError:
        raise FetchError(f"{what}: PowerShell not found ({executable}); install it or set the 'powershell' setting") from None
    except TimeoutError:
        raise FetchError(f"{what}: PowerShell did not finish within {timeout:g} s") from None
    return PsOutput(out.stdout, out.stderr.decode("utf-8", "replace"), out.returncode)


# Error text PowerShell/WMI print, by the condition an engineer acts on. English and the
# HRESULTs (which are the same in every language) are matched; a localized message
# without an HRESULT falls through to the generic "failed" reason with its first line.
_KNOWN_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"0x80070005|0x80041003|access is denied|access denied|UnauthorizedAccess", re.I), "access denied"),
    (re.compile(r"0x8004100E|invalid namespace", re.I), "WMI namespace missing"),
    (re.compile(r"0x80041010|invalid class", re.I), "WMI class missing"),
    (re.compile(r"is not recognized as the name of a cmdlet|CommandNotFoundException", re.I), "cmdlet missing"),
    (re.compile(r"0x800106BA", re.I), "Defender service not running"),
)


def classify_error(stderr: str) -> str | None:
    """The known condition named in ``stderr``, or None."""
    for pattern, reason in _KNOWN_ERRORS:
        if pattern.search(stderr):
            return reason
    return None


def first_line(text: str, limit: int = 200) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""


def decode_json(out: PsOutput, what: str) -> Any:
    """The JSON value printed by ``ConvertTo-Json``; ``ParseError`` with a one-line reason otherwise."""
    if out.returncode != 0 and not out.stdout.strip():
        known = classify_error(out.stderr)
        detail = first_line(out.stderr) or f"exit code {out.returncode}"
        raise ParseError(f"{what}: {known + ': ' if known else ''}{detail}")
    if not out.stdout.strip():
        raise ParseError(f"{what}: PowerShell printed nothing (expected JSON)")
    try:
        text = out.stdout.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what}: output is not UTF-8 (byte 0x{out.stdout[exc.start]:02x} at offset {exc.start}); "
                         "the console encoding was not switched to UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{what}: output is not complete JSON ({exc.msg} at line {exc.lineno} column {exc.colno}, "
                         f"{len(text)} characters)") from None


def as_objects(value: Any, what: str) -> list[dict[str, Any]]:
    """``ConvertTo-Json`` prints one object bare and several as an array; None is no objects."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            raise ParseError(f"{what}: expected JSON objects, got {type(item).__name__} {str(item)[:40]!r}")
    return items


def as_object(value: Any, what: str) -> dict[str, Any]:
    objects = as_objects(value, what)
    if len(objects) != 1:
        raise ParseError(f"{what}: expected one JSON object, got {len(objects)}")
    return objects[0]


# Dates as PowerShell emits them:
#   Windows PowerShell 5.1 ConvertTo-Json   "/Date(1700000000000)/", "/Date(1700000000000+0100)/"
#   ... with ETS properties (Get-Date)      {"value": "/Date(...)/", "DisplayHint": 2, "DateTime": "..."}
#   PowerShell 7                            "2023-11-14T22:13:20.000+00:00"
#   a DateTime converted with .ToString()   current culture: "22.11.2026 10:00:00" (de-DE),
#                                           "2026/11/22 10:00:00" (zh-CN), "11/22/2026 10:00:00 AM" (en-US)
#   WMI/WSC timestamp strings               "Wed, 22 Nov 2026 10:00:00 GMT"
# Culture strings carry no zone: they are read as UTC, which is off by the machine's UTC
# offset (hours) on a threshold counted in days.
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_CULTURE_FORMATS = (
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%a, %d %b %Y %H:%M:%S GMT", "%d.%m.%Y", "%Y/%m/%d",
)


def parse_ps_date(value: Any, what: str) -> datetime | None:
    """A timezone-aware datetime from any form above; None for null/empty; ``ParseError`` otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, dict) and "value" in value:
        return parse_ps_date(value["value"], what)
    if not isinstance(value, str):
        raise ParseError(f"{what}: expected a date, got {type(value).__name__} {value!r}")
    text = value.strip()
    match = _MS_DATE.match(text)
    if match:
        # The milliseconds are UTC; the optional offset only says which zone it was shown in.
        moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=int(match.group(1)))
        return None if moment.year <= 1601 else moment
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _CULTURE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ParseError(f"{what}: unrecognised date {text!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    if parsed.year <= 1601:  # DateTime.MinValue / FILETIME 0: "never"
        return None
    return parsed.astimezone(timezone.utc)
