"""The walked tables of a recording in data/ (snmprec: ``oid|tag|value``), as the switch
collector hands them to the pure parsers: {column OID: {row index: value}}.

Lets pure tests read real devices' values without starting snmpsim. Values are typed as
the BER decoder gives them: INTEGER, Counter32/64, Gauge32 and TimeTicks as int, OCTET
STRING as bytes (``4x`` hex-encoded ones decoded), IpAddress and OID as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
_INTS = {"2", "65", "66", "67", "70"}


def read_tables(name: str, columns: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {c: {} for c in columns}
    prefixes = sorted(((c + ".", c) for c in columns), key=lambda p: -len(p[0]))
    for line in (DATA / f"{name}.snmprec").read_text(encoding="utf-8").splitlines():
        oid, tag, raw = line.split("|", 2)
        for prefix, column in prefixes:
            if oid.startswith(prefix):
                if tag in _INTS:
                    value: Any = int(raw)
                elif tag == "4x":
                    value = bytes.fromhex(raw)
                elif tag == "4":
                    value = raw.encode("latin-1")
                else:
                    value = raw
                tables[column][oid[len(prefix):]] = value
                break
    return {c: rows for c, rows in tables.items() if rows}
