"""Published Windows outputs (fixtures/windows, sources in fixtures/SOURCES.md) as the objects
the capture script prints for the same classes.

The recordings come in two notations, turned into JSON values without changing a value:
``wmic /format:list`` (``Name=Value``, UTF-8 or UTF-16) and a property dump with the name and
value separated by spaces (``Caption    Microsoft Windows 10 专业版``). Arrays in wmic notation (``{"192.168.0.2","64"}``,
``{7}``) become JSON arrays, as ConvertTo-Json prints an array property; only the fields
the script selects are kept (Select-Object)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from agent.assets.capture.windows import QUERIES
from tests.support.recorded_windows import json_value, selected_fields, wmic_list_records

DIR = Path(__file__).parent / "fixtures" / "windows"
SELECTED = {key: selected_fields(query) for key, query in QUERIES if key != "Software"}


def _decode(raw: bytes) -> str:
    return raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8")


# CIM properties typed as numbers (learn.microsoft.com class pages); every other selected one is a
# string, which ConvertTo-Json prints as text even when it holds digits (SerialNumber "0000000").
NUMERIC = frozenset({"Capacity", "Speed", "ConfiguredClockSpeed", "SMBIOSMemoryType", "NumberOfCores",
                     "NumberOfLogicalProcessors", "MaxClockSpeed", "Index", "Size", "BusType", "HealthStatus",
                     "OperatingSystemSKU", "ProductType", "LicenseStatus", "YearOfManufacture", "ChassisTypes"})


def _value(text: str, numeric: bool = True) -> Any:
    if not numeric and text and not text.startswith("{") and re.fullmatch(r"-?\d+", text):
        return text
    if text.startswith("{") and text.endswith("}") and not re.fullmatch(r"\{[0-9A-Fa-f-]{36}\}", text):
        inner = text[1:-1]
        return [v.strip('"') if v.startswith('"') else json_value(v) for v in re.findall(r'"[^"]*"|[^,]+', inner)]
    return json_value(text)


def _select(records: list[dict[str, str]], key: str) -> list[dict[str, Any]]:
    numeric = NUMERIC | ({"MediaType"} if key == "PhysicalDisk" else set())  # Win32_DiskDrive.MediaType is text
    return [{name: _value(r[name], name in numeric) if name in r else None for name in SELECTED[key]} for r in records]


def wmic(name: str, key: str, *, where: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """A ``wmic /format:list`` recording; ``where`` keeps the records whose field has that value (a -Filter)."""
    records = wmic_list_records(_decode((DIR / name).read_bytes()).replace("&amp;", "&"))
    if where is not None:
        records = [r for r in records if r.get(where[0]) == where[1]]
    return _select(records, key)


def spaced(name: str, key: str) -> list[dict[str, Any]]:
    """A dump of one object, ``Name<spaces>Value`` per line."""
    record = {}
    for line in _decode((DIR / name).read_bytes()).splitlines():
        parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        if parts and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", parts[0]):
            record[parts[0]] = parts[1] if len(parts) > 1 else ""
    return _select([record], key)
