"""The notify service: plan from ticket events, then drain the queue. One call per ticket cycle.

    NotifyService.from_ticketing(settings, store, clock).run()

It takes its own lock file beside the store (like the ticket engine's), so the workers
of `patrol run` and `patrol tickets ...` never plan the same events twice at once; the
queue's unique key would refuse a duplicate anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.interlock import interlock
from agent.notify.channels import make_channels
from agent.notify.channels.base import Channel
from agent.notify.planner import Planner
from agent.notify.queue import DrainResult, NotifyQueue

log = logging.getLogger(__name__)
LOCK_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class NotifyOutcome:
    queued: int
    drained: DrainResult


class NotifyService:
    def __init__(self, settings: Any, store: Any, clock: Callable[[], datetime],
                 channels: Mapping[str, Channel] | None = None, lock_path: Path | None = None):
        notify = settings.notify
        self.settings, self.store, self.clock, self.lock_path = settings, store, clock, lock_path
        self.channels = dict(channels) if channels is not None else make_channels(notify)
        self.planner = Planner(store.engine, store.site, notify, settings.ticketing.tier)
        self.queue = NotifyQueue(store.engine, store.site, self.channels, clock=clock,
                                 retry_base_s=notify.retry_base_s, retry_max_s=notify.retry_max_s,
                                 max_drain_s=notify.max_drain_s)

    def run(self) -> NotifyOutcome:
        if self.lock_path is None:
            queued = self.planner.run(self.clock())
        else:
            with interlock(self.lock_path, LOCK_TIMEOUT_S):
                queued = self.planner.run(self.clock())
        return NotifyOutcome(queued, self.queue.drain())


def after_ticket_cycle(service: Any) -> None:
    """The one hook in the ticket engine's cycle (agent/ticketing/service.py): notify of the
    events it has just recorded. A failure here is logged, never a failed ticket cycle."""
    settings = service.settings
    notify = getattr(settings, "notify", None)
    if notify is None or not notify.enabled or not notify.rules:
        return
    try:
        runner = getattr(service, "_notify_service", None)
        if runner is None:
            lock = service.lock_path.with_name(service.lock_path.name + ".notify") if service.lock_path else None
            runner = NotifyService(settings, service.store, service.clock, lock_path=lock)
            service._notify_service = runner
        outcome = runner.run()
        if outcome.queued or outcome.drained.sent or outcome.drained.failed:
            log.info("notifications: %d queued, %d sent, %d failed, %d rate-limited, %d waiting", outcome.queued,
                     outcome.drained.sent, outcome.drained.failed, outcome.drained.rate_limited,
                     outcome.drained.waiting)
    except Exception:  # noqa: BLE001 - notifications must not stop tickets; the queue keeps what was planned
        log.exception("notifications failed this cycle")


def notification_totals(service: Any) -> list[list[object]]:
    """Delivery outcomes per channel since the last report, for /metrics (``patrol_notifications_total``)."""
    runner = getattr(service, "_notify_service", None)
    return runner.queue.take_totals() if runner is not None else []
