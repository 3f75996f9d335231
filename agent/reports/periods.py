"""Report periods: a month ("2026-10"), a quarter ("2026Q3") or explicit dates, in the site's zone.

A period is half-open, [start, end), in UTC for store queries; ``label`` keeps what the
user asked for so the report shows "2026-10" rather than two timestamps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter" | "range"
    label: str
    first_day: date
    last_day: date  # inclusive, as shown to people
    zone: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, datetime.min.time(), ZoneInfo(self.zone)).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        nxt = self.last_day + timedelta(days=1)
        return datetime.combine(nxt, datetime.min.time(), ZoneInfo(self.zone)).astimezone(timezone.utc)

    def previous(self) -> Period:
        """The period of the same kind just before this one (for comparisons and trends)."""
        if self.kind == "month":
            last = self.first_day - timedelta(days=1)
            return month(last.year, last.month, self.zone)
        if self.kind == "quarter":
            last = self.first_day - timedelta(days=1)
            return quarter(last.year, (last.month - 1) // 3 + 1, self.zone)
        length = (self.last_day - self.first_day).days + 1
        last = self.first_day - timedelta(days=1)
        first = last - timedelta(days=length - 1)
        return Period("range", f"{first}..{last}", first, last, self.zone)


def month(year: int, mon: int, zone: str = "UTC") -> Period:
    first = date(year, mon, 1)
    nxt = date(year + (mon == 12), mon % 12 + 1, 1)
    return Period("month", f"{year:04d}-{mon:02d}", first, nxt - timedelta(days=1), zone)


def quarter(year: int, q: int, zone: str = "UTC") -> Period:
    first = date(year, 3 * (q - 1) + 1, 1)
    nxt = date(year + (q == 4), (3 * q) % 12 + 1, 1)
    return Period("quarter", f"{year:04d}Q{q}", first, nxt - timedelta(days=1), zone)


def parse_period(text: str, zone: str = "UTC") -> Period:
    """"2026-10", "2026Q3" or "2026-10-01..2026-10-15" (inclusive dates)."""
    text = text.strip()
    if m := _MONTH.match(text):
        year, mon = int(m[1]), int(m[2])
        if not 1 <= mon <= 12:
            raise PeriodError(f"month {mon} in {text!r} is not 01-12")
        return month(year, mon, zone)
    if m := _QUARTER.match(text):
        return quarter(int(m[1]), int(m[2]), zone)
    if m := _RANGE.match(text):
        try:
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError as exc:
            raise PeriodError(f"{text!r}: {exc}") from None
        if last < first:
            raise PeriodError(f"{text!r}: the end date is before the start date")
        return Period("range", text, first, last, zone)
    raise PeriodError(f"{text!r} is not a period: use 2026-10 (a month), 2026Q3 (a quarter) "
                      "or 2026-10-01..2026-10-15 (inclusive dates)")


def last_month(now: datetime, zone: str = "UTC") -> Period:
    local = now.astimezone(ZoneInfo(zone)).date().replace(day=1) - timedelta(days=1)
    return month(local.year, local.month, zone)


def last_quarter(now: datetime, zone: str = "UTC") -> Period:
    local = now.astimezone(ZoneInfo(zone)).date()
    current = quarter(local.year, (local.month - 1) // 3 + 1, zone)
    return current.previous()
