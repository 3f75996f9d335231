"""What changed between two snapshots of one asset: field paths with before and after.

A part of a list (a memory module, a disk, a package) is matched to its counterpart by its
``key`` (model.py): the same slot with another serial is a *swap*
(``memory[DIMM A1].serial: 93A1B2C3 -> 5F0E9D11``); a key present on one side only is a
part *added* or *removed* (``disks[S3Z2NB0K123456A]: {...} -> None``).

Every change has a category; the hardware ones that count as "the machine was opened"
(``counts_as_hardware``) make a finding (findings.py), the rest is history and report:

- hardware: identity (maker, model, serial, UUID, board), CPUs, memory, disks, ENTITY-MIB
  components, monitors;
- firmware: BIOS/UEFI vendor, version and date; a disk's or a component's firmware;
- health: a disk's SMART health (a check family watches it, not the archive);
- software, os, network (adapters, sysDescr and its version), printer.

Pure functions over ``AssetSnapshot``s; no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from agent.assets.model import VOLATILE, AssetSnapshot, from_json, to_json

Category = str  # hardware | firmware | health | software | os | network | printer | other

# Top-level field -> category; fields listed in _FIELD_CATEGORY override it per field.
_SECTION_CATEGORY: dict[str, Category] = {
    "kind": "hardware", "source": "other", "schema": "other",
    "identity": "hardware", "cpus": "hardware", "memory": "hardware", "disks": "hardware",
    "monitors": "hardware", "components": "hardware",
    "adapters": "network", "network": "network",
    "os": "os", "software": "software", "printer": "printer",
}
_FIELD_CATEGORY: dict[tuple[str, str], Category] = {
    ("identity", "bios_vendor"): "firmware", ("identity", "bios_version"): "firmware",
    ("identity", "bios_date"): "firmware", ("identity", "firmware"): "firmware",
    ("disks", "firmware"): "firmware", ("disks", "health"): "health", ("disks", "health_detail"): "health",
    ("components", "firmware_rev"): "firmware", ("components", "software_rev"): "firmware",
    ("network", "sys_descr"): "firmware", ("network", "version"): "firmware",
}
# Hardware changes that do not mean the machine was opened: a CPU's reported clock, a
# module's configured speed (both follow BIOS settings), a chassis description, and
# monitors (a laptop docked and undocked every day is not a hardware change).
_NOT_A_SWAP: frozenset[tuple[str, str]] = frozenset({
    ("cpus", "max_mhz"), ("memory", "speed_mts"), ("memory", "bank"), ("identity", "chassis"),
    ("identity", "sku"), ("disks", "bus"), ("disks", "type"), ("components", "description"),
    ("components", "name"), ("components", "position"), ("components", "contained_in"),
})
_NOT_A_SWAP_SECTIONS = frozenset({"monitors"})


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: ``path`` in the snapshot, the JSON value before and after.

    ``before`` is None for a part added, ``after`` None for a part removed (then the value
    is the whole part as JSON).
    """

    at: datetime
    path: str
    before: Any
    after: Any
    category: Category
    field: str = ""  # the part's field that changed ("serial"); "" for a whole part or section

    @property
    def section(self) -> str:
        return self.path.split("[", 1)[0].split(".", 1)[0]

    @property
    def action(self) -> str:
        """added | removed | changed"""
        if self.before is None and self.after is not None:
            return "added"
        if self.after is None and self.before is not None:
            return "removed"
        return "changed"


def diff(before: AssetSnapshot, after: AssetSnapshot, at: datetime) -> list[Change]:
    """The changes from ``before`` to ``after`` (captured_at, gaps and counters left out)."""
    out: list[Change] = []
    for f in dataclasses.fields(AssetSnapshot):
        if f.name in VOLATILE:
            continue
        for path, old, new, field_name in _walk(f.name, getattr(before, f.name), getattr(after, f.name)):
            category = _FIELD_CATEGORY.get((f.name, field_name or ""), _SECTION_CATEGORY.get(f.name, "other"))
            out.append(Change(at, path, old, new, category, field_name or ""))
    return out


def counts_as_hardware(change: Change) -> bool:
    """A hardware change that makes a finding: a part added, removed or swapped, a serial,
    model or size changed. Removable disks (USB sticks) come and go and do not count."""
    if change.category != "hardware" or change.section in _NOT_A_SWAP_SECTIONS:
        return False
    if (change.section, change.field) in _NOT_A_SWAP:
        return False
    if change.section == "disks":
        whole = change.before if change.after is None else change.after
        if isinstance(whole, dict) and (whole.get("type") == "removable" or str(whole.get("bus") or "").lower() == "usb"):
            return False
    return True


def _walk(path: str, old: Any, new: Any, field_name: str | None = None) -> Iterator[tuple[str, Any, Any, str | None]]:
    if old == new:
        return
    if isinstance(old, tuple) or isinstance(new, tuple):
        yield from _walk_list(path, old or (), new or (), field_name)
        return
    if _is_record(old) and _is_record(new):
        for f in dataclasses.fields(old):
            yield from _walk(f"{path}.{f.name}", getattr(old, f.name), getattr(new, f.name), f.name)
        return
    yield path, to_plain(old), to_plain(new), field_name


def _walk_list(path: str, old: tuple, new: tuple, field_name: str | None) -> Iterator[tuple[str, Any, Any, str | None]]:
    sample = (old or new)[0]
    if not hasattr(sample, "key"):  # plain values (an adapter's addresses): the list is one value
        yield path, to_plain(old), to_plain(new), field_name
        return
    olds, news = _by_key(old), _by_key(new)
    for key in sorted(olds.keys() | news.keys()):
        item_path = f"{path}[{key}]"
        if key not in news:
            yield item_path, to_plain(olds[key]), None, None
        elif key not in olds:
            yield item_path, None, to_plain(news[key]), None
        else:
            yield from _walk(item_path, olds[key], news[key])


def _by_key(items: tuple) -> dict[str, Any]:
    """Items by their key; a key given twice (two disks without serial on one name) gets
    ``#2``, ``#3`` in canonical order so both sides number them alike."""
    out: dict[str, Any] = {}
    for item in sorted(items, key=lambda i: (i.key, repr(to_plain(i)))):
        key = i = display_key(item.key)
        n = 1
        while key in out:
            n += 1
            key = f"{i}#{n}"
        out[key] = item
    return out


def display_key(key: str) -> str:
    """A part's key as it appears in a path: the tab between a package's name and source as ``|``."""
    return key.replace("\t", "|").rstrip("|")


def _is_record(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def to_plain(value: Any) -> Any:
    """A model value as JSON data (dates as ISO text)."""
    if _is_record(value):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def apply(before: AssetSnapshot, changes: Sequence[Change], captured_at: datetime) -> AssetSnapshot:
    """``before`` with ``changes`` (one ``diff`` of it) applied: the next version, rebuilt.

    The archive keeps old versions as changes only (schema.py) and checks, when it records
    them, that this rebuilds the new version exactly; a version it cannot rebuild keeps its
    body. Raises ``SnapshotError`` (model.from_json) for changes that do not fit.
    """
    doc = to_json(before)
    parts: dict[str, dict[str, Any]] = {}
    for c in changes:
        section = c.section
        value = getattr(before, section)
        if isinstance(value, tuple) and (value or c.path != section):
            if section not in parts:
                parts[section] = {k: to_plain(v) for k, v in _by_key(value).items()}
            items = parts[section]
            tail = f".{c.field}" if c.field else ""
            key = c.path[len(section) + 1:len(c.path) - len(tail) - 1]
            if c.field:
                items[key] = {**items[key], c.field: c.after}
            elif c.after is None:
                items.pop(key, None)
            else:
                items[key] = c.after
        elif c.field and c.path != section:
            doc[section] = {**(doc.get(section) or {}), c.field: c.after}
        else:
            doc[section] = c.after
    for section, items in parts.items():
        doc[section] = list(items.values())
    doc["captured_at"] = captured_at.isoformat()
    return from_json(doc)
