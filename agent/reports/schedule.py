"""Reports on a schedule (settings ``reports.schedule``), for the lead's APScheduler setup.

``scheduled_reports(ctx)`` returns one ``ScheduledReport`` per enabled schedule: a name,
a 5-field cron expression (agent's local time) and a ``run()`` that writes the reports
into the archive (<reports_dir>/archive/<site>/, with index.html) and mails them when
``reports.mail`` is enabled. Register each with
``scheduler.add_job(job.run, crontab_trigger(job.cron), id=job.name)`` (agent/scheduler.py:
APScheduler's own ``from_crontab`` reads weekday numbers one day off).

- monthly: the inspection report of the previous calendar month;
- quarterly: the fault analysis of the previous quarter;
- before contract end: every day at ``contract_check_cron`` the job looks at the
  inventory's ``site.contract_end``; on the day that is N days before it (for each N in
  ``before_contract_end_days``) it writes a full inspection of the last 30 days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from agent.reports.periods import Period, last_month, last_quarter
from agent.reports.service import ReportRequest, archive_report

if TYPE_CHECKING:
    from agent.context import AppContext

CONTRACT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class ScheduledReport:
    name: str
    cron: str
    run: Callable[[], list[Path]]


def _request(ctx: AppContext, kind: str, period: Period) -> ReportRequest:
    settings = ctx.settings.reports
    return ReportRequest(kind=kind, site=ctx.settings.agent.site, period=period, languages=settings.languages,
                         formats=settings.formats)


def monthly_run(ctx: AppContext) -> list[Path]:
    period = last_month(ctx.clock(), ctx.settings.reports.timezone)
    return archive_report(ctx, _request(ctx, "inspection", period))


def quarterly_run(ctx: AppContext) -> list[Path]:
    period = last_quarter(ctx.clock(), ctx.settings.reports.timezone)
    return archive_report(ctx, _request(ctx, "faults", period))


def contract_run(ctx: AppContext) -> list[Path]:
    """The full inspection due today before the contract ends, if one is due; else nothing."""
    end = ctx.inventory.site.contract_end
    zone = ctx.settings.reports.timezone
    if end is None:
        return []
    today = ctx.clock().astimezone(ZoneInfo(zone)).date()
    days_left = (end - today).days
    if days_left not in ctx.settings.reports.schedule.before_contract_end_days:
        return []
    last = today - timedelta(days=1)
    first = today - timedelta(days=CONTRACT_WINDOW_DAYS)
    period = Period("range", f"{first}..{last}", first, last, zone)
    return archive_report(ctx, _request(ctx, "inspection", period))


def scheduled_reports(ctx: AppContext) -> list[ScheduledReport]:
    schedule = ctx.settings.reports.schedule
    jobs = []
    if schedule.monthly:
        jobs.append(ScheduledReport("report-monthly-inspection", schedule.monthly_cron, lambda: monthly_run(ctx)))
    if schedule.quarterly:
        jobs.append(ScheduledReport("report-quarterly-faults", schedule.quarterly_cron, lambda: quarterly_run(ctx)))
    if schedule.before_contract_end_days:
        jobs.append(ScheduledReport("report-contract-end", schedule.contract_check_cron, lambda: contract_run(ctx)))
    return jobs
