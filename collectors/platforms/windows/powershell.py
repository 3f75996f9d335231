"""PowerShell as a data source: run one script, keep what it printed, decode its JSON.

Every Windows source goes through here (antivirus, patches, printers, software, hardware,
proxy, services). The fetch side is thin (one ``io.run`` call returning the
``CommandOutput``, the raw sample); everything that interprets the output is pure and
tested on recorded outputs in the fixture folders of those families. Quirks handled here
once: a PowerShell that is missing or hangs, error text classified by the condition an
engineer acts on, a UTF-8 BOM, output that is not UTF-8 (a console code page), one object
printed bare instead of in an array, nothing printed for an empty pipeline, and the date
forms PowerShell writes.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from collectors.base import CollectorIO, CommandOutput, FetchError, ParseError

DEFAULT_EXECUTABLE = "powershell.exe"  # Windows PowerShell 5.1, present on every supported Windows

# UTF-8 on stdout whatever the console code page is (a zh-CN machine defaults to 936):
# [Console]::OutputEncoding is what PowerShell writes its own output in (and reads a native
# program's captured output in); $OutputEncoding is what it sends to a native program's
# stdin. Both without a BOM. The setter fails without a console ("The handle is invalid" in a
# WinRM session, https://github.com/ralish/PSWinVitals/issues/5):
# the script then still runs, and its output, not UTF-8, is a clear "not UTF-8" error in
# decode_json rather than a wrong reading. Native programs Patrol runs itself (nltest) are
# decoded by console.decode_console instead.
# No progress bars: 5.1 writes them to the console host and they slow CIM queries down.
# New-Object rather than ::new, which PowerShell before 5.0 lacks: a failed first statement
# would leave $OutputEncoding at its ASCII default and the console would print "?" for every
# non-ASCII character.
PREAMBLE = ("$OutputEncoding = New-Object System.Text.UTF8Encoding $false; "
            "try { [Console]::OutputEncoding = $OutputEncoding } catch { }; "
            "$ProgressPreference = 'SilentlyContinue'; ")


# Every character PowerShell's tokenizer takes as a single quote: ASCII ' and the
# typographic ‘ ’ ‚ ‛ (U+2018-U+201B). Any of them ends a single-quoted string, so a value
# such as a Chinese service display name typed with ’ could break out of the literal.
PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"


def ps_quote(text: str) -> str:
    """``text`` as a PowerShell single-quoted literal: no expansion ($, `, subexpressions),
    and every single-quote character doubled, the one escape such a literal has."""
    return "'" + "".join(c + c if c in PS_SINGLE_QUOTES else c for c in text) + "'"


def powershell_argv(script: str, executable: str = DEFAULT_EXECUTABLE) -> list[str]:
    return [executable, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", PREAMBLE + script]


def run_powershell(io: CollectorIO, script: str, *, timeout: float, what: str,
                   executable: str = DEFAULT_EXECUTABLE, setting: str | None = None) -> CommandOutput:
    """Run ``script``; a missing PowerShell or a timeout is a ``FetchError`` naming ``what``.

    ``setting`` is the config key that chooses ``executable``, named in the hint when it is missing.
    """
    try:
        return io.run(powershell_argv(script, executable), timeout=timeout)
    except FileNotFoundError:
        hint = f"; install it or set the '{setting}' setting" if setting else ""
        raise FetchError(f"{what}: PowerShell not found ({executable}){hint}") from None
    except TimeoutError:
        raise FetchError(f"{what}: PowerShell did not finish within {timeout:g} s") from None


def stderr_text(out: CommandOutput) -> str:
    # Error text is only shown and matched, never parsed: a stray code page must not hide it.
    return out.stderr.decode("utf-8", "replace")


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


def decode_json(out: CommandOutput, what: str, *, allow_empty: bool = False) -> Any:
    """The JSON value printed by ``ConvertTo-Json``; ``ParseError`` with a one-line reason otherwise.

    ``ConvertTo-Json`` prints nothing at all for an empty pipeline: with ``allow_empty``
    that is None (no objects), otherwise an error (the script always prints something).
    """
    if out.returncode != 0 and not out.stdout.strip():
        stderr = stderr_text(out)
        known = classify_error(stderr)
        failed = f"PowerShell failed with exit code {out.returncode}"
        detail = f"{line} ({failed})" if (line := first_line(stderr)) else failed
        raise ParseError(f"{what}: {known + ': ' if known else ''}{detail}")
    try:
        text = out.stdout.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what}: output is not UTF-8 (byte 0x{out.stdout[exc.start]:02x} at offset {exc.start}); "
                         "the console encoding was not switched to UTF-8") from None
    if not text.strip():
        if allow_empty:
            return None
        raise ParseError(f"{what}: PowerShell printed nothing (expected JSON)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{exc.msg} at line {exc.lineno} column {exc.colno}, {len(text)} characters"
        if text.lstrip()[:1] in ("{", "["):  # began as JSON: most likely cut short
            raise ParseError(f"{what}: output is not complete JSON (cut short, or not JSON: {where})") from None
        raise ParseError(f"{what}: output is not JSON ({where})") from None


def as_objects(value: Any, what: str) -> list[dict[str, Any]]:
    """``ConvertTo-Json`` prints one object bare and several as an array; None is no objects."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            raise ParseError(f"{what}: expected JSON objects, got a JSON {type(item).__name__} {str(item)[:40]!r}")
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
