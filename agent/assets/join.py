"""The archive joined with the inventory's typed-in asset fields: one entry per asset.

Every target of the inventory has an entry (a device never captured still belongs in the
台账), and so does every captured asset that is no longer in the inventory (marked so).

Maker, model and serial exist on both sides. The typed-in value wins; when both are
given and disagree, the entry carries a conflict that the CLI, the exports and the report
show (a label stuck on the wrong machine, a board replaced under warranty). Serials are
compared exactly (ignoring case and spaces); makers and models loosely, because SMBIOS says
"Dell Inc." where an engineer types "Dell".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from agent.assets.archive import CurrentAsset
from agent.assets.model import AssetSnapshot

# Typed-in fields in the order the exports show them.
TYPED_FIELDS = ("number", "label", "user", "location", "supplier", "purchase_date", "warranty_end", "notes")
# Fields both typed in and captured.
SHARED_FIELDS = ("maker", "model", "serial")


@dataclass(frozen=True, slots=True)
class Conflict:
    field: str
    typed: str
    captured: str


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    asset_id: str
    kind: str  # host | network_device | printer (inventory), or the snapshot's kind when not in it
    address: str | None
    in_inventory: bool
    typed: dict[str, Any]  # TYPED_FIELDS and SHARED_FIELDS as typed in (None when not)
    captured: dict[str, str | None]  # SHARED_FIELDS as captured
    current: CurrentAsset | None

    @property
    def snapshot(self) -> AssetSnapshot | None:
        return self.current.snapshot if self.current is not None else None

    def value(self, field: str) -> Any:
        """The value shown for ``field``: typed in when given, else captured."""
        typed = self.typed.get(field)
        return typed if typed not in (None, "") else self.captured.get(field)

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        out = []
        for field in SHARED_FIELDS:
            typed, captured = self.typed.get(field), self.captured.get(field)
            if typed and captured and not _agrees(field, typed, captured):
                out.append(Conflict(field, typed, captured))
        return tuple(out)

    @property
    def warranty_end(self) -> date | None:
        return self.typed.get("warranty_end")

    @property
    def last_seen(self) -> datetime | None:
        return self.current.last_seen if self.current is not None else None


def captured_fields(snapshot: AssetSnapshot | None) -> dict[str, str | None]:
    if snapshot is None:
        return {f: None for f in SHARED_FIELDS}
    ident = snapshot.identity
    serial = ident.serial
    if serial is None and snapshot.printer is not None:  # Printer-MIB prtGeneralSerialNumber
        serial = snapshot.printer.serial
    return {"maker": ident.maker, "model": ident.model, "serial": serial}


_NOT_ALNUM = re.compile(r"[\W_]+", re.UNICODE)
_COMPANY = re.compile(r"(inc|corp|corporation|co|ltd|limited|gmbh|company)$")


def _norm(text: str) -> str:
    return _NOT_ALNUM.sub("", text.casefold())


def _agrees(field: str, typed: str, captured: str) -> bool:
    a, b = _norm(typed), _norm(captured)
    if field == "serial":
        return a == b
    a, b = _COMPANY.sub("", a), _COMPANY.sub("", b)
    return bool(a and b) and (a in b or b in a)


def join(inventory: Any, assets: Iterable[CurrentAsset]) -> list[ArchiveEntry]:
    """Entries for every inventory target and every archived asset, by asset id."""
    by_id = {a.asset_id: a for a in assets}
    entries = []
    seen = set()
    for target in inventory.targets:
        seen.add(target.name)
        current = by_id.get(target.name)
        typed = target.asset.model_dump(include=set(TYPED_FIELDS) | set(SHARED_FIELDS))
        entries.append(ArchiveEntry(target.name, target.kind, target.address, True, typed,
                                    captured_fields(current.snapshot if current else None), current))
    for asset_id, current in by_id.items():
        if asset_id not in seen:
            entries.append(ArchiveEntry(asset_id, current.kind, None, False,
                                        {f: None for f in (*TYPED_FIELDS, *SHARED_FIELDS)},
                                        captured_fields(current.snapshot), current))
    return sorted(entries, key=lambda e: e.asset_id)
