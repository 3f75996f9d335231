"""Recorded Windows outputs, as people publish them, turned into what Patrol's scripts print.

People paste ``Get-MpComputerStatus`` as PowerShell's list view (``Name : Value`` lines) and
WMI classes as ``wmic ... get /format:list`` (``Name=Value``). Patrol's scripts print
``Select-Object <fields> | ConvertTo-Json`` of the same objects. ``as_script_json`` makes
that JSON from a recording without changing any value, only its notation:

- ``True``/``TRUE``/``False``/``FALSE`` -> JSON booleans; whole numbers -> numbers;
  an empty value -> null (what ConvertTo-Json prints for a null property);
- a WMI datetime (``20240601094035.000000+000``, DMTF, UTC offset in minutes) -> the
  ``/Date(ms)/`` form Windows PowerShell 5.1 prints for the same DateTime (exact);
- a list-view date (``8/6/2021 8:26:13 AM``, ``25.02.2021 22:37:08``) stays the text it was:
  it carries no zone, so no exact /Date() exists; Patrol reads that text form too;
- a field the script selects but the recording lacks (an older Defender has no
  AMRunningMode) -> null, as Select-Object gives.

A published *process list* (``tasklist``, a numbered list, a tool's process table) answers
the known-antivirus script (``Get-Process -Name <names> | Select-Object -ExpandProperty
ProcessName -Unique``): the recorded image names that the script asks for, without ".exe"
(ProcessName has no extension), once each, in recorded order. Such a recording has no
service list, so ``Services`` is empty: the verdict then rests on the processes alone.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

_LIST_LINE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*: ?(?P<value>.*)$")
_WMIC_LINE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
_DMTF = re.compile(r"^(\d{14})\.(\d{6})([+-])(\d{3})$")
_PROCESS_LINE = re.compile(r"^\s*(?:\d+\)\s*)?(?P<name>[^\s\"\\/]+)\.exe\b", re.IGNORECASE)
_PROCESS_FIELD = re.compile(r'"process_name":\s*"(?P<name>[^"\\/]+)\.exe"', re.IGNORECASE)
_GET_PROCESS = re.compile(r"Get-Process -Name ((?:'[^']*',?)+)")
_SELECTED = re.compile(r"Select-Object\s+([A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*)")


def _records(text: str, line: re.Pattern[str]) -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for raw in text.splitlines():
        match = line.match(raw.strip())
        if match is None:
            if not raw.strip() and current:  # a blank line ends a record
                records.append(current)
                current = {}
            continue
        current[match["name"]] = match["value"].strip()
    if current:
        records.append(current)
    return records


def format_list_records(text: str) -> list[dict[str, str]]:
    """PowerShell list view: one record per block of ``Name : Value`` lines."""
    return _records(text, _LIST_LINE)


def wmic_list_records(text: str) -> list[dict[str, str]]:
    """``wmic ... get /format:list``: one record per block of ``Name=Value`` lines. wmic
    separates lines with blank ones inside a record too, so records split on a repeated name."""
    records: list[dict[str, str]] = []
    for raw in text.splitlines():
        match = _WMIC_LINE.match(raw.strip())
        if match is None:
            continue
        if not records or match["name"] in records[-1]:
            records.append({})
        records[-1][match["name"]] = match["value"].strip()
    return records


def json_value(text: str) -> Any:
    if text == "":
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    dmtf = _DMTF.match(text)
    if dmtf:
        local = datetime.strptime(dmtf[1], "%Y%m%d%H%M%S").replace(microsecond=int(dmtf[2]), tzinfo=timezone.utc)
        offset = timedelta(minutes=int(dmtf[4])) * (1 if dmtf[3] == "+" else -1)
        moment = local - offset
        millis = (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)
        return f"/Date({millis})/"
    return text


def selected_fields(script: str) -> list[str]:
    match = _SELECTED.search(script)
    if match is None:
        raise AssertionError(f"the script selects no fields: {script[:120]!r}")
    return [name.strip() for name in match[1].split(",")]


def as_script_json(records: list[dict[str, str]], script: str) -> bytes:
    """What ``Select-Object <the script's fields> | ConvertTo-Json`` prints for ``records``:
    one object bare, several as an array."""
    fields = selected_fields(script)
    objects = [{name: json_value(record[name]) if name in record else None for name in fields} for record in records]
    return json.dumps(objects[0] if len(objects) == 1 else objects, ensure_ascii=False, indent=4).encode("utf-8")


def recording_as_script_json(text: str, script: str) -> bytes:
    """A list-view or wmic recording (told apart by its first property line) as the script's JSON;
    a process list for the known-antivirus script."""
    if "Get-Process" in script:
        return process_recording_as_script_json(text, script)
    first = next((line.strip() for line in text.splitlines() if _LIST_LINE.match(line.strip())
                  or _WMIC_LINE.match(line.strip())), "")
    records = wmic_list_records(text) if _WMIC_LINE.match(first) and not _LIST_LINE.match(first) else format_list_records(text)
    if not records:
        raise AssertionError("the recording has no property lines")
    return as_script_json(records, script)


def recorded_process_names(text: str) -> list[str]:
    """Image names (without ".exe") of a published process list: the first column of
    ``tasklist`` or of a tool's table, ``N) name.exe`` lines, or ``"process_name": "x.exe"``."""
    names: list[str] = []
    for line in text.splitlines():
        match = _PROCESS_FIELD.search(line) or _PROCESS_LINE.match(line)
        if match is not None:
            names.append(match["name"])
    return names


def process_recording_as_script_json(text: str, script: str) -> bytes:
    """What the known-antivirus script prints on the machine a process list was recorded on."""
    asked = _GET_PROCESS.search(script)
    if asked is None:
        raise AssertionError(f"the script asks for no process names: {script[:120]!r}")
    wanted = {name.strip("'").lower() for name in asked[1].split(",")}
    found: list[str] = []
    for name in recorded_process_names(text):
        if name.lower() in wanted and name.lower() not in {f.lower() for f in found}:
            found.append(name)
    if not recorded_process_names(text):
        raise AssertionError("the recording lists no processes")
    return json.dumps({"Services": [], "Processes": found}, ensure_ascii=False).encode("utf-8")
