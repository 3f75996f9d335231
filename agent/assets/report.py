"""The inspection report's appendix from the asset archive: devices, and what changed in the period.

Hardware changes are those that make a finding (diff.counts_as_hardware) plus firmware
updates; software changes are programs installed, removed or updated and OS changes, in
the report's period, i.e. since the previous inspection. Monitors plugged and unplugged,
addresses and SMART health are left to the history (`patrol assets history`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from agent.assets.archive import changes_between, current
from agent.assets.diff import Change, counts_as_hardware
from agent.assets.findings import part_text
from agent.assets.join import join
from agent.assets.tables import warranty_status
from agent.reports.model import AssetAppendix, AssetChangeRow, AssetConflict, AssetRow

MAX_CHANGE_ROWS = 400  # a report stays readable; the exports have every change


def appendix(engine: sa.Engine, inventory: Any, site: str, start: datetime, end: datetime,
             today: date) -> AssetAppendix | None:
    """None when the site has nothing archived and nothing typed in (no appendix at all)."""
    from inventory.models import Inventory

    entries = join(inventory if inventory.site.name == site else Inventory(), current(engine, site))
    typed_any = any(v not in (None, "") for e in entries for v in e.typed.values())
    if not entries or (not typed_any and not any(e.current for e in entries)):
        return None
    rows = tuple(AssetRow(name=e.asset_id, kind=e.kind, number=e.typed.get("number"), maker=e.value("maker"),
                          model=e.value("model"), serial=e.value("serial"), warranty_end=e.warranty_end,
                          warranty=warranty_status(e.warranty_end, today),
                          last_captured=e.last_seen,
                          conflicts=tuple(AssetConflict(field=c.field, typed=c.typed, captured=c.captured)
                                          for c in e.conflicts))
                 for e in entries)
    hardware, software = [], []
    for asset_id, changes in changes_between(engine, site, start, end).items():
        for c in changes:
            if c.category == "firmware" or counts_as_hardware(c):
                hardware.append(_row(asset_id, c, c.path))  # put in words by the report's language
            elif c.category in ("software", "os"):
                software.append(_software_row(asset_id, c))
    total = len(hardware) + len(software)
    hardware = hardware[:MAX_CHANGE_ROWS]
    software = software[:max(0, MAX_CHANGE_ROWS - len(hardware))]
    return AssetAppendix(assets=rows, hardware_changes=tuple(hardware), software_changes=tuple(software),
                         omitted_changes=total - len(hardware) - len(software))


def _row(asset_id: str, c: Change, part: str) -> AssetChangeRow:
    return AssetChangeRow(target=asset_id, at=c.at, category=c.category, action=c.action, part=part,
                          before=None if c.before is None else part_text(c.before),
                          after=None if c.after is None else part_text(c.after))


def _software_row(asset_id: str, c: Change) -> AssetChangeRow:
    whole = c.after if c.after is not None else c.before
    if c.section == "software" and isinstance(whole, dict) and c.field == "":
        # a program installed or removed: its name and version
        return AssetChangeRow(target=asset_id, at=c.at, category=c.category, action=c.action,
                              part=str(whole.get("name")),
                              before=None if c.before is None else c.before.get("version"),
                              after=None if c.after is None else c.after.get("version"))
    if c.section == "software":  # one field of a program: "7-Zip|HKLM64" version 23.01 -> 24.08
        name = c.path.split("[", 1)[1].rsplit("]", 1)[0].rsplit("|", 1)[0]
        return _row(asset_id, c, name if c.field == "version" else f"{name} ({c.field})")
    return _row(asset_id, c, c.path)
