"""One cycle: run jobs, stream each run into the store and to ``on_run``, then tickets.

Shared by `patrol inspect` (one cycle over everything) and `patrol run`'s workers (one
cycle per batch of due families; ``on_run`` sends each run on to the supervisor's /metrics). Each run is stored as soon as it finishes, so a crash in the middle
of a cycle loses nothing already measured.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agent.context import AppContext
from agent.runner import CheckJob, Runner
from collectors.base import CheckRun

log = logging.getLogger(__name__)


def ticketing_service(ctx: AppContext) -> Any | None:
    """The ticket engine for this context, or None when ticketing is not part of this build."""
    try:
        from agent.ticketing.service import TicketingService
    except ImportError:
        return None
    return TicketingService.from_context(ctx)


@dataclass(frozen=True)
class CycleOutcome:
    runs: tuple[CheckRun, ...]
    tickets: Any | None  # agent.ticketing.service.CycleSummary when ticketing ran
    ticket_error: str | None = None


class RunRecorder:
    """Called by the runner for each finished run.

    Runs are stored in batches of ``batch_runs`` (one transaction, a multi-row insert per
    table: Store.write_runs), and a batch is never older than ``batch_age_s`` when the next run
    arrives or ``store_pending()`` is called; with ``batch_runs`` 1 each run is stored as it finishes.

    A store that cannot be written (a full disk, a locked database) costs one log line,
    not a traceback per run: the runs are kept (up to ``MAX_UNSTORED``) and stored with the
    next run that finds the store writable again. Losing the database must not stop the
    checks; their results are still reported and exported.
    """

    MAX_UNSTORED = 256

    def __init__(self, ctx: AppContext, on_run: Callable[[CheckRun], None] | None = None, *,
                 batch_runs: int = 1, batch_age_s: float = 1.0, autostore: bool = True):
        self.ctx = ctx
        self.on_run = on_run
        self.batch_runs = max(1, batch_runs)
        self.batch_age_s = batch_age_s
        self.unstored: deque[CheckRun] = deque(maxlen=max(self.MAX_UNSTORED, 4 * self.batch_runs))
        self.failing = False
        self.stored = 0
        # False: only store_pending() stores (the leased poll loop calls it off the event loop)
        self.autostore = autostore
        self._oldest: float | None = None

    def __call__(self, run: CheckRun) -> None:
        if run.collector == "assets":  # snapshots into the asset archive; the stored result names the hash only
            run = self._file_assets(run)
        self.unstored.append(run)
        if self._oldest is None:
            self._oldest = time.monotonic()
        if self.autostore and (len(self.unstored) >= self.batch_runs
                               or time.monotonic() - self._oldest >= self.batch_age_s):
            self._store_pending()
        if self.on_run is not None:
            self.on_run(run)

    def _file_assets(self, run: CheckRun) -> CheckRun:
        from agent.assets.intake import archive_run, without_snapshots

        try:
            archive_run(self.ctx.store.engine, self.ctx.store.site, run)
        except Exception:  # the archive must not cost the run's results
            log.exception("asset archive: the capture of %s could not be filed", run.target)
        return without_snapshots(run)

    def store_pending(self) -> bool:
        """Store every run that waits (``batch_runs`` per transaction); True when none is left."""
        self._store_pending()
        return not self.unstored

    def _store_pending(self) -> None:
        import sqlalchemy.exc

        from agent.store import RunWrite

        store = self.ctx.store
        while self.unstored:
            batch = list(self.unstored)[:max(self.batch_runs, 1)]
            try:
                with store.engine.begin() as conn:
                    store.write_runs(conn, [RunWrite(run, forget_unreported=run.error is None) for run in batch])
                    if any(run.collector == "switch" for run in batch):
                        from agent.topology.record import record_runs

                        record_runs(conn, store.site, batch)  # LLDP/CDP neighbours into the link history
            except sqlalchemy.exc.OperationalError as exc:
                if not self.failing:
                    log.error("cannot write the store (%s); results are kept in memory and stored when it "
                              "can be written again", exc.orig)
                self.failing = True
                return
            except Exception:
                if len(batch) > 1:  # store the others one by one; only the bad run is dropped
                    self._store_each(batch)
                else:
                    log.exception("could not store the results of %s on %s", batch[0].collector, batch[0].target)
            for _ in batch:
                self.unstored.popleft()
            self.stored += len(batch)
            if self.failing:
                self.failing = False
                log.warning("the store can be written again; kept results stored")
        self._oldest = None

    def _store_each(self, batch: list[CheckRun]) -> None:
        from agent.store import RunWrite

        store = self.ctx.store
        for run in batch:
            try:
                with store.engine.begin() as conn:
                    store.write_runs(conn, [RunWrite(run, forget_unreported=run.error is None)])
            except Exception:
                log.exception("could not store the results of %s on %s", run.collector, run.target)


async def run_cycle(ctx: AppContext, runner: Runner, jobs: Sequence[CheckJob], *,
                    tickets: Any | None = None, on_run: Callable[[CheckRun], None] | None = None) -> CycleOutcome:
    from agent.gcpause import collector_paused

    recorder = RunRecorder(ctx, on_run)
    with collector_paused():  # the runs are kept for the ticket engine (agent/gcpause.py)
        runs = await runner.run(jobs, on_done=recorder)
    recorder.store_pending()  # the retry of runs a full disk kept out of the store
    from agent.assets.findings import after_cycle  # hardware changes and warranties (asset archive)

    runs = [*runs, *after_cycle(ctx, runs, recorder)]
    summary, error = None, None
    if tickets is not None and runs:
        try:
            # Off the event loop: a slow ticket backend must not stall running checks or the
            # scheduler (process() is bounded by the outbox's max_drain_s and thread-safe).
            summary = await asyncio.to_thread(tickets.process, runs)
        except Exception as exc:
            # Ticketing must never cost us the results: they are stored; the engine retries
            # from the findings on the next cycle.
            error = f"{type(exc).__name__}: {exc}"
            log.error("ticketing failed for this cycle: %s", error)
            log.debug("ticketing failure", exc_info=True)
    return CycleOutcome(tuple(runs), summary, error)
