"""Silences and maintenance windows of a site as the console lists, adds and ends them.

The same rows as `patrol tickets silence add|remove|list` (agent/ticketing/schema.py's
``silences``): the ticket engine reads them each cycle, so a silence made here holds
tickets back exactly as one made on the command line. A maintenance window is a row with
a start (``starts_at``): it holds tickets from its start to its end, its reason is its
name. ``*`` matches any target, check or item, as in the CLI. Silences and windows of the
configuration file are listed too, read-only (they end when the file says).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from agent.ticketing import schema

MAX_LENGTH = timedelta(days=90)
FIELD_LIMIT = 128  # the table's column width for target, check and item
REASON_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Hold:
    """One silence or maintenance window; ``id`` None: from the configuration file."""

    id: int | None
    target: str
    check: str
    item: str
    start: datetime | None  # None: a silence, in force since it was made
    until: datetime
    reason: str
    created_by: str

    @property
    def window(self) -> bool:
        return self.start is not None


def parse_local(text: str, zone: str, field: str) -> datetime:
    """A browser's ``datetime-local`` value (2026-12-06T18:00) in the console's zone, as UTC-aware."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{field}: {text.strip()[:40]!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    return value.replace(tzinfo=ZoneInfo(zone)) if value.tzinfo is None else value


def active(engine: sa.Engine, site: str, now: datetime, settings: Any = None) -> list[Hold]:
    """Silences and windows not ended yet, stored ones first, each by its end."""
    s = schema.silences
    query = sa.select(s).where(s.c.site == site, s.c.removed_at.is_(None), s.c.until > now).order_by(s.c.until)
    with engine.connect() as conn:
        rows = [Hold(r.id, r.target, r.check, r.item, r.starts_at, r.until, r.reason, r.created_by)
                for r in conn.execute(query)]
    if settings is not None:
        rows += [Hold(None, c.target, c.check, c.item, None, c.until, c.reason, "config")
                 for c in settings.silences if c.until > now]
        rows += [Hold(None, ",".join(w.targets), ",".join(w.checks), "*", w.start, w.end, w.name, "config")
                 for w in settings.maintenance if w.end > now]
    return rows


def _checked(target: str, check: str, item: str, reason: str) -> tuple[str, str, str, str]:
    target, check, item, reason = target.strip(), check.strip(), item.strip() or "*", reason.strip()
    if not target or not check:
        raise ValueError("give a target and a check (* for any)")
    if not reason:
        raise ValueError("give a reason (it is shown on held findings and in the audit log)")
    for name, value, limit in (("target", target, FIELD_LIMIT), ("check", check, FIELD_LIMIT),
                               ("item", item, FIELD_LIMIT), ("reason", reason, REASON_LIMIT)):
        if len(value) > limit:
            raise ValueError(f"{name}: at most {limit} characters")
    return target, check, item, reason


def add(engine: sa.Engine, site: str, *, target: str, check: str, item: str, until: datetime, reason: str,
        by: str, now: datetime, start: datetime | None = None) -> Hold:
    """A new silence (``start`` None: from now) or maintenance window until ``until``;
    raises ValueError naming the field that is wrong."""
    target, check, item, reason = _checked(target, check, item, reason)
    begins = start if start is not None else now
    if until <= now:
        raise ValueError("end: that time has passed")
    if until <= begins:
        raise ValueError("end: must be after the start")
    if until - begins > MAX_LENGTH:
        raise ValueError(f"end: at most {MAX_LENGTH.days} days after the start")
    if start is not None and start - now > timedelta(days=366):
        raise ValueError("start: at most a year ahead")
    values = {"site": site, "target": target, "check": check, "item": item, "starts_at": start, "until": until,
              "reason": reason, "created_by": by, "created_at": now}
    with engine.begin() as conn:
        new_id = conn.execute(schema.silences.insert().values(**values)).inserted_primary_key[0]
    return Hold(new_id, target, check, item, start, until, reason, by)


def end(engine: sa.Engine, site: str, hold_id: int, now: datetime) -> bool:
    """End a stored silence or window now (a planned window is cancelled); False: none active."""
    s = schema.silences
    with engine.begin() as conn:
        return bool(conn.execute(s.update().where(s.c.id == hold_id, s.c.site == site, s.c.removed_at.is_(None),
                                                  s.c.until > now).values(removed_at=now)).rowcount)


def split(holds: Sequence[Hold]) -> tuple[list[Hold], list[Hold]]:
    """(silences, maintenance windows)."""
    return [h for h in holds if not h.window], [h for h in holds if h.window]
