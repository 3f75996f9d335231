"""Which checklist row a check belongs to, read from data/checklist.yaml.

A prefix ending in "." matches a family ("hardware.", and the bare "hardware"); a prefix without one matches the
check name exactly or as a dotted prefix ("switch.port" matches "switch.port" and
"switch.port.status", not "switch.portal"); "=switch" matches only "switch". The longest match wins; unmatched checks go to
the kind's "other" row.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources

import yaml

OTHER = "other"


@dataclass(frozen=True)
class ChecklistRow:
    id: str
    number: int | None
    prefixes: tuple[str, ...]


@dataclass(frozen=True)
class Checklist:
    rows: dict[str, tuple[ChecklistRow, ...]]  # device kind -> rows in the standard's order
    # (kind, check) -> row: a 500-device report asks 10,000 times for a few dozen checks.
    _memo: dict[tuple[str, str], str] = field(default_factory=dict, compare=False, repr=False)

    def rows_for(self, kind: str) -> tuple[ChecklistRow, ...]:
        return self.rows.get(kind, ()) + (ChecklistRow(OTHER, None, ()),)

    def row_of(self, kind: str, check: str) -> str:
        found = self._memo.get((kind, check))
        if found is None:
            found = self._memo[(kind, check)] = self._row_of(kind, check)
        return found

    def _row_of(self, kind: str, check: str) -> str:
        best, best_len = OTHER, -1
        for row in self.rows.get(kind, ()):
            for prefix in row.prefixes:
                length = match_length(prefix, check)
                if length > best_len:
                    best, best_len = row.id, length
        return best


def match_length(prefix: str, check: str) -> int:
    """How much of ``check`` the prefix claims; -1 for no match.

    "hardware." also claims the bare family name "hardware": the runner reports a failed
    run under the collector's name alone. An exact row for the bare name (listed first)
    wins a tie.
    """
    if prefix.startswith("="):
        return len(prefix) - 1 if check == prefix[1:] else -1
    if prefix.endswith("."):
        if check.startswith(prefix):
            return len(prefix)
        return len(prefix) - 1 if check == prefix[:-1] else -1
    return len(prefix) if check == prefix or check.startswith(prefix + ".") else -1


def parse_checklist(data: dict) -> Checklist:
    rows: dict[str, tuple[ChecklistRow, ...]] = {}
    for kind, entries in (data.get("kinds") or {}).items():
        ids = [e["id"] for e in entries]
        if len(set(ids)) != len(ids) or OTHER in ids:
            raise ValueError(f"checklist kind {kind}: row ids must be unique and not {OTHER!r}")
        rows[kind] = tuple(ChecklistRow(e["id"], e.get("number"), tuple(e.get("prefixes", ()))) for e in entries)
    return Checklist(rows)


@functools.cache
def default_checklist() -> Checklist:
    text = resources.files("agent.reports").joinpath("data/checklist.yaml").read_text(encoding="utf-8")
    return parse_checklist(yaml.safe_load(text))
