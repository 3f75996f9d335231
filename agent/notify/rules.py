"""Which rules and channels a ticket event goes to, and when (pure).

Every matching rule's channels are told, each channel once per event (the first
matching rule decides the team whose quiet hours apply). Escalations and tiers listed
in the team's ``quiet_except_tiers`` go out at once; anything else waits for the end of
the quiet hours (it is delayed, never dropped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo

from agent.notify.schedule import quiet_until


@dataclass(frozen=True, slots=True)
class Route:
    rule: str
    channel: str
    team: str | None


def _any(patterns: Sequence[str], value: str) -> bool:
    return not patterns or any(fnmatchcase(value, p) for p in patterns)


def matches(rule: object, event: str, site: str, tier: str, check: str) -> bool:
    return (event in rule.events and _any(rule.sites, site)  # type: ignore[attr-defined]
            and (not rule.tiers or tier in rule.tiers) and _any(rule.checks, check))  # type: ignore[attr-defined]


def routes(rules: Sequence[object], event: str, site: str, tier: str, check: str) -> list[Route]:
    out: dict[str, Route] = {}
    for rule in rules:
        if matches(rule, event, site, tier, check):
            for channel in rule.channels:  # type: ignore[attr-defined]
                out.setdefault(channel, Route(rule.name, channel, rule.team))  # type: ignore[attr-defined]
    return list(out.values())


def deliver_at(notify: object, route: Route, event: str, tier: str, at: datetime) -> datetime:
    """When a message of ``event`` may go out on ``route`` (``at`` or the end of quiet hours)."""
    if route.team is None or event == "escalated":
        return at
    team = notify.teams[route.team]  # type: ignore[attr-defined]
    if tier in team.quiet_except_tiers:
        return at
    return quiet_until(team, at, ZoneInfo(notify.timezone), notify.holidays)  # type: ignore[attr-defined]
