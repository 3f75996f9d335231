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
        return crontab_trigger(schedule.cron)
    return IntervalTrigger(seconds=schedule.interval_s, jitter=schedule.jitter_s or None)


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # crontab: 0 and 7 are Sunday


def _crontab_weekdays(field: str) -> str:
    """The crontab weekday field in APScheduler's words. APScheduler 3 reads numbers in this
    field as 0 = Monday, so ``1-5`` (Monday to Friday in crontab) would fire Tuesday to
    Saturday; numbers become day names here, names and ``*`` stay."""
    if not any(ch.isdigit() for ch in field):
        return field
    days: list[str] = []
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            a, _, b = span.partition("-")
            first, last = int(a), int(b)
        else:
            first = int(span)
            last = first if not step_text else 6
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last and step > 0):
            raise ValueError(f"weekday {part!r} is not 0-7 (0 and 7 are Sunday)")
        days += [_WEEKDAYS[d] for d in range(first, last + 1, step) if _WEEKDAYS[d] not in days]
    return ",".join(days)


def crontab_trigger(cron: str, timezone: Any = None) -> CronTrigger:
    """A trigger for a 5-field crontab expression read as crontab reads it (local time unless
    ``timezone``); ValueError naming the expression when it is not one."""
    try:
        fields = cron.split()
        if len(fields) == 5:
            fields[4] = _crontab_weekdays(fields[4])
        return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {cron!r}: {exc}") from None


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
