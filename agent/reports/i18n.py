"""Languages: message catalogues in YAML, dates and numbers from CLDR (Babel).

Why YAML rather than gettext .po/.mo: the reports have one small, closed set of labels
(~120) plus a recommendations catalogue that is structured data (title, action, metric,
plural forms) and must be edited by service engineers, not translators with po tools.
Keeping both in one format, keyed by stable ids, with a test that every language has
exactly the same keys and placeholders, gives the catalogue discipline of gettext without
a compile step or checked-in .mo files. Plurals: English keys may be {one, other};
Chinese has no plural forms (CLDR), so a plain string.

Results' sentences are ``msg.<id>`` entries, in the languages other than English only: their
English is the collectors' own templates (collectors/messages.py), beside the code that
fills the parameters; a test checks every declared id has a zh-CN sentence with the same
placeholders. Check names are ``check.<id>`` in every language.

Babel provides the locale rules: "2026年10月31日" / "31 October 2026", grouping and
percent signs; the templates never format a date or a number themselves.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import date as Date, datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from collectors import messages

LANGUAGES = ("zh-CN", "en")


class UnknownLanguage(ValueError):
    pass


@functools.cache
def catalogue(lang: str) -> dict[str, Any]:
    if lang not in LANGUAGES:
        raise UnknownLanguage(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    text = resources.files("agent.reports").joinpath(f"data/messages/{lang}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


# An asset archive change's path: section, optional [key] (device text), optional .field.
_ASSET_PATH = re.compile(r"^(?P<section>[a-z_]+)(?:\[(?P<key>.*)\])?(?:\.(?P<field>[a-z_]+))?$")


@dataclass(frozen=True)
class Translator:
    """Labels, plurals, dates and numbers of one language, handed to templates as ``t``."""

    lang: str
    zone: str = "UTC"

    @property
    def locale(self) -> Locale:
        return _locale(self.lang)

    def __call__(self, key: str, count: int | None = None, **values: Any) -> str:
        entry = catalogue(self.lang).get(key)
        if entry is None:
            raise KeyError(f"message {key!r} missing from the {self.lang} catalogue")
        text = plural(entry, count)
        if count is not None:
            values.setdefault("count", self.number(count))
        return text.format(**values) if values else text

    def date(self, value: Date | datetime | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, datetime):
            value = value.astimezone(ZoneInfo(self.zone)).date()
        return format_date(value, format="long", locale=self.locale)

    def row_label(self, kind: str, row: str) -> str:
        """A checklist row's name: "kind.row" in the catalogue, else the row's own name."""
        entry = catalogue(self.lang).get(f"row.{kind}.{row}") or catalogue(self.lang).get(f"row.{row}")
        return plural(entry, None) if entry is not None else row

    def cell_state(self, kind: str, row: str, state: str) -> str:
        """A cell's state in words: the row's own word for it when the catalogue has one
        ("state.network_device.readings.unknown": "Not readable"), else the state's."""
        entry = catalogue(self.lang).get(f"state.{kind}.{row}.{state}")
        return plural(entry, None) if entry is not None else self(f"state.{state}")

    def short_row_label(self, kind: str, row: str) -> str:
        """A chart's label for a row: the catalogue's short form when the full one is long."""
        entry = catalogue(self.lang).get(f"short.{kind}.{row}")
        return plural(entry, None) if entry is not None else self.row_label(kind, row)

    def result_text(self, summary: str, message: Any) -> tuple[str, str | None]:
        """A result's sentence in this language and its message id.

        ``message`` is the stored JSON of the result's MessageRef (collectors/messages.py).
        English is the collector's own summary (made from the same template); another
        language renders ``msg.<id>`` from its catalogue. A result without a message, or
        whose message this catalogue does not know, shows its English summary (id None
        when there is no message), so nothing is lost, and the catalogue test names the gap.
        """
        if isinstance(message, str):  # JSON columns come back as text from some drivers
            try:
                message = json.loads(message)
            except ValueError:
                message = None
        ref = messages.from_json_or_none(message)
        if ref is None:
            return summary, None
        if self.lang == "en":
            return summary, ref.id
        entries = catalogue(self.lang)
        try:
            text = messages.render(ref, lambda mid: entries.get(f"msg.{mid}"),
                                   messages.LIST_SEPARATOR.get(self.lang, ", "))
        except messages.MessageError:
            text = None
        return (text if text is not None else summary), ref.id

    def check_label(self, check: str) -> str:
        """A check's name for readers ("Port" / "端口"); a check the catalogue does not know shows its id."""
        entry = catalogue(self.lang).get(f"check.{check}")
        return plural(entry, None) if entry is not None else check

    def asset_part(self, path: str) -> str:
        """An asset archive change's part in words: ``memory[DIMM A1].serial`` reads
        "Memory DIMM A1 serial" / "内存 DIMM A1 序列号". The key in brackets is device
        text and stays as it is; a section or field the catalogue does not know shows its
        own word, so nothing is hidden."""
        match = _ASSET_PATH.match(path)
        if match is None:
            return path
        section, key, field = match.group("section", "key", "field")
        entries = catalogue(self.lang)
        words = [plural(entries[f"assets.section.{section}"], None) if f"assets.section.{section}" in entries
                 else section]
        if key:
            words.append(key)
        if field:
            words.append(plural(entries[f"assets.field.{field}"], None) if f"assets.field.{field}" in entries
                         else field)
        return " ".join(words)

    def tier_label(self, tier: str) -> str:
        """An SLA tier's name; configured tiers that the catalogue does not know show as they are."""
        entry = catalogue(self.lang).get(f"tier.{tier}")
        return plural(entry, None) if entry is not None else tier

    def short_date(self, value: Date) -> str:
        """A chart axis label: "10-05" / "10月5日"."""
        return format_date(value, format="M月d日" if self.lang == "zh-CN" else "d MMM", locale=self.locale)

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        # Digits only, the same in every locale: strftime gives what babel's format_datetime
        # gives for this pattern, ~20x faster (a 500-device console page formats 500 of them).
        return value.astimezone(ZoneInfo(self.zone)).strftime("%Y-%m-%d %H:%M")

    def number(self, value: float | int | None, digits: int = 0) -> str:
        return "—" if value is None else _number(self.lang, value, digits)

    def percent(self, value: float | None, digits: int = 1) -> str:
        return "—" if value is None else _percent(self.lang, value, digits)

    def minutes(self, value: float | None) -> str:
        if value is None:
            return "—"
        if value >= 120:
            return self("unit.hours", hours=self.number(value / 60, 1))
        return self("unit.minutes", minutes=self.number(value, 0))


# Reports format the same few values thousands of times (a 500-device report has 10,000
# evidence lines); CLDR formatting costs ~50 µs a call, a cache hit well under 1 µs.
@functools.cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang.replace("-", "_"))


@functools.lru_cache(maxsize=4096)
def _number(lang: str, value: float, digits: int) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


@functools.lru_cache(maxsize=4096)
def _percent(lang: str, value: float, digits: int) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(value, format=pattern, locale=_locale(lang))


def plural(entry: Any, count: int | None) -> str:
    """The form of a message for ``count`` (CLDR: English one/other; Chinese other only)."""
    if isinstance(entry, str):
        return entry
    if count == 1 and "one" in entry:
        return entry["one"]
    return entry["other"]
