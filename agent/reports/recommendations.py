"""Recommendations (优化改造建议) from data/recommendations.yaml, grouped across devices.

One finding type on twelve computers is one recommendation: "12 computers have antivirus
signatures older than 7 days", not twelve lines. The catalogue entry is chosen by the
longest matching check prefix (the checklist's rules); ``{value}`` is the entry's metric
aggregated over the grouped devices (the smallest signature age, so "older than N days"
is true of every one of them).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from agent.reports.i18n import Translator

from agent.reports.checklist import match_length
from agent.reports.i18n import LANGUAGES, plural
from agent.reports.model import Recommendation

_SEVERITY = {"warn": 1, "unknown": 2, "crit": 3}


@dataclass(frozen=True)
class Entry:
    id: str
    metric: str | None
    aggregate: str
    texts: Mapping[str, Mapping[str, Any]]  # lang -> {title, title_value?, action}
    also: tuple[str, ...] = ()  # further check prefixes this entry answers (the names collectors emit)

    def match_length(self, check: str) -> int:
        return max(match_length(prefix, check) for prefix in (self.id, *self.also))


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[Entry, ...]
    default: Entry

    def entry_for(self, check: str) -> Entry:
        best, best_len = self.default, -1
        for entry in self.entries:
            length = entry.match_length(check)
            if length > best_len:
                best, best_len = entry, length
        return best

    def recommendation_id(self, check: str) -> str:
        entry = self.entry_for(check)
        return entry.id if entry is not self.default else f"default:{check}"


def parse_catalogue(data: Mapping[str, Any]) -> Catalogue:
    def entry(key: str, raw: Mapping[str, Any]) -> Entry:
        missing = [lang for lang in LANGUAGES if lang not in raw]
        if missing:
            raise ValueError(f"recommendation {key!r} lacks {', '.join(missing)}")
        return Entry(key, raw.get("metric"), raw.get("aggregate", "min"), {lang: raw[lang] for lang in LANGUAGES},
                     tuple(raw.get("also") or ()))

    return Catalogue(tuple(entry(k, v) for k, v in (data.get("entries") or {}).items()),
                     entry("default", data["default"]))


@functools.cache
def default_catalogue() -> Catalogue:
    text = resources.files("agent.reports").joinpath("data/recommendations.yaml").read_text(encoding="utf-8")
    return parse_catalogue(yaml.safe_load(text))


@dataclass(frozen=True)
class Problem:
    """What grouping needs of one finding."""

    check: str
    target: str
    severity: str
    metrics: Mapping[str, float]


def group(problems: Iterable[Problem], lang: str, catalogue: Catalogue | None = None) -> tuple[Recommendation, ...]:
    """One recommendation per catalogue entry (per check for the default entry), worst first."""
    catalogue = catalogue or default_catalogue()
    groups: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for p in problems:
        entry = catalogue.entry_for(p.check)
        groups[(entry.id, p.check if entry is catalogue.default else "")].append(p)
    out = []
    for (entry_id, check), members in groups.items():
        entry = catalogue.default if entry_id == "default" else next(e for e in catalogue.entries if e.id == entry_id)
        out.append(_recommendation(entry, check, members, lang))
    out.sort(key=lambda r: (-_SEVERITY[r.severity], -r.count, r.id))
    return tuple(out)


def _recommendation(entry: Entry, check: str, members: Sequence[Problem], lang: str) -> Recommendation:
    targets = tuple(sorted({p.target for p in members}))
    severity = max((p.severity for p in members), key=_SEVERITY.__getitem__)
    texts = entry.texts[lang]
    values = [p.metrics[entry.metric] for p in members if entry.metric and entry.metric in p.metrics]
    count = len(targets)
    fields: dict[str, Any] = {"count": count, "check": Translator(lang).check_label(check)}  # its name, not its id
    if values and "title_value" in texts:
        fields["value"] = f"{(min(values) if entry.aggregate == 'min' else max(values)):.0f}"
        title = plural(texts["title_value"], count).format(**fields)
    else:
        title = plural(texts["title"], count).format(**fields)
    rid = entry.id if entry.id != "default" else f"default:{check}"
    return Recommendation(id=rid, severity=severity, count=count, targets=targets, title=title,
                          action=texts["action"])
