"""What each console page shows, read from the store: plain frozen values for the templates.

Nothing here renders or knows about HTTP; the routes (web.py) pick the user's sites and
pass the store of one site at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.store import LatestState
from agent.ticketing.queries import Ticket, open_tickets
from collectors.base import CheckResult, State

# Worst first, as an engineer reads a site: a known failure, then what may hide one.
STATE_ORDER = {State.CRIT: 0, State.UNKNOWN: 1, State.WARN: 2, State.OK: 3}
AGENT_SILENT_CHECK = "agent.silent"
# A target that is not in the site's inventory (an enrolled PC, a device of a removed
# inventory line) gets its kind from the family that reported on it.
KIND_OF_COLLECTOR = {"switch": "network_device", "netconfig": "network_device", "printer_snmp": "printer"}


@dataclass(frozen=True, slots=True)
class DeviceRow:
    name: str
    kind: str  # host | network_device | printer | other
    address: str
    state: State
    problems: int  # items not OK
    items: int
    last_seen: datetime | None
    groups: tuple[str, ...] = ()  # the inventory's groups of the target


@dataclass(frozen=True, slots=True)
class TicketRow:
    ticket: Ticket
    due: datetime  # the next deadline: response while unacknowledged, else resolution
    breached: bool
    seconds_left: float


@dataclass(frozen=True, slots=True)
class SiteSummary:
    name: str
    state: State
    devices: int
    problems: int
    tickets_by_tier: tuple[tuple[str, int], ...]
    next_due: TicketRow | None
    silent_agents: int
    last_report: datetime | None


def ticket_row(ticket: Ticket, now: datetime) -> TicketRow:
    due = ticket.due_response if ticket.acknowledged_at is None else ticket.due_resolve
    breached = (ticket.response_breached or ticket.resolve_breached or now > due)
    return TicketRow(ticket, due, breached, (due - now).total_seconds())


@dataclass(frozen=True, slots=True)
class Tally:
    """How many latest items of one target, reported by one collector, are in one state."""

    target: str
    collector: str
    state: State
    items: int
    last: datetime


def tallies(store: Any) -> list[Tally]:
    """The site's latest states counted per target, collector and state, in SQL: the site
    and overview pages need counts, not the 3,600 decoded results of a 500-device site
    (reading those was most of the site page's time)."""
    import sqlalchemy as sa

    from agent.store import core
    from agent.store.types import UTCDateTime

    t = core.latest
    query = (sa.select(t.c.target, t.c.collector, t.c.state, sa.func.count(),
                       sa.func.max(t.c.observed_at, type_=UTCDateTime))
             .where(t.c.site == store.site).group_by(t.c.target, t.c.collector, t.c.state))
    with store.engine.connect() as conn:
        return [Tally(target, collector, State(state), items, last) for target, collector, state, items, last
                in conn.execute(query)]


def tallies_of(latest: Iterable[LatestState]) -> list[Tally]:
    """The same counts from decoded latest states: what the pages did before ``tallies``,
    kept as the reference the tests and bench/console.py compare it with."""
    counts: dict[tuple[str, str, State], list[Any]] = {}
    for row in latest:
        r = row.result
        entry = counts.setdefault((r.target, row.collector, r.state), [0, r.observed_at])
        entry[0] += 1
        entry[1] = max(entry[1], r.observed_at)
    return [Tally(target, collector, state, n, last) for (target, collector, state), (n, last) in counts.items()]


def devices(counted: Iterable[Tally], inventory: Any) -> list[DeviceRow]:
    """Every inventory target and every target with stored results, worst first."""
    by_target: dict[str, list[Tally]] = {}
    collectors: dict[str, str] = {}
    for tally in sorted(counted, key=lambda c: (c.target, c.collector)):
        by_target.setdefault(tally.target, []).append(tally)
        if tally.collector in KIND_OF_COLLECTOR or tally.target not in collectors:
            collectors[tally.target] = tally.collector
    # The collector's own machine is in every site's inventory as the local host; it is a
    # device of a site only where its checks report.
    known = {t.name: t for t in (inventory.targets if inventory is not None else ())
             if not getattr(t, "local", False) or t.name in by_target}
    out = []
    for name in sorted(set(by_target) | set(known)):
        counts = by_target.get(name, [])
        target = known.get(name)
        kind = target.kind if target is not None else KIND_OF_COLLECTOR.get(collectors.get(name, ""), "host")
        state = State.worst(c.state for c in counts) if counts else State.UNKNOWN
        out.append(DeviceRow(name, kind, getattr(target, "address", "") or "", state,
                             sum(c.items for c in counts if c.state.is_problem), sum(c.items for c in counts),
                             max((c.last for c in counts), default=None),
                             tuple(getattr(target, "groups", ()) or ())))
    out.sort(key=lambda d: (STATE_ORDER[d.state], -d.problems, d.name))
    return out


def filter_devices(rows: Iterable[DeviceRow], kind: str | None, state: str | None,
                   group: str | None = None) -> list[DeviceRow]:
    return [d for d in rows if (not kind or d.kind == kind) and (not state or d.state.value == state)
            and (not group or group in d.groups)]


def groups_of(inventory: Any) -> list[str]:
    """Every group a target of the inventory is in, sorted (the site page's filter)."""
    return sorted({g for t in (inventory.targets if inventory is not None else ()) for g in (t.groups or ())})


def site_summary(name: str, store: Any, inventory: Any, now: datetime, last_report: datetime | None) -> SiteSummary:
    rows = devices(tallies(store), inventory)
    tickets = [ticket_row(t, now) for t in open_tickets(store)] if _has_ticketing(store) else []
    tiers = Counter(t.ticket.priority for t in tickets)
    silent = silent_agents(store)
    return SiteSummary(name, State.worst(d.state for d in rows) if rows else State.OK, len(rows),
                       sum(1 for d in rows if d.state.is_problem), tuple(sorted(tiers.items())),
                       min(tickets, key=lambda t: t.due, default=None), silent, last_report)


def port_states(store: Any, check: str) -> dict[tuple[str, str], State]:
    """(device, port) -> the state of its latest ``check`` (switch.port) result, read
    without decoding the results (the map of a big site has thousands)."""
    import sqlalchemy as sa

    from agent.store import core

    t = core.latest
    query = sa.select(t.c.target, t.c.item, t.c.state).where(t.c.site == store.site, t.c.check == check)
    with store.engine.connect() as conn:
        return {(target, item): State(state) for target, item, state in conn.execute(query)}


def silent_agents(store: Any) -> int:
    import sqlalchemy as sa

    from agent.store import core

    t = core.latest
    query = sa.select(sa.func.count()).where(t.c.site == store.site, t.c.check == AGENT_SILENT_CHECK,
                                             t.c.state != State.OK.value)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def site_tickets(store: Any, now: datetime, target: str | None = None) -> list[TicketRow]:
    if not _has_ticketing(store):
        return []
    rows = [ticket_row(t, now) for t in open_tickets(store) if target is None or t.target == target]
    return sorted(rows, key=lambda r: (not r.breached, r.due))


def results_of(store: Any, target: str, start: datetime, end: datetime, *, only: Sequence[str] = (),
               leave_out: Sequence[str] = ()) -> list[CheckResult]:
    """The target's results in [start, end), oldest first, of the checks ``only`` (all if
    empty) but not ``leave_out``: a switch's 48 ports x 288 polls a day are not read for
    its CPU's sparkline."""
    import sqlalchemy as sa

    from agent.store import core
    from agent.store.store import _result_from_row

    r = core.results
    query = sa.select(r).where(r.c.site == store.site, r.c.target == target, r.c.observed_at >= start,
                               r.c.observed_at < end).order_by(r.c.observed_at, r.c.id)
    if only:
        query = query.where(r.c.check.in_(only))
    if leave_out:
        query = query.where(r.c.check.not_in(leave_out))
    with store.engine.connect() as conn:
        return [_result_from_row(row) for row in conn.execute(query)]


def _has_ticketing(store: Any) -> bool:
    import sqlalchemy as sa

    return sa.inspect(store.engine).has_table("tickets")
