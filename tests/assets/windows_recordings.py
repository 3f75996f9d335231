"""Published Windows outputs (fixtures/windows, sources in fixtures/SOURCES.md) as the objects
the capture script prints for the same classes.

The recordings come in several notations, turned into JSON values without changing a value:
``wmic /format:list`` and ``get /value`` (``Name=Value``, UTF-8 or UTF-16), a wmic table (a
header line, then one row per object, each column starting where its name starts), a property
dump with the name and value separated by spaces (``Caption    Microsoft Windows 10 专业版``)
and a registry entry as Node's console prints an object (``DisplayName: '微信',``). Arrays in
wmic notation (``{"192.168.0.2","64"}``, ``{7}``) become JSON arrays, as ConvertTo-Json prints
an array property; only the fields the script selects are kept (Select-Object).

Some people annotated what they pasted (``Speed=3200      # 主频 单位，MHz``) or pasted it
inside a code comment (``// Model=Virtual HD ATA Device``): ``comment`` names the marker they
used, and the marker and what follows it are dropped, never a value's own text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from agent.assets.capture.windows import QUERIES
from tests.support.recorded_windows import format_list_records, json_value, selected_fields, wmic_list_records

DIR = Path(__file__).parent / "fixtures" / "windows"
SELECTED = {key: selected_fields(query) for key, query in QUERIES if key != "Software"}


def _decode(raw: bytes) -> str:
    return raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8")


# CIM properties typed as numbers or number arrays (learn.microsoft.com class pages); every other
# selected one is a string or string array, which ConvertTo-Json prints as text even when it holds
# digits (SerialNumber "0000000", IPSubnet {"64"}).
NUMERIC = frozenset({"Capacity", "Speed", "ConfiguredClockSpeed", "SMBIOSMemoryType", "NumberOfCores",
                     "NumberOfLogicalProcessors", "MaxClockSpeed", "Index", "Size", "BusType", "HealthStatus",
                     "OperatingSystemSKU", "ProductType", "LicenseStatus", "YearOfManufacture", "ChassisTypes",
                     "ManufacturerName", "ProductCodeID", "SerialNumberID", "UserFriendlyName"})  # uint16 arrays


def _value(text: str, numeric: bool = True) -> Any:
    if not numeric and text and not text.startswith("{") and re.fullmatch(r"-?\d+", text):
        return text
    if text.startswith("{") and text.endswith("}") and not re.fullmatch(r"\{[0-9A-Fa-f-]{36}\}", text):
        inner = text[1:-1]
        cut = inner.endswith("...")  # PowerShell's list view shows an array's first four items, then "..."
        items = [v.strip() for v in re.findall(r'"[^"]*"|[^,]+', inner.removesuffix("..."))]
        values = [v.strip('"') if v.startswith('"') else json_value(v) if numeric else v for v in items]
        if cut and 0 not in values:  # the rest is unknown: no value rather than a shortened one
            return None
        return values  # (a cut array of character codes is whole when its terminating 0 is shown)
    return json_value(text)


def _select(records: list[dict[str, str]], key: str) -> list[dict[str, Any]]:
    numeric = NUMERIC | ({"MediaType"} if key == "PhysicalDisk" else set())  # Win32_DiskDrive.MediaType is text
    return [{name: _value(r[name], name in numeric) if name in r else None for name in SELECTED[key]} for r in records]


def format_list(name: str, key: str, *, section: str | None = None) -> list[dict[str, Any]]:
    """PowerShell's list view (``Format-List``, or ``Select-Object`` of more than four
    properties): ``Name : Value`` lines, a blank line between objects; arrays as ``{a, b}``.
    ``section`` names the class of one ``Get-WMIObject -Class <class>`` of several in a file: the
    lines from that command to the next one (the outputs are not always apart by a blank line)."""
    text = _decode((DIR / name).read_bytes())
    if section is not None:
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if f"-Class {section}" in line) + 1
        end = next((i for i in range(start, len(lines)) if "Get-WMIObject" in lines[i]), len(lines))
        text = "\n".join(lines[start:end])
    return _select(format_list_records(text), key)


def format_table(name: str, key: str, *, rename: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """PowerShell's table view: a header, a line of dashes, one row per object. Text columns are
    left-aligned and sizes right-aligned (``   3.64 TB``), so a column's value may start left of
    its name; the border between two columns is the rightmost position between their names that
    is blank on every line. ``rename`` maps a view's column label to the property it shows
    (Get-PhysicalDisk labels DeviceId "Number")."""
    lines = [line.rstrip() for line in _decode((DIR / name).read_bytes()).splitlines()]
    dashes = next(i for i, line in enumerate(lines) if line.strip() and set(line.replace(" ", "")) == {"-"})
    header, rows = lines[dashes - 1], [line for line in lines[dashes + 1:] if line.strip()]
    names = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", header)]
    width = max(len(line) for line in [header, *rows])
    blank = [all(i >= len(line) or line[i] == " " for line in [header, *rows]) for i in range(width)]
    borders = [0]
    for (_, end, _), (start, _, _) in zip(names, names[1:]):
        borders.append(max(i for i in range(end, start) if blank[i]))
    borders.append(width)
    records = []
    for line in rows:
        records.append({(rename or {}).get(n, n): line[a:b].strip() for (_, _, n), a, b in zip(names, borders, borders[1:])})
    return _select(records, key)


def _uncomment(text: str, marker: str | None) -> str:
    """The recording without its publisher's comment marker and annotations."""
    if marker is None:
        return text
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(marker):  # pasted inside a comment: "// Model=..."
            line = line[len(marker):].strip()
        name, equals, value = line.partition("=")
        if equals:  # an annotation after the value: "Size=85896599040 // size"
            value = re.split(r"\s*" + re.escape(marker), value, maxsplit=1)[0]
            line = f"{name}={value}"
        lines.append(line)
    return "\n".join(lines)


def wmic(name: str, key: str, *, where: tuple[str, str] | None = None, comment: str | None = None) -> list[dict[str, Any]]:
    """A ``wmic /format:list`` or ``get /value`` recording; ``where`` keeps the records whose field
    has that value (a -Filter); ``comment`` is the publisher's annotation marker ("#", "//")."""
    records = wmic_list_records(_uncomment(_decode((DIR / name).read_bytes()), comment).replace("&amp;", "&"))
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


def wmic_table(name: str, key: str) -> list[dict[str, Any]]:
    """A ``wmic <alias> get a,b,c`` table: wmic starts each column where its name starts in the
    header line and pads it with spaces, so each value is the row's text under its name."""
    lines = [line.rstrip() for line in _decode((DIR / name).read_bytes()).splitlines() if line.strip()]
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"\S+", header)]
    names = header.split()
    records = []
    for line in lines[1:]:
        bounds = list(zip(starts, starts[1:] + [len(line)]))
        records.append({n: line[a:b].strip() for n, (a, b) in zip(names, bounds)})
    return _select(records, key)


def node_object(name: str, key: str) -> list[dict[str, Any]]:
    """A registry entry as Node's console prints the object a package made of it
    (``DisplayName: '微信',``): JavaScript single-quoted strings, backslashes doubled."""
    record = {}
    for line in _decode((DIR / name).read_bytes()).splitlines():
        match = re.fullmatch(r"\s*([A-Za-z_]\w*): '(.*)',?", line)
        if match:
            record[match[1]] = re.sub(r"\\(.)", r"\1", match[2])
    return [{field: record.get(field) for field in ("DisplayName", "DisplayVersion", "Publisher", "InstallDate")}]


# The Uninstall values a script printed with ``Write-Host <label>: $app.<value>`` (its labels, as
# the script names them, mapped back to the registry value names it read)
UNINSTALL_LABELS = {"Name": "DisplayName", "Version": "DisplayVersion", "Publisher": "Publisher",
                    "InstallDate": "InstallDate"}


def labelled_uninstall(name: str) -> list[dict[str, Any]]:
    """Uninstall entries printed one ``Label: value`` per line, a blank line between entries."""
    records = format_list_records(_decode((DIR / name).read_bytes()))
    return [{value: r.get(label) or None for label, value in UNINSTALL_LABELS.items()} for r in records if r.get("Name")]


def notmatch0_monitors(name: str) -> list[dict[str, Any]]:
    """WmiMonitorID as systeminformation's one-liner prints it: ``maker|product|name|serial|instance``
    per monitor, each array turned into text with ``$_.X -notmatch 0 | foreach {[char]$_}``.
    ``-notmatch 0`` drops the padding zeros but also every code whose decimal digits hold a 0
    (50 "2", 80 "P", 100 "d" ...), so the name and serial may have lost characters: they are
    unknown here. The maker (always three letters) and the product code (always four hex digits)
    are whole when all of theirs are shown; they go back to the uint16 codes they came from."""
    rows = []
    for line in _decode((DIR / name).read_bytes()).splitlines():
        parts = line.strip().split("|")
        if len(parts) != 5:
            continue
        maker, product, _name, _serial, instance = parts
        assert len(maker) == 3 and len(product) == 4, line  # else characters were dropped
        rows.append({"InstanceName": instance, "ManufacturerName": [ord(c) for c in maker] + [0],
                     "ProductCodeID": [ord(c) for c in product] + [0], "SerialNumberID": None,
                     "UserFriendlyName": None, "YearOfManufacture": None})
    return rows
