"""Who is told at each escalation level of a tier (pure).

``notify.chains`` maps a tier to people, e.g. ``urgent: [team:ops, lead-li, manager-wang]``:
level 0 (the ticket opened, or an SLA warning before any escalation) tells the on-duty
members of team ops, level 1 (the first missed deadline) the team lead, level 2 the
manager; levels past the end stay with the last. An entry ``team:NAME`` with nobody on
duty (night, holiday) passes to the next entry, so a message always names someone when
the chain has anyone at all.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from agent.notify.schedule import on_duty


def people_for(notify: object, tier: str, level: int, at: datetime) -> tuple[str, ...]:
    """People keys told at escalation ``level`` of ``tier`` at time ``at``."""
    chain = notify.chains.get(tier, ())  # type: ignore[attr-defined]
    if not chain:
        return ()
    zone = ZoneInfo(notify.timezone)  # type: ignore[attr-defined]
    for index in range(min(max(level, 0), len(chain) - 1), len(chain)):
        entry = chain[index]
        if not entry.startswith("team:"):
            return (entry,)
        team = notify.teams[entry[5:]]  # type: ignore[attr-defined]
        if on_duty(team, at, zone, notify.holidays):  # type: ignore[attr-defined]
            if team.members:
                return tuple(team.members)
    return ()
