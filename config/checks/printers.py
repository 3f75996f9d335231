"""Settings of the printers family: Printers this computer uses: local queues over CUPS/IPP or the Windows spooler (item 5)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from config.checks.base import CheckParams, WarnCrit


class PrintersParams(CheckParams):
    """Settings under ``checks.printers``."""

    server: Annotated[str | None, Field(
        description="Linux: CUPS server as host:port or the path of its socket; default $CUPS_SERVER, "
                    "then /run/cups/cups.sock, then 127.0.0.1:631. Ignored on Windows")] = None
    request_timeout_s: Annotated[float, Field(gt=0, description="seconds to wait for each answer of the print system")] = 10
    queues: Annotated[tuple[str, ...], Field(
        description="queue names (shell patterns such as 'HP*') to check; empty means every queue")] = ()
    ignore_queues: Annotated[tuple[str, ...], Field(
        description="queue names (shell patterns) never checked, e.g. 'Microsoft Print to PDF', 'OneNote*'")] = (
        "Microsoft Print to PDF", "Microsoft XPS Document Writer", "OneNote*", "Fax", "PDF")
    stuck_job_minutes: Annotated[WarnCrit, Field(
        description="a job still not printed after this many minutes is stuck: WARN/CRIT")] = WarnCrit(warn=15, crit=60)
    job_error_state: Annotated[Literal["ok", "warn", "crit"], Field(
        description="state of a queue with a job in an error state (job error, printer offline, out of paper, "
                    "blocked), at once whatever its age")] = "warn"
    count_held_jobs: Annotated[bool, Field(
        description="treat jobs held on purpose (hold-until, held by an operator) as stuck too")] = False
    not_accepting_state: Annotated[Literal["ok", "warn", "crit"], Field(
        description="state of a queue that rejects new jobs (cupsreject)")] = "crit"
    stopped_state: Annotated[Literal["ok", "warn", "crit"], Field(
        description="state of a stopped (paused) queue")] = "crit"
    reason_states: Annotated[dict[str, Literal["ok", "warn", "crit"]], Field(
        description="override the state of printer-state-reasons keywords, e.g. {toner-low: ok}")] = {}
