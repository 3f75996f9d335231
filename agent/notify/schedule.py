"""Quiet hours, on-duty hours and holidays, in the site's time zone (pure functions).

A range whose end is before its start runs over midnight and belongs to the day it
starts on (fri 22:00-07:00 covers Friday night into Saturday morning). A holiday is a
whole local day: quiet, and nobody is on duty, when the team says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def in_range(days: Sequence[str], start: time, end: time, local: datetime) -> bool:
    """Whether local time ``local`` lies in the weekly range [start, end) on ``days``."""
    t = local.time().replace(tzinfo=None)
    day = DAYS[local.weekday()]
    if start < end:
        return day in days and start <= t < end
    previous = DAYS[(local.weekday() - 1) % 7]
    return (day in days and t >= start) or (previous in days and t < end)


def _any(ranges: Sequence[object], local: datetime) -> bool:
    return any(in_range(r.days, r.start, r.end, local) for r in ranges)  # type: ignore[attr-defined]


def is_holiday(local: datetime, holidays: Sequence[date]) -> bool:
    return local.date() in holidays


def on_duty(team: object, at: datetime, zone: ZoneInfo, holidays: Sequence[date]) -> bool:
    """Whether ``team``'s members are on duty at ``at`` (no on_duty ranges: always)."""
    local = at.astimezone(zone)
    if team.holidays_quiet and is_holiday(local, holidays):  # type: ignore[attr-defined]
        return False
    ranges = team.on_duty  # type: ignore[attr-defined]
    return not ranges or _any(ranges, local)


def is_quiet(team: object, at: datetime, zone: ZoneInfo, holidays: Sequence[date]) -> bool:
    local = at.astimezone(zone)
    if team.holidays_quiet and is_holiday(local, holidays):  # type: ignore[attr-defined]
        return True
    return _any(team.quiet, local)  # type: ignore[attr-defined]


def quiet_until(team: object, at: datetime, zone: ZoneInfo, holidays: Sequence[date], horizon_days: int = 40) -> datetime:
    """The first moment at or after ``at`` that is not quiet (``at`` itself when it is not).

    Quiet only ends at a range's end or at a local midnight (the end of a holiday), so
    those are the only candidates looked at. A team quiet for more than ``horizon_days``
    (a misconfiguration: quiet all week) gets its message at the horizon rather than never.
    """
    if not is_quiet(team, at, zone, holidays):
        return at
    local = at.astimezone(zone)
    ends = sorted({r.end for r in team.quiet})  # type: ignore[attr-defined]
    candidates: list[datetime] = []
    for offset in range(horizon_days + 1):
        day = local.date() + timedelta(days=offset)
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        candidates.append(midnight)
        for end in ends:
            when = midnight + timedelta(days=1) if end == time.max else datetime.combine(day, end, tzinfo=zone)
            candidates.append(when)
    for candidate in sorted(c for c in candidates if c > at):
        if not is_quiet(team, candidate, zone, holidays):
            return candidate
    return at + timedelta(days=horizon_days)
