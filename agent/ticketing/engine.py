"""The ticket lifecycle: finding events in, ticket decisions (outbox operations) out.

Per cycle (see ``TicketEngine.cycle``):

1. finding events from agent/findings.py are applied to tickets: worsening comments at
   once and raises the priority, other changes comment at most once per
   ``comment_interval_s`` (later notes are kept and sent when allowed), flapping is noted
   on the ticket, recovery resolves with a comment saying what recovered and when;
2. open findings without a ticket are reconciled: held when a parent they depend on is
   down (the parent's ticket lists them), or silenced, or in a maintenance window (holds
   are audited); otherwise their ticket is opened, or reopened when the last one closed
   within the reopen window; beyond ``storm_limit`` new tickets in the cycle the rest
   share one summary ticket;
3. deadlines are checked: a missed response or resolve deadline escalates (tier up, a
   comment, an optional notification).

The engine only decides and records; every backend call is an outbox row
(agent/ticketing/outbox.py), sent in order and retried until it goes through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from agent.findings import FindingEvent, FindingRecord, fingerprint
from agent.ticketing import numbers
from collectors.base import State
from config.ticketing import TicketingSettings

STORM_CHECK = "patrol.storm"
# Group tickets' fingerprints: site + target + these (grouping "device"), or + check + GROUP_ITEM ("device_check").
GROUP_CHECK = "patrol.device"
GROUP_ITEM = "*"


@dataclass(slots=True, eq=False)  # identity, not field-by-field: records are live objects
class TicketRecord:
    """The engine's view of one ticket (mutable; persisted by agent/ticketing/state.py)."""

    fingerprint: str
    kind: str  # finding | group (one device's problems, ``grouped`` lists them) | storm
    site: str
    target: str
    check: str
    item: str
    title: str
    backend: str
    status: str
    severity: State
    tier: str
    opened_at: datetime
    due_response: datetime
    due_resolve: datetime
    key: str | None = None
    url: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    response_breached: bool = False
    resolve_breached: bool = False
    escalation_level: int = 0
    comments: int = 0
    reopen_count: int = 0
    flapping: bool = False
    suppressed: list[str] = field(default_factory=list)
    grouped: list[str] = field(default_factory=list)  # storm and group tickets: the findings they stand for
    id: int | None = None
    dirty: bool = True

    @property
    def active(self) -> bool:
        return self.status != "resolved"

    @property
    def label(self) -> str:
        """The ticket system's number (RT #8), or ``queued <fingerprint>`` before it has one."""
        return numbers.label(self.backend, self.key, self.fingerprint)


@dataclass(frozen=True, slots=True)
class Op:
    ticket: TicketRecord
    op: str  # open | comment | priority | resolve | reopen | ack | notify
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    fingerprint: str
    at: datetime
    kind: str
    target: str
    check: str
    item: str
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Audit:
    action: str
    subject: str
    detail: Mapping[str, Any]
    actor: str = "patrol"


@dataclass(frozen=True, slots=True)
class SilenceRule:
    target: str
    check: str
    item: str
    until: datetime
    reason: str
    start: datetime | None = None  # a maintenance window planned in the console; None: in force now

    def matches(self, record: FindingRecord, now: datetime) -> bool:
        return ((self.start is None or self.start <= now) and now < self.until and fnmatchcase(record.target, self.target) and fnmatchcase(record.check, self.check)
                and fnmatchcase(record.item, self.item))


@dataclass(frozen=True)
class TargetIndex:
    """What the engine needs from the inventory: criticality and who each target depends on."""

    criticality: Mapping[str, str]
    ancestors: Mapping[str, tuple[str, ...]]  # nearest first, transitively

    @classmethod
    def from_inventory(cls, inventory: Any) -> "TargetIndex":
        if inventory is None:
            return cls({}, {})
        targets = {t.name: t for t in inventory.targets}
        ancestors: dict[str, tuple[str, ...]] = {}
        for name, target in targets.items():
            seen: list[str] = []
            queue = list(target.depends_on)
            while queue:
                parent = queue.pop(0)
                if parent in seen or parent == name:
                    continue
                seen.append(parent)
                if parent in targets:
                    queue.extend(targets[parent].depends_on)
            ancestors[name] = tuple(seen)
        return cls({n: t.criticality for n, t in targets.items()}, ancestors)


@dataclass(frozen=True)
class CycleSummary:
    """What one cycle did to tickets, for the console and `patrol run`'s log."""

    opened: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    resolved: tuple[str, ...] = ()
    reopened: tuple[str, ...] = ()
    suppressed: tuple[str, ...] = ()
    escalated: tuple[str, ...] = ()
    held: tuple[str, ...] = ()  # silenced or in a maintenance window
    grouped: tuple[str, ...] = ()  # put into the storm summary ticket
    decisions: int = 0  # results looked at
    outbox_sent: int = 0
    outbox_waiting: int = 0
    outbox_oldest_s: float | None = None  # how long the oldest waiting call has waited
    outbox_error: str | None = None  # the latest error among the waiting calls
    outbox_recovered: int = 0  # calls delivered this cycle after failed attempts: the backend is back
    outbox_max_delay_s: float = 0.0  # the longest wait among the calls delivered

    @property
    def changed(self) -> bool:
        return any((self.opened, self.updated, self.resolved, self.reopened, self.suppressed, self.escalated,
                    self.held, self.grouped))

    def describe(self) -> str:
        parts = [f"{len(values)} {name}" for name, values in (
            ("opened", self.opened), ("reopened", self.reopened), ("updated", self.updated),
            ("resolved", self.resolved), ("escalated", self.escalated), ("suppressed", self.suppressed),
            ("held", self.held), ("in storm summary", self.grouped)) if values]
        text = "tickets: " + (", ".join(parts) if parts else "no change")
        if self.outbox_waiting:
            text += f"; {self.outbox_waiting} backend call(s) waiting in the outbox"
            if self.outbox_oldest_s is not None:
                text += f" (oldest {_duration(self.outbox_oldest_s)}"
                text += f"; last error: {self.outbox_error})" if self.outbox_error else ")"
        if self.outbox_recovered:
            text += (f"; backend reachable again: {self.outbox_recovered} delayed call(s) delivered, "
                     f"the longest after {_duration(self.outbox_max_delay_s)}")
        elif self.outbox_sent and self.outbox_max_delay_s >= 60:
            text += f"; {self.outbox_sent} call(s) sent, the longest after {_duration(self.outbox_max_delay_s)}"
        return text


def _held_label(record: FindingRecord) -> str:
    """How a suppressed finding is listed on the down target's ticket."""
    parent = (record.held_reason or "").split()[1:2]
    return f"{record.target} {record.check}" if parent == [record.target] else record.target


def _fmt(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "-"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(int(seconds), 0)} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"


class TicketEngine:
    """Decides ticket operations; holds the tickets of one site in memory during a cycle."""

    def __init__(self, settings: TicketingSettings, site: str, backend_name: str, targets: TargetIndex):
        self.settings = settings
        self.site = site
        self.backend_name = backend_name
        self.targets = targets
        self.tickets: dict[str, TicketRecord] = {}  # latest ticket per fingerprint
        self.storm_fp = fingerprint(site, "*", STORM_CHECK, "")
        self._down_checks = frozenset(settings.down_checks)
        # check glob -> tier; the collector adds the tier labels of Alertmanager alerts here
        self.check_tiers: dict[str, str] = dict(getattr(settings, "check_tiers", {}) or {})
        self._tier_rank = {t.name: i for i, t in enumerate(settings.tiers)}
        self.reset_outputs()

    # --- outputs of a cycle -------------------------------------------------------------------

    def reset_outputs(self) -> None:
        self.ops: list[Op] = []
        self.retired: list[TicketRecord] = []  # replaced in ``tickets`` this cycle, still to be saved
        self.events: list[Event] = []
        self.audits: list[Audit] = []
        self._out: dict[str, list[str]] = {k: [] for k in (
            "opened", "updated", "resolved", "reopened", "suppressed", "escalated", "held", "grouped")}

    def summary(self, decisions: int) -> CycleSummary:
        return CycleSummary(**{k: tuple(v) for k, v in self._out.items()}, decisions=decisions)

    def _install(self, ticket: TicketRecord) -> None:
        """Make ``ticket`` the current one of its fingerprint, keeping the one it replaces for saving."""
        old = self.tickets.get(ticket.fingerprint)
        if old is not None and old is not ticket:
            self.retired.append(old)
        self.tickets[ticket.fingerprint] = ticket

    def _op(self, ticket: TicketRecord, op: str, **payload: Any) -> None:
        ticket.dirty = True
        self.ops.append(Op(ticket, op, payload))

    def _event(self, record: FindingRecord | TicketRecord, kind: str, now: datetime, **detail: Any) -> None:
        self.events.append(Event(record.fingerprint, now, kind, record.target, record.check, record.item, detail))

    def _comment(self, ticket: TicketRecord, text: str, now: datetime, record: FindingRecord | None = None) -> None:
        ticket.comments += 1
        self._op(ticket, "comment", text=text)
        if record is not None:
            record.last_comment_at, record.pending_note, record.dirty = now, None, True

    # --- grouping ------------------------------------------------------------------------------

    def group_fp(self, record: FindingRecord) -> str:
        """The fingerprint of the ticket ``record`` belongs to (``grouping``): its own, its device's and check's,
        or its device's. It goes to the backend like any fingerprint, so a lost database finds the ticket again."""
        grouping = getattr(self.settings, "grouping", "finding")
        if grouping == "device":
            return fingerprint(self.site, record.target, GROUP_CHECK, "")
        if grouping == "device_check":
            return fingerprint(self.site, record.target, record.check, GROUP_ITEM)
        return record.fingerprint

    @staticmethod
    def owns(ticket: TicketRecord, record: FindingRecord) -> bool:
        """Whether ``ticket`` is ``record``'s own (alone or in its device group), not a storm summary."""
        return ticket.fingerprint == record.fingerprint or (ticket.kind == "group" and record.fingerprint in ticket.grouped)

    # --- priority and SLA ---------------------------------------------------------------------

    def tier_for(self, severity: State, check: str, target: str) -> str:
        for pattern, tier in self.check_tiers.items():
            if fnmatchcase(check, pattern):
                return tier
        if self.settings.down_tier and severity is State.CRIT and check in self._down_checks:
            return self.settings.down_tier
        criticality = self.targets.criticality.get(target, "normal")
        row = self.settings.priority.get(severity.value) or {}
        tier = row.get(criticality)  # type: ignore[call-overload]
        return tier if tier is not None else self.settings.tiers[-1].name

    def level(self, tier: str) -> int:
        return self.settings.tier(tier).rt_priority

    def _more_urgent(self, a: str, b: str) -> bool:
        return self._tier_rank.get(a, 99) < self._tier_rank.get(b, 99)

    def _set_deadlines(self, ticket: TicketRecord, now: datetime) -> None:
        tier = self.settings.tier(ticket.tier)
        ticket.due_response = now + timedelta(minutes=tier.respond_min)
        ticket.due_resolve = now + timedelta(minutes=tier.resolve_min)
        ticket.response_breached = ticket.resolve_breached = False

    # --- the cycle ----------------------------------------------------------------------------

    def cycle(self, events: Sequence[FindingEvent], active: Mapping[str, FindingRecord], now: datetime,
              silences: Sequence[SilenceRule]) -> None:
        for event in events:
            self._apply(event, now)
        self._reconcile(active, now, silences)
        self._flush_notes(active, now)
        self._escalate(now)

    def _apply(self, event: FindingEvent, now: datetime) -> None:
        record = event.record
        kind = event.kind
        if kind == "discarded":
            return
        if kind == "opened":
            self._event(record, "opened", now, severity=record.severity.value, flapping=record.flapping)
            return  # the ticket is decided in _reconcile, with suppression and storm control
        ticket = self.tickets.get(record.ticket_fp) if record.ticket_fp else None
        if kind in ("resolved", "stale"):
            self._event(record, kind, now, held=record.held_reason)
            self._finding_resolved(record, ticket, event, now)
            return
        if ticket is None or not ticket.active:
            if kind in ("worsened", "improved", "flapping"):
                self._event(record, kind, now, previous=event.previous.value if event.previous else None,
                            severity=record.severity.value)
            return
        own = self.owns(ticket, record)
        if kind == "flapping":
            self._event(record, "flapping", now, changes=len(record.transitions))
            if own:
                ticket.flapping = True
                self._comment(ticket, f"Flapping: {len(record.transitions)} state changes within "
                                      f"{_duration(self.settings.flap_window_s)}. The ticket stays open until the "
                                      f"check is stable.\n\nLatest: {record.evidence}", now, record)
                self._out["updated"].append(record.title)
            return
        previous = event.previous or record.severity
        self._event(record, kind, now, previous=previous.value, severity=record.severity.value)
        if not own:  # grouped in a storm ticket: its changes are not worth a comment each
            return
        note = (f"{kind.capitalize()}: {previous.value.upper()} -> {record.severity.value.upper()} "
                f"at {_fmt(now)}.\n\n{record.evidence}")
        ticket.severity = record.severity
        self._out["updated"].append(record.title)
        if kind == "worsened":
            self._comment(ticket, note, now, record)
            tier = self.tier_for(record.severity, record.check, record.target)
            if self._more_urgent(tier, ticket.tier):
                old, ticket.tier = ticket.tier, tier
                self._op(ticket, "priority", tier=tier, level=self.level(tier))
                self._event(ticket, "priority_raised", now, old=old, new=tier)
            return
        if self._may_comment(record, now):
            self._comment(ticket, note, now, record)
        else:
            record.pending_note, record.dirty = note, True

    def _may_comment(self, record: FindingRecord, now: datetime) -> bool:
        last = record.last_comment_at
        return last is None or (now - last).total_seconds() >= self.settings.comment_interval_s

    def _finding_resolved(self, record: FindingRecord, ticket: TicketRecord | None, event: FindingEvent,
                          now: datetime) -> None:
        if ticket is None or not ticket.active:
            return
        lasted = (now - (record.opened_at or record.first_seen)).total_seconds()
        what = f"{record.check}{f' [{record.item}]' if record.item else ''} on {record.target}"
        if event.kind == "stale":
            text = (f"Closed: nothing has reported on {what} since {_fmt(record.last_seen)} "
                    f"(target or check removed from the configuration?).")
        else:
            ok = event.result.summary if event.result is not None else "OK"
            text = (f"Recovered: {what} is OK since {_fmt(record.ok_since or now)} ({ok}). "
                    f"The problem lasted {_duration(lasted)}.")
        if ticket.fingerprint == record.fingerprint:
            self._resolve_ticket(ticket, text + "\nResolved automatically by Patrol.", now, "patrol")
            self._out["resolved"].append(record.title)
            return
        if ticket.kind == "group":  # one of a device's problems: cleared as a comment, resolved with the last
            if record.fingerprint in ticket.grouped:
                ticket.grouped.remove(record.fingerprint)
            if ticket.grouped:
                self._comment(ticket, f"Cleared: {text} {len(ticket.grouped)} problem(s) of this ticket remain.", now)
                self._out["updated"].append(ticket.title)
            else:
                self._resolve_ticket(ticket, text + "\nEvery problem of this ticket has cleared. "
                                                    "Resolved automatically by Patrol.", now, "patrol")
                self._out["resolved"].append(ticket.title)
            return
        # A finding grouped into the storm summary: note it; close the summary with the last one.
        if record.fingerprint in ticket.grouped:
            ticket.grouped.remove(record.fingerprint)
        self._comment(ticket, text, now)
        if not ticket.grouped:
            self._resolve_ticket(ticket, "Every finding of this summary has recovered.", now, "patrol")
            self._out["resolved"].append(ticket.title)

    def _resolve_ticket(self, ticket: TicketRecord, text: str, now: datetime, actor: str) -> None:
        ticket.status, ticket.resolved_at, ticket.resolved_by = "resolved", now, actor
        self._op(ticket, "resolve", text=text)
        self._event(ticket, "ticket_resolved", now, key=ticket.key, by=actor)
        self.audits.append(Audit("ticket.resolve", ticket.title, {"fingerprint": ticket.fingerprint}, actor))

    # --- reconcile: open findings without a ticket ----------------------------------------

    def _down_targets(self, active: Mapping[str, FindingRecord]) -> dict[str, FindingRecord]:
        down: dict[str, FindingRecord] = {}
        for record in active.values():
            if record.check in self._down_checks and (record.status == "open" or record.bad_count > 0):
                down.setdefault(record.target, record)
        return down

    def _hold_reason(self, record: FindingRecord, now: datetime, down: Mapping[str, FindingRecord],
                     silences: Sequence[SilenceRule]) -> str | None:
        if record.target in down and record.check not in self._down_checks:
            # The target itself is unreachable: its other checks fail for that one reason.
            return f"suppressed: {record.target} is down"
        # The farthest down ancestor is the root cause (a router behind which a switch is down too).
        downs = [parent for parent in self.targets.ancestors.get(record.target, ()) if parent in down]
        if downs:
            return f"suppressed: {downs[-1]} is down"
        for rule in silences:
            if rule.matches(record, now):
                if rule.start is not None:
                    return f"maintenance '{rule.reason}' until {_fmt(rule.until)}"
                return f"silenced until {_fmt(rule.until)}: {rule.reason}"
        for window in self.settings.maintenance:
            if (window.start <= now < window.end and any(fnmatchcase(record.target, p) for p in window.targets)
                    and any(fnmatchcase(record.check, p) for p in window.checks)):
                return f"maintenance '{window.name}' until {_fmt(window.end)}"
        return None

    def _reconcile(self, active: Mapping[str, FindingRecord], now: datetime, silences: Sequence[SilenceRule]) -> None:
        candidates = [r for r in active.values() if r.status == "open" and r.ticket_fp is None]
        if not candidates:
            return
        down = self._down_targets(active)
        to_open: list[FindingRecord] = []
        newly_suppressed: dict[str, list[str]] = {}
        for record in candidates:
            reason = self._hold_reason(record, now, down, silences)
            if reason != record.held_reason:
                record.held_reason, record.dirty = reason, True
                if reason is not None:
                    self._event(record, "held", now, reason=reason)
                    if reason.startswith("suppressed"):
                        parent = reason.split()[1]
                        newly_suppressed.setdefault(parent, []).append(_held_label(record))
                    else:  # silences and maintenance must leave an audit trail
                        self.audits.append(Audit("ticket.hold", record.title,
                                                 {"fingerprint": record.fingerprint, "reason": reason}))
            if reason is None:
                to_open.append(record)
            elif reason.startswith("suppressed"):
                self._out["suppressed"].append(record.title)
            else:
                self._out["held"].append(record.title)
        # Parents (down checks) first so their tickets exist before they list dependents;
        # then the most urgent, so storm control groups the least urgent.
        to_open.sort(key=lambda r: (r.check not in self._down_checks,
                                    self._tier_rank.get(self.tier_for(r.severity, r.check, r.target), 99),
                                    r.first_seen, r.fingerprint))
        held_by: dict[str, set[str]] = {}
        for record in candidates:
            if record.held_reason and record.held_reason.startswith("suppressed: "):
                held_by.setdefault(record.held_reason.split()[1], set()).add(_held_label(record))
        budget = self.settings.storm_limit
        overflow: list[FindingRecord] = []
        fresh: set[str] = set()
        for record in to_open:
            group = self.tickets.get(self.group_fp(record))
            if group is not None and group.active and group.kind == "group":
                self._join_group(group, record, now)  # the device has its ticket: no new one, no storm budget
                fresh.add(record.fingerprint)
                continue
            if budget <= 0:
                overflow.append(record)
                continue
            budget -= 1
            is_parent = record.check in self._down_checks and down.get(record.target) is record
            self._ticket_for(record, now, sorted(held_by.get(record.target, ())) if is_parent else [])
            fresh.add(record.fingerprint)
        if overflow:
            self._storm(overflow, now)
        for parent, children in newly_suppressed.items():
            ticket = self.tickets.get(self.group_fp(down[parent]))
            if ticket is None or not ticket.active or ticket.fingerprint in fresh:
                continue  # no ticket yet, or opened in this cycle: its body already lists them
            new = sorted(set(children) - set(ticket.suppressed))
            if new:
                ticket.suppressed.extend(new)
                self._comment(ticket, f"Holding tickets of {len(new)} dependent(s) while {parent} is down: "
                                      + ", ".join(new), now)

    def _body(self, record: FindingRecord, tier: str, due_response: datetime, due_resolve: datetime,
              suppressed: Iterable[str]) -> str:
        criticality = self.targets.criticality.get(record.target, "normal")
        lines = [
            f"{record.severity.value.upper()}: {record.title}",
            "",
            f"Severity: {record.severity.value.upper()}    Priority: {tier}",
            f"Respond by: {_fmt(due_response)}    Resolve by: {_fmt(due_resolve)}",
            f"Target: {record.target} (criticality {criticality})    Check: {record.check}"
            + (f"    Item: {record.item}" if record.item else ""),
            f"First seen: {_fmt(record.first_seen)}    Last seen: {_fmt(record.last_seen)}",
            "",
            "Evidence:",
            record.evidence,
        ]
        if record.flapping:
            lines += ["", f"Flapping: {len(record.transitions)} state changes within "
                          f"{_duration(self.settings.flap_window_s)}; one ticket is kept open until it is stable."]
        suppressed = sorted(set(suppressed))
        if suppressed:
            lines += ["", f"Tickets held for {len(suppressed)} dependent(s) while this is down: "
                      + ", ".join(suppressed)]
        lines += ["", f"Patrol fingerprint: {record.fingerprint}",
                  "Opened by Patrol; it is resolved automatically when the check recovers."]
        return "\n".join(lines)

    def _ticket_for(self, record: FindingRecord, now: datetime, suppressed: list[str]) -> None:
        """Open (or reopen) the ticket of ``record``; ``suppressed`` are the dependents it holds back."""
        tier = self.tier_for(record.severity, record.check, record.target)
        group_fp = self.group_fp(record)
        grouped = group_fp != record.fingerprint
        existing = self.tickets.get(group_fp)
        if grouped and existing is not None and existing.active and existing.kind == "group":
            self._join_group(existing, record, now)
            return
        record.ticket_fp, record.held_reason, record.dirty = group_fp, None, True
        window = timedelta(seconds=self.settings.reopen_window_s)
        if existing is not None and existing.active:
            # Resolved by hand elsewhere and failing again: keep using the same ticket.
            self._comment(existing, f"Failing again at {_fmt(now)}.\n\n{record.evidence}", now, record)
            return
        if existing is not None and existing.resolved_at is not None and now - existing.resolved_at <= window:
            ticket = existing
            old_tier = ticket.tier  # the tier the backend still has, before it is replaced below
            ticket.status, ticket.resolved_at, ticket.resolved_by = "open", None, None
            ticket.acknowledged_at = ticket.acknowledged_by = None
            ticket.reopen_count += 1
            ticket.severity, ticket.tier, ticket.flapping = record.severity, tier, record.flapping
            ticket.suppressed = suppressed
            if grouped:
                ticket.grouped = [record.fingerprint]
            self._set_deadlines(ticket, now)
            text = (f"Back at {_fmt(now)}, {_duration((now - existing.opened_at).total_seconds())} after this "
                    f"ticket was first opened (reopen #{ticket.reopen_count}).\n\n"
                    + self._body(record, tier, ticket.due_response, ticket.due_resolve, suppressed))
            self._op(ticket, "reopen", text=text)
            if self.level(tier) != self.level(old_tier):
                self._op(ticket, "priority", tier=tier, level=self.level(tier))
            self._event(ticket, "ticket_reopened", now, tier=tier, reopen=ticket.reopen_count)
            self.audits.append(Audit("ticket.reopen", record.title, {"fingerprint": record.fingerprint, "tier": tier}))
            self._out["reopened"].append(record.title)
            record.last_comment_at = now
            return
        ticket = TicketRecord(
            fingerprint=group_fp, kind="group" if grouped else "finding", site=self.site, target=record.target,
            check=record.check, item=record.item, title=record.title, backend=self.backend_name, status="open",
            severity=record.severity, tier=tier, opened_at=now, due_response=now, due_resolve=now,
            flapping=record.flapping, suppressed=suppressed, grouped=[record.fingerprint] if grouped else [])
        self._set_deadlines(ticket, now)
        self._install(ticket)
        body = self._body(record, tier, ticket.due_response, ticket.due_resolve, suppressed)
        if grouped:
            body += (f"\nThis ticket stands for every problem of {record.target}"
                     + (f" in {record.check}" if self.settings.grouping == "device_check" else "")
                     + f": others are added and cleared as comments (ticket fingerprint {group_fp}).")
        self._op(ticket, "open", subject=f"[{self.site}] {record.severity.value.upper()} {record.title}",
                 severity=record.severity.value, tier=tier, level=self.level(tier), body=body)
        self._event(ticket, "ticket_opened", now, tier=tier, severity=record.severity.value)
        self.audits.append(Audit("ticket.open", record.title, {"fingerprint": record.fingerprint, "tier": tier}))
        self._out["opened"].append(record.title)
        record.last_comment_at = now

    def _join_group(self, ticket: TicketRecord, record: FindingRecord, now: datetime) -> None:
        """Another problem of a device that has its ticket: a comment on it, and its tier if more urgent."""
        record.ticket_fp, record.held_reason, record.dirty = ticket.fingerprint, None, True
        if record.fingerprint not in ticket.grouped:
            ticket.grouped.append(record.fingerprint)
        self._comment(ticket, f"Also failing: {record.severity.value.upper()} {record.title} "
                              f"(since {_fmt(record.first_seen)}).\n\n{record.evidence}", now, record)
        ticket.severity = State.worst(ticket.severity, record.severity)
        tier = self.tier_for(record.severity, record.check, record.target)
        if self._more_urgent(tier, ticket.tier):
            old, ticket.tier = ticket.tier, tier
            self._op(ticket, "priority", tier=tier, level=self.level(tier))
            self._event(ticket, "priority_raised", now, old=old, new=tier)
        self._event(record, "grouped", now, ticket=ticket.fingerprint)
        self._out["updated"].append(ticket.title)

    def _storm(self, overflow: Sequence[FindingRecord], now: datetime) -> None:
        ticket = self.tickets.get(self.storm_fp)
        listing = "\n".join(f"- {r.title}: {r.summary}" for r in overflow)
        tiers = sorted((self.tier_for(r.severity, r.check, r.target) for r in overflow),
                       key=lambda t: self._tier_rank.get(t, 99))
        for record in overflow:
            record.ticket_fp, record.held_reason, record.dirty = self.storm_fp, None, True
            self._event(record, "grouped", now, storm=self.storm_fp)
            self._out["grouped"].append(record.title)
        if ticket is not None and ticket.active:
            ticket.grouped.extend(r.fingerprint for r in overflow)
            self._comment(ticket, f"{len(overflow)} more finding(s) at {_fmt(now)}:\n{listing}", now)
            if self._more_urgent(tiers[0], ticket.tier):
                ticket.tier = tiers[0]
                self._op(ticket, "priority", tier=tiers[0], level=self.level(tiers[0]))
            return
        title = f"Alert storm at site {self.site}: more than {self.settings.storm_limit} new findings"
        ticket = TicketRecord(
            fingerprint=self.storm_fp, kind="storm", site=self.site, target="*", check=STORM_CHECK, item="",
            title=title, backend=self.backend_name, status="open", severity=State.CRIT, tier=tiers[0],
            opened_at=now, due_response=now, due_resolve=now, grouped=[r.fingerprint for r in overflow])
        self._set_deadlines(ticket, now)
        self._install(ticket)
        body = (f"{title}.\n\nPatrol opened {self.settings.storm_limit} tickets in this cycle (storm_limit); these "
                f"{len(overflow)} finding(s) share this one summary ticket instead:\n{listing}\n\n"
                "It is resolved when all of them have recovered.")
        self._op(ticket, "open", subject=f"[{self.site}] {title}", severity="crit", tier=tiers[0],
                 level=self.level(tiers[0]), body=body)
        self._event(ticket, "ticket_opened", now, tier=tiers[0], grouped=len(overflow))
        self.audits.append(Audit("ticket.open", title, {"fingerprint": self.storm_fp, "grouped": len(overflow)}))
        self._out["opened"].append(title)

    # --- rate-limited notes and escalation ---------------------------------------------------

    def _flush_notes(self, active: Mapping[str, FindingRecord], now: datetime) -> None:
        for record in active.values():
            if record.pending_note and record.ticket_fp and self._may_comment(record, now):
                ticket = self.tickets.get(record.ticket_fp)
                if ticket is not None and ticket.active and self.owns(ticket, record):
                    self._comment(ticket, record.pending_note, now, record)

    def _escalate(self, now: datetime) -> None:
        for ticket in self.tickets.values():
            if not ticket.active:
                continue
            # The same rule as the reports (agent/ticketing/sla.py): a deadline is missed once it has
            # passed unmet; acknowledging (status leaves "open") or resolving meets the response deadline.
            if ticket.status == "open" and not ticket.response_breached and now > ticket.due_response:
                ticket.response_breached = True
                self._escalate_one(ticket, now, "response", ticket.due_response)
            if not ticket.resolve_breached and now > ticket.due_resolve:
                ticket.resolve_breached = True
                self._escalate_one(ticket, now, "resolve", ticket.due_resolve)

    def _escalate_one(self, ticket: TicketRecord, now: datetime, which: str, due: datetime) -> None:
        ticket.escalation_level += 1
        old = ticket.tier
        text = f"Escalated (level {ticket.escalation_level}): the {which} deadline {_fmt(due)} of tier {old} was missed."
        if self.settings.escalation.raise_priority:
            new = self.settings.tier_above(old)
            if new != old:
                ticket.tier = new
                text += f" Priority raised {old} -> {new}."
                self._op(ticket, "priority", tier=new, level=self.level(new))
        self._comment(ticket, text, now)
        if self.settings.escalation.webhook_url:
            self._op(ticket, "notify", event="escalation", fingerprint=ticket.fingerprint, title=ticket.title,
                     site=self.site, target=ticket.target, check=ticket.check, missed=which, due=due.isoformat(),
                     tier=ticket.tier, previous_tier=old, level=ticket.escalation_level, key=ticket.key)
        self._event(ticket, "escalated", now, missed=which, old=old, new=ticket.tier, level=ticket.escalation_level)
        self.audits.append(Audit("ticket.escalate", ticket.title, {"fingerprint": ticket.fingerprint, "missed": which,
                                                                    "tier": ticket.tier}))
        self._out["escalated"].append(ticket.title)

    # --- engineer actions (CLI) ---------------------------------------------------------------

    def acknowledge(self, ticket: TicketRecord, actor: str, note: str, now: datetime, *, send: bool = True) -> None:
        """Record a response; ``send=False`` when it was learnt from the backend itself."""
        if ticket.status != "open":
            raise ValueError(f"ticket {ticket.label} is {ticket.status}; only open tickets can be acknowledged")
        ticket.status, ticket.acknowledged_at, ticket.acknowledged_by = "acknowledged", now, actor
        ticket.dirty = True
        if send:
            self._op(ticket, "ack", text=f"Acknowledged by {actor}." + (f"\n\n{note}" if note else ""), by=actor)
        self._event(ticket, "acknowledged", now, by=actor, late=now > ticket.due_response)
        self.audits.append(Audit("ticket.ack", ticket.title, {"ticket": ticket.label, "note": note}, actor))

    def comment_by(self, ticket: TicketRecord, actor: str, text: str, now: datetime) -> None:
        self._comment(ticket, f"{actor}: {text}", now)
        self._event(ticket, "commented", now, by=actor)
        self.audits.append(Audit("ticket.comment", ticket.title, {"ticket": ticket.label, "text": text}, actor))

    def resolve_by(self, ticket: TicketRecord, actor: str, note: str, now: datetime) -> None:
        if not ticket.active:
            raise ValueError(f"ticket {ticket.label} is already resolved")
        self._resolve_ticket(ticket, f"Resolved by {actor}." + (f"\n\n{note}" if note else ""), now, actor)
