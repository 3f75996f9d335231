"""APScheduler (3.x, asyncio) jobs built from config.

One job per enabled check family: an interval with jitter, or a cron expression. A run of
a family never overlaps the previous one (``max_instances=1``: the late run is skipped
and logged), missed runs are coalesced into one, and a run later than its misfire grace
is skipped rather than started out of time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedJob:
    id: str
    trigger: BaseTrigger
    func: Callable[[], Awaitable[Any]]
    misfire_grace_s: float
    first_run: datetime | None = None  # None: wait for the trigger


class ScheduleLike(Protocol):
    """``config.checks.base.Schedule`` or the plain copy a worker sends (agent/daemon.py);
    a protocol so that `patrol run` needs no pydantic to build its triggers."""

    interval_s: float | None
    jitter_s: float
    cron: str | None


def trigger_for(schedule: ScheduleLike) -> BaseTrigger:
    if schedule.cron:
        try:
            return CronTrigger.from_crontab(schedule.cron)
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {schedule.cron!r}: {exc}") from None
    return IntervalTrigger(seconds=schedule.interval_s, jitter=schedule.jitter_s or None)


class TaskTracker:
    """Knows which job coroutines are running, so shutdown can wait for them or cancel them."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[Any]] = set()

    def wrap(self, func: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
        async def tracked() -> Any:
            task = asyncio.current_task()
            assert task is not None
            self.running.add(task)
            try:
                return await func()
            finally:
                self.running.discard(task)

        tracked.__name__ = getattr(func, "__name__", "job")
        return tracked

    async def stop(self, grace_s: float) -> int:
        """Wait up to ``grace_s`` for running jobs, then cancel the rest; returns how many were cancelled."""
        if not self.running:
            return 0
        done, pending = await asyncio.wait(set(self.running), timeout=grace_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
        return len(pending)


def build_scheduler(jobs: list[PlannedJob], tracker: TaskTracker, now: datetime) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=now.astimezone().tzinfo)
    for job in jobs:
        add_job(scheduler, job, tracker)
    return scheduler


def add_job(scheduler: AsyncIOScheduler, job: PlannedJob, tracker: TaskTracker) -> None:
    """Add ``job``, or replace the job of that id (a running instance finishes undisturbed)."""
    extra = {"next_run_time": job.first_run} if job.first_run is not None else {}
    scheduler.add_job(tracker.wrap(job.func), job.trigger, id=job.id, name=job.id, max_instances=1,
                      coalesce=True, misfire_grace_time=max(1, int(job.misfire_grace_s)), replace_existing=True,
                      **extra)
    log.debug("scheduled %s: %s", job.id, job.trigger)
