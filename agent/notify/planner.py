"""From the ticket events the engine recorded to queued notifications (one per event and channel).

The engine writes ``finding_events`` rows (ticket_opened, ticket_reopened, escalated,
ticket_resolved, acknowledged ...) in the transaction of its decision; this reads the
ones after its cursor, and in one transaction queues the notices and moves the cursor.
The queue's unique (site, channel, dedup) key makes a replay after a crash a no-op, so
a ticket event reaches a channel exactly once. SLA warnings are not engine events: they
are found here from the tickets' deadlines, once per ticket, deadline and channel.

Per ticket event there is one message: a storm ticket that groups 40 findings is one
notice, and result-level events (worsened, improved) are never notices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.notify import escalation, message, rules, schema
from agent.notify.message import Mention, Notice

# engine event kind -> notification event
EVENT_KINDS = {"ticket_opened": "opened", "ticket_reopened": "opened", "escalated": "escalated",
               "ticket_resolved": "resolved", "acknowledged": "acknowledged"}
FIRST_RUN_BACKLOG = timedelta(minutes=15)  # without a cursor, events older than this are history, not news
# With a cursor, older events are still not news: notifications switched off for a week and
# on again must not replay the week. (A crash between a ticket decision and its planning is
# caught up by the next cycle, minutes later.)
REPLAY_HORIZON = timedelta(hours=6)
_BATCH = 500


@dataclass(frozen=True, slots=True)
class Planned:
    channel: str
    rule: str
    dedup: str
    notice: Notice
    not_before: datetime


def _tables() -> tuple[sa.Table, sa.Table]:
    from agent.ticketing import schema as ticketing

    return ticketing.events, ticketing.tickets


def mentions_for(notify: Any, tier: str, level: int, at: datetime) -> tuple[Mention, ...]:
    out = []
    for key in escalation.people_for(notify, tier, level, at):
        person = notify.people[key]
        out.append(Mention(person.display or key, person.mail, person.mobile, person.wecom_userid,
                           person.feishu_user_id))
    return tuple(out)


def _ticket_url(notify: Any, ticket: Any) -> str | None:
    """The ticket system's own link (RT), else the console's tickets page of the site."""
    if ticket.url:
        return ticket.url
    if notify.console_url:
        from urllib.parse import quote

        return f"{notify.console_url.rstrip('/')}/site/{quote(ticket.site, safe='')}/tickets"
    return None


def _number(ticket: Any) -> str:
    """The number people know the ticket by (RT #8, #8), as everywhere else in Patrol."""
    from agent.ticketing.numbers import label

    return label(ticket.backend, ticket.key, ticket.fingerprint)


def notice_for_event(notify: Any, site: str, event: Any, ticket: Any) -> Notice | None:
    kind = EVENT_KINDS.get(event.kind)
    if kind is None:
        return None
    detail = event.detail or {}
    tier = str(detail.get("new") or detail.get("tier") or ticket.tier)
    level = int(detail.get("level") or 0) if kind == "escalated" else 0
    due = None
    if kind == "escalated":
        due = ticket.due_resolve if detail.get("missed") == "resolve" else ticket.due_response
    people = mentions_for(notify, tier, level, event.at) if kind in ("opened", "escalated") else ()
    return Notice(event=kind, site=site, ticket=_number(ticket), title=ticket.title, target=ticket.target,
                  check=ticket.check, severity=ticket.severity, tier=tier, at=event.at, due=due, level=level,
                  missed=detail.get("missed"), url=_ticket_url(notify, ticket), mentions=people)


def _plan(notify: Any, notice: Notice, dedup: str) -> list[Planned]:
    out = []
    for route in rules.routes(notify.rules, notice.event, notice.site, notice.tier, notice.check):
        out.append(Planned(route.channel, route.rule, dedup, notice,
                           rules.deliver_at(notify, route, notice.event, notice.tier, notice.at)))
    return out


def sla_warnings(notify: Any, tiers: Callable[[str], Any], site: str, tickets: Sequence[Any],
                 now: datetime) -> list[tuple[Notice, str]]:
    """Notices for deadlines ``sla_warn_at`` of the way through their window and not yet missed.

    The window of a deadline is its tier's minutes before it (the engine sets deadlines
    from the tier when a ticket opens or reopens)."""
    out = []
    for ticket in tickets:
        for which, due, window_min, live in (
                ("response", ticket.due_response, "respond_min", ticket.status == "open" and not ticket.response_breached),
                ("resolve", ticket.due_resolve, "resolve_min", ticket.status != "resolved" and not ticket.resolve_breached)):
            if not live or now >= due:
                continue
            try:
                window = timedelta(minutes=getattr(tiers(ticket.tier), window_min))
            except KeyError:
                window = due - ticket.opened_at
            start = max(due - window, ticket.opened_at) if ticket.reopen_count == 0 else due - window
            if now < start + (due - start) * notify.sla_warn_at:
                continue
            level = ticket.escalation_level
            notice = Notice(event="sla_warning", site=site, ticket=_number(ticket), title=ticket.title,
                            target=ticket.target, check=ticket.check, severity=ticket.severity, tier=ticket.tier,
                            at=now, due=due, level=level, missed=which, url=_ticket_url(notify, ticket),
                            mentions=mentions_for(notify, ticket.tier, level, now))
            out.append((notice, f"sla:{ticket.id}:{which}:{due.isoformat()}"))
    return out


class Planner:
    def __init__(self, engine: sa.Engine, site: str, notify: Any, tiers: Callable[[str], Any]):
        self.engine, self.site, self.notify, self.tiers = engine, site, notify, tiers

    def run(self, now: datetime) -> int:
        """Queue the notices of new ticket events and due SLA warnings; returns the rows queued."""
        events_t, tickets_t = _tables()
        queued = 0
        with self.engine.begin() as conn:
            last = conn.execute(sa.select(schema.cursor.c.last_event_id)
                                .where(schema.cursor.c.site == self.site)).scalar()
            top = conn.execute(sa.select(sa.func.max(events_t.c.id)).where(events_t.c.site == self.site)).scalar() or 0
            query = sa.select(events_t).where(events_t.c.site == self.site, events_t.c.id <= top,
                                              events_t.c.kind.in_(tuple(EVENT_KINDS)))
            if last is None:  # first run: recent events only, not the whole history
                query = query.where(events_t.c.at >= now - FIRST_RUN_BACKLOG)
            else:
                query = query.where(events_t.c.id > last, events_t.c.at >= now - REPLAY_HORIZON)
            found = conn.execute(query.order_by(events_t.c.id).limit(_BATCH)).all()
            newest = found[-1].id if len(found) == _BATCH else top
            planned: list[Planned] = []
            for event in found:
                ticket = conn.execute(sa.select(tickets_t).where(tickets_t.c.site == self.site,
                                                                 tickets_t.c.fingerprint == event.fingerprint,
                                                                 tickets_t.c.opened_at <= event.at)
                                      .order_by(tickets_t.c.id.desc()).limit(1)).first()
                if ticket is None:
                    continue
                notice = notice_for_event(self.notify, self.site, event, ticket)
                if notice is not None:
                    planned += _plan(self.notify, notice, f"event:{event.id}")
            active = conn.execute(sa.select(tickets_t).where(tickets_t.c.site == self.site,
                                                             tickets_t.c.status != "resolved")).all()
            for notice, dedup in sla_warnings(self.notify, self.tiers, self.site, active, now):
                planned += _plan(self.notify, notice, dedup)
            queued = self._insert(conn, planned, now)
            values = {"last_event_id": newest, "updated_at": now}
            if conn.execute(schema.cursor.update().where(schema.cursor.c.site == self.site)
                            .values(**values)).rowcount == 0:
                conn.execute(schema.cursor.insert().values(site=self.site, **values))
        return queued

    def _insert(self, conn: sa.Connection, planned: Sequence[Planned], now: datetime) -> int:
        if not planned:
            return 0
        q = schema.queue
        existing = {(r.channel, r.dedup) for r in conn.execute(
            sa.select(q.c.channel, q.c.dedup).where(q.c.site == self.site,
                                                    q.c.dedup.in_({p.dedup for p in planned})))}
        rows, seen = [], set(existing)
        for p in planned:
            if (p.channel, p.dedup) in seen:
                continue
            seen.add((p.channel, p.dedup))
            rows.append({"site": self.site, "channel": p.channel, "dedup": p.dedup, "event": p.notice.event,
                         "rule": p.rule, "payload": message.to_json(p.notice), "created_at": now,
                         "status": "pending", "attempts": 0, "next_attempt_at": p.not_before})
        if rows:
            conn.execute(q.insert(), rows)
        return len(rows)
