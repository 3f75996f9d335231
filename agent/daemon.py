"""`patrol run`: scheduled checks, /metrics, tickets and reports until SIGTERM or SIGINT.

Shutdown: the scheduler stops taking new runs, running cycles get a short grace to
finish (each run is stored in its own transaction, so a cancelled cycle leaves the store
consistent), the outbox is flushed once, the audit log records the stop. The whole stop
takes well under 5 s.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import replace
from datetime import timedelta
from typing import Any

from agent.context import AppContext
from agent.cycle import run_cycle, ticketing_service
from agent.exporter import Snapshot, build_registry, serve
from agent.runner import Runner, params_for, plan
from agent.scheduler import PlannedJob, TaskTracker, build_scheduler, staggered_first_runs, trigger_for

log = logging.getLogger(__name__)
STOP_GRACE_S = 2.5


def family_jobs(ctx: AppContext, runner: Runner, snapshot: Snapshot, tickets: Any) -> list[PlannedJob]:
    jobs = []
    for name, collector in ctx.registry.collectors.items():
        params = params_for(collector, ctx.settings)
        if not params.enabled:
            continue
        if not plan(ctx.registry, ctx.settings, ctx.inventory, only=[name]):
            log.info("check family %s has no target here; not scheduled", name)
            continue

        async def cycle(name: str = name) -> None:
            # Re-planned each time: cheap, and picks up targets whose state changed.
            jobs_now = plan(ctx.registry, ctx.settings, ctx.inventory, only=[name])
            outcome = await run_cycle(ctx, runner, jobs_now, snapshot=snapshot, tickets=tickets)
            failed = sum(1 for r in outcome.runs if r.error)
            log.info("%s: %d targets checked, %d failed", name, len(outcome.runs), failed)

        cycle.__name__ = f"check_{name}"
        jobs.append(PlannedJob(f"check:{name}", trigger_for(params.schedule), cycle, params.schedule.misfire_grace_s))
    return jobs


def housekeeping_jobs(ctx: AppContext, tickets: Any) -> list[PlannedJob]:
    from apscheduler.triggers.interval import IntervalTrigger

    store_settings = ctx.settings.store

    async def prune() -> None:
        removed = await asyncio.to_thread(ctx.store.prune, ctx.clock(), retention_days=store_settings.retention_days,
                                          audit_retention_days=store_settings.audit_retention_days)
        log.info("retention: removed %s", removed)

    jobs = [PlannedJob("store:prune", IntervalTrigger(hours=6), prune, 3600)]
    drain = getattr(tickets, "drain_outbox", None)
    if callable(drain):
        async def drain_outbox() -> None:
            sent = await asyncio.to_thread(drain)
            if sent:
                log.info("ticket outbox: %d operations delivered", sent)

        jobs.append(PlannedJob("tickets:outbox", IntervalTrigger(seconds=30), drain_outbox, 30))
    return jobs


def report_jobs(ctx: AppContext) -> list[PlannedJob]:
    try:
        from agent.reports.schedule import scheduled_reports
    except ImportError:
        return []
    from apscheduler.triggers.cron import CronTrigger

    jobs = []
    for report in scheduled_reports(ctx):
        async def produce(report: Any = report) -> None:
            paths = await asyncio.to_thread(report.run)
            log.info("report %s written: %s", report.name, ", ".join(str(p) for p in paths))

        jobs.append(PlannedJob(f"report:{report.name}", CronTrigger.from_crontab(report.cron), produce, 3600))
    return jobs


async def run_daemon(ctx: AppContext) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    settings = ctx.settings
    snapshot = Snapshot(settings.agent.site)
    snapshot.load(ctx.store.latest())
    server = None
    if settings.exporter.enabled:
        from agent.cli import version

        server = serve(build_registry(snapshot, version()), settings.exporter.listen)
        log.info("serving /metrics on http://%s/metrics", settings.exporter.listen)

    runner = Runner(ctx.collector_io(), concurrency=settings.runner.concurrency)
    tickets = ticketing_service(ctx)
    tracker = TaskTracker()
    now = ctx.clock()
    checks = family_jobs(ctx, runner, snapshot, tickets)
    # Run every family once right after start (staggered), so /metrics fills up at once.
    checks = [replace(job, first_run=first)
              for job, first in zip(checks, staggered_first_runs(len(checks), now + timedelta(seconds=1)))]
    scheduler = build_scheduler(checks + housekeeping_jobs(ctx, tickets) + report_jobs(ctx), tracker, now)
    scheduler.start()
    ctx.store.audit("daemon.start", settings.agent.name, {"families": [j.id for j in checks]})
    log.info("patrol run: %d check families scheduled", len(checks))

    await stop.wait()
    log.info("stopping")
    scheduler.shutdown(wait=False)
    cancelled = await tracker.stop(STOP_GRACE_S)
    runner.close()
    if server is not None:
        http_server, _thread = server
        http_server.shutdown()
    ctx.store.audit("daemon.stop", settings.agent.name, {"cancelled_runs": cancelled})
    log.info("stopped")
    return 0
