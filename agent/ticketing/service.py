"""The ticketing service: what `patrol inspect`, `patrol run` and `patrol tickets` call.

    service = TicketingService.from_context(ctx)
    summary = service.process(runs)     # once per cycle, after the cycle's runs are stored
    print(summary.describe())
    service.drain_outbox()              # also done by process() unless outbox.drain_each_cycle is off

State is re-read from the store at the start of every ``process`` (only live findings and
recent tickets, so it stays cheap), which lets `patrol tickets ack/resolve` in another
process and `patrol run` work on the same tickets.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent.dblock import advisory_lock
from agent.findings import FindingEvent, FindingTracker, Policy
from agent.interlock import interlock
from agent.ticketing import queries, sla, state
from agent.ticketing.backends.base import BackendRejected, BackendUnavailable, TicketBackend
from agent.ticketing.engine import CycleSummary, SilenceRule, TargetIndex, TicketEngine, TicketRecord
from agent.ticketing.outbox import Outbox
from collectors.base import CheckResult, CheckRun, State, utcnow
from config.secrets import SecretUnavailable, resolve_secret

log = logging.getLogger(__name__)
# How long a ticket decision waits for another process's (an engine cycle takes well under a second).
ENGINE_LOCK_TIMEOUT_S = 120.0


def engine_lock_path(settings: Any, store: Any) -> Path | None:
    """Where the processes of this agent take turns at the ticket engine on SQLite: beside
    the database file (on PostgreSQL they take an advisory lock instead, agent/dblock.py)."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        db = Path(url.database)
        return db.with_name(db.name + ".ticket-engine.lock")
    return Path(settings.state_dir) / "ticket-engine.lock"


def make_backend(settings: Any, store: Any, clock: Callable[[], datetime],
                 secret: Callable[[Any], str] = resolve_secret, inventory: Any = None) -> TicketBackend:
    """The backend named in ``ticketing.backend``; secrets are resolved here, at the last moment."""
    ticketing = settings.ticketing
    if ticketing.backend == "rt":
        from agent.ticketing.backends.rt import RtBackend

        site = getattr(inventory, "site", None)
        customers = {site.name: site.customer} if site is not None and getattr(site, "customer", None) else {}
        return RtBackend.from_settings(ticketing, secret, customers)
    if ticketing.backend == "webhook":
        from agent.ticketing.backends.webhook import WebhookBackend

        return WebhookBackend.from_settings(ticketing, secret, settings.agent.name)
    from agent.ticketing.backends.builtin import BuiltinBackend

    return BuiltinBackend(store.engine, clock)


def make_notifier(settings: Any, secret: Callable[[Any], str] = resolve_secret) -> Callable[[dict[str, Any]], None] | None:
    escalation = settings.ticketing.escalation
    if not escalation.webhook_url:
        return None
    # Here, not at the top: a worker with the built-in backend never needs requests.
    from agent.ticketing.backends.http import bounded_session
    from agent.ticketing.backends.webhook import post_signed

    session = bounded_session()
    url = escalation.webhook_url

    def notify(payload: dict[str, Any]) -> None:
        try:
            key = secret(escalation.webhook_secret) if escalation.webhook_secret else None
        except SecretUnavailable as exc:
            raise BackendRejected(f"escalation webhook: {exc}") from None
        post_signed(session, url, payload, key, 10, "escalation webhook")

    return notify


class TicketingService:
    def __init__(self, settings: Any, store: Any, inventory: Any, clock: Callable[[], datetime] = utcnow,
                 backend: TicketBackend | None = None, notify: Callable[[dict[str, Any]], None] | None = None):
        self.settings = settings
        self.ticketing = settings.ticketing
        self.store = store
        self.clock = clock
        self.backend = backend if backend is not None else make_backend(settings, store, clock, inventory=inventory)
        self.tracker = FindingTracker(
            store.site, self._policy_for, ticket_unknown=self.ticketing.ticket_unknown,
            unknown_open_factor=self.ticketing.unknown_open_factor, flap_window_s=self.ticketing.flap_window_s,
            flap_threshold=self.ticketing.flap_threshold)
        self._lock = threading.RLock()
        self.lock_path = engine_lock_path(settings, store)
        self.engine = TicketEngine(self.ticketing, store.site, self.backend.name, TargetIndex.from_inventory(inventory))
        out = self.ticketing.outbox
        self.outbox = Outbox(store.engine, store.site, self.backend, clock=clock, retry_base_s=out.retry_base_s,
                             retry_max_s=out.retry_max_s, batch=out.batch,
                             reopen_window_s=self.ticketing.reopen_window_s, max_drain_s=out.max_drain_s,
                             notify=notify if notify is not None else make_notifier(settings))

    @classmethod
    def from_context(cls, ctx: Any) -> "TicketingService":
        return cls(ctx.settings, ctx.store, ctx.inventory, ctx.clock)

    def _policy_for(self, check: str) -> Policy:
        family = check.split(".", 1)[0]
        params = self.settings.checks.for_family(family)
        findings = getattr(params, "findings", None)
        if findings is None and isinstance(params, dict):
            findings = params.get("findings")
            if isinstance(findings, dict):
                return Policy(int(findings.get("open_after", 2)), int(findings.get("resolve_after", 2)))
        if findings is None:
            return Policy()
        return Policy(findings.open_after, findings.resolve_after)

    # --- the cycle -------------------------------------------------------------------------

    def _load(self, now: datetime) -> list[SilenceRule]:
        self.tracker.load(state.load_findings(self.store.engine, self.store.site))
        self.engine.tickets = state.load_tickets(self.store.engine, self.store.site, now,
                                                 self.ticketing.reopen_window_s)
        self.engine.reset_outputs()
        configured = [SilenceRule(s.target, s.check, s.item, s.until, s.reason) for s in self.ticketing.silences]
        return configured + state.load_silences(self.store.engine, self.store.site, now)

    def process(self, runs: Sequence[CheckRun]) -> CycleSummary:
        """Turn one cycle's results into finding and ticket decisions; send them unless told not to."""
        if not self.ticketing.enabled:
            return CycleSummary()
        with self._exclusive():
            summary = self._process(runs)
        # Sent after the lock is released: the outbox has leases of its own, and a slow
        # ticket backend must not hold up another worker's decisions.
        sent = self.drain_outbox() if self.ticketing.outbox.drain_each_cycle else 0
        from agent.notify.service import after_ticket_cycle  # the one hook of notifications

        after_ticket_cycle(self)
        stats = self.outbox.last_drain if sent or self.ticketing.outbox.drain_each_cycle else None
        waiting = self.outbox.count_pending()
        oldest = self.outbox.oldest_pending_at() if waiting else None
        return dataclasses.replace(
            summary, outbox_sent=sent, outbox_waiting=waiting,
            outbox_oldest_s=(self.clock() - oldest).total_seconds() if oldest is not None else None,
            outbox_error=self.outbox.last_error() if waiting else None, outbox_recovered=stats.retried if stats else 0,
            outbox_max_delay_s=stats.max_delay_s if stats else 0.0)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One engine at a time: threads of this process (the lock) and other processes of
        this agent (workers of `patrol run`, `patrol tickets ...`; the interlock file)."""
        with self._lock:
            if self.store.engine.dialect.name == "postgresql":
                # Replicas on several machines share the database, not a file system: the
                # server releases the lock when its holder's connection dies.
                with advisory_lock(self.store.engine, f"patrol.ticket-engine:{self.store.site}", ENGINE_LOCK_TIMEOUT_S):
                    yield
                return
            if self.lock_path is None:  # an in-memory store: no other process can see it
                yield
                return
            with interlock(self.lock_path, ENGINE_LOCK_TIMEOUT_S):
                yield

    def _process(self, runs: Sequence[CheckRun]) -> CycleSummary:
        now = self.clock()
        silences = self._load(now)
        observe = self.tracker.observe
        events: list[FindingEvent] = []
        decisions = 0
        live = self._live_by_run()
        for run in runs:
            for result in run.results:
                event = observe(result)
                if event is not None:
                    events.append(event)
            decisions += len(run.results)
            if run.error is None and (run.target, run.collector) in live:
                events.extend(self._unreported(run, live[(run.target, run.collector)]))
        events.extend(self._stale(now))
        self._sync_responses(now)
        self.engine.cycle(events, self.tracker.active, now, silences)
        summary = self.engine.summary(decisions)
        self._save(now)
        return summary

    def _live_by_run(self) -> dict[tuple[str, str], list[Any]]:
        """Live findings by (target, collector), to notice items a successful run no longer reports."""
        out: dict[tuple[str, str], list[Any]] = {}
        for record in self.tracker.active.values():
            out.setdefault((record.target, record.check.split(".", 1)[0]), []).append(record)
        return out

    def _unreported(self, run: CheckRun, records: list[Any]) -> list[FindingEvent]:
        """A run that worked but no longer reports an item counts as OK for it.

        Two cases, both of which would otherwise leave a ticket open forever: the item went
        away (a disk unmounted, a port removed), and the collector failed as a whole earlier
        (the runner's single UNKNOWN result with check = family name) and works again.
        """
        seen = {(r.check, r.item) for r in run.results}
        events = []
        for record in records:
            if (record.check, record.item) in seen or record.fingerprint not in self.tracker.active:
                continue
            summary = (f"{run.collector} works again" if record.check == run.collector
                       else f"no longer reported by {run.collector} (removed or renamed?)")
            event = self.tracker.observe(CheckResult(record.check, record.target, record.item, State.OK, summary,
                                                     observed_at=run.started_at))
            if event is not None:
                events.append(event)
        return events

    def _stale(self, now: datetime) -> list[FindingEvent]:
        """Findings nothing has reported on for ``stale_after_s``: the target or check is gone."""
        horizon = now - timedelta(seconds=self.ticketing.stale_after_s)
        events = []
        for record in list(self.tracker.active.values()):
            if max(record.last_seen, record.ok_since or record.last_seen) < horizon:
                self.tracker.close(record.fingerprint, now)
                events.append(FindingEvent("stale", record, record.severity, None))
        return events

    def _sync_responses(self, now: datetime) -> None:
        """Before escalating a missed response, ask a backend that knows (RT) whether someone took it.

        Asked once per ticket, at its response deadline, so the calls follow deadlines, not
        results. A backend that cannot answer now changes nothing: the escalation goes ahead.
        """
        taken_by = getattr(self.backend, "taken_by", None)
        if taken_by is None:
            return
        for ticket in self.engine.tickets.values():
            if ticket.status != "open" or ticket.response_breached or ticket.key is None or now < ticket.due_response:
                continue
            try:
                who = taken_by(ticket.key)
            except BackendUnavailable as exc:  # down: do not wait for a timeout per ticket
                log.info("could not ask %s who took ticket %s: %s", self.backend.name, ticket.label, exc)
                return
            except Exception as exc:  # noqa: BLE001 - any failure only means "not known"
                log.info("could not ask %s who took ticket %s: %s", self.backend.name, ticket.label, exc)
                continue
            if who:
                # Taken before the deadline passed (we ask as it passes): it counts as in time.
                self.engine.acknowledge(ticket, f"{self.backend.name}:{who}", "", min(now, ticket.due_response),
                                        send=False)

    def _save(self, now: datetime) -> None:
        for op in self.engine.ops:  # decided now, sent by the outbox: patrol_ticket_operations_total{outcome="queued"}
            self.outbox.operations[(op.op, "queued")] += 1
        changed, finished = self.tracker.take_dirty()
        state.save(self.store.engine, self.store.site, changed=changed, finished=finished,
                   tickets=[*self.engine.tickets.values(), *self.engine.retired], ops=self.engine.ops,
                   events=self.engine.events,
                   audits=self.engine.audits, now=now)
        self.engine.reset_outputs()

    def drain_outbox(self, *, force: bool = False) -> int:
        return self.outbox.drain(force=force)

    def confirmations(self) -> list[tuple[str, str]]:
        """(family, target) of down checks that failed but have not opened yet: re-checked soon rather than
        at the next interval, so a dead switch gets its ticket in about a minute (``confirm_after_s``)."""
        if not self.ticketing.confirm_after_s:
            return []
        down = set(self.ticketing.down_checks)
        wanted = {(r.check.split(".", 1)[0], r.target) for r in self.tracker.active.values()
                  if r.status == "pending" and r.check in down and r.bad_count > 0
                  and r.severity in (State.CRIT, State.WARN)}
        return sorted(wanted)

    def activity(self) -> dict[str, Any]:
        """What /metrics shows about tickets, as the worker sends it to `patrol run`'s supervisor
        (agent/wire.py ``outbox`` message): open tickets per tier, the outbox, the call outcomes
        since the last report (to be summed), and the deadlines still to be met."""
        from agent.notify.service import notification_totals

        now = self.clock()
        oldest = self.outbox.oldest_pending_at()
        open_by_tier: dict[str, int] = {}
        deadlines = []
        for ticket in queries.open_tickets(self.store):
            open_by_tier[ticket.priority] = open_by_tier.get(ticket.priority, 0) + 1
            status = sla.sla_status(due_response=ticket.due_response, due_resolve=ticket.due_resolve,
                                    acknowledged_at=ticket.acknowledged_at, resolved_at=ticket.resolved_at, now=now)
            for which, outcome, due in (("response", status.response, ticket.due_response),
                                        ("resolve", status.resolve, ticket.due_resolve)):
                if outcome == "pending":
                    deadlines.append({"ticket": ticket.label, "tier": ticket.priority, "deadline": which,
                                      "at": due.timestamp()})
        return {"site": self.store.site, "pending": self.outbox.count_pending(),
                "oldest_queued_at": oldest.timestamp() if oldest is not None else None,
                "open": open_by_tier, "operations": [[op, outcome, n] for (op, outcome), n
                                                     in sorted(self.outbox.take_operations().items())],
                "deadlines": deadlines, "notifications": notification_totals(self)}

    # --- engineer actions (the CLI) ----------------------------------------------------------

    def ticket(self, ref: str) -> TicketRecord:
        return state.load_ticket(self.store.engine, self.store.site, ref)

    def _act(self, ref: str, action: Callable[[TicketRecord, datetime], None]) -> TicketRecord:
        with self._exclusive():
            live = self._act_locked(ref, action)
        self.drain_outbox()
        return live

    def _act_locked(self, ref: str, action: Callable[[TicketRecord, datetime], None]) -> TicketRecord:
        now = self.clock()
        self._load(now)
        ticket = self.ticket(ref)
        # Act on the copy the engine holds, so later decisions in this process see the change.
        live = self.engine.tickets.get(ticket.fingerprint)
        if live is None or live.id != ticket.id:
            live = ticket
            live.dirty = True
        action(live, now)
        for op in self.engine.ops:
            self.outbox.operations[(op.op, "queued")] += 1
        if not live.active:
            for fp in [live.fingerprint, *live.grouped]:
                self.tracker.close(fp, now)
            for record in list(self.tracker.active.values()):
                if record.ticket_fp == live.fingerprint:
                    self.tracker.close(record.fingerprint, now)
        changed, finished = self.tracker.take_dirty()
        state.save(self.store.engine, self.store.site, changed=changed, finished=finished,
                   tickets={id(t): t for t in (live, *self.engine.tickets.values(), *self.engine.retired)}.values(),
                   ops=self.engine.ops, events=self.engine.events,
                   audits=self.engine.audits, now=now)
        self.engine.reset_outputs()
        return live

    def acknowledge(self, ref: str, actor: str, note: str = "") -> TicketRecord:
        return self._act(ref, lambda t, now: self.engine.acknowledge(t, actor, note, now))

    def comment(self, ref: str, actor: str, text: str) -> TicketRecord:
        return self._act(ref, lambda t, now: self.engine.comment_by(t, actor, text, now))

    def resolve(self, ref: str, actor: str, note: str = "") -> TicketRecord:
        return self._act(ref, lambda t, now: self.engine.resolve_by(t, actor, note, now))
