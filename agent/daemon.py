"""`patrol run`: a small long-lived supervisor that schedules, serves /metrics and starts
a short-lived worker (agent/worker.py) for each batch of due jobs.

Why two processes: the supervisor never imports pydantic, SQLAlchemy, the check families
or the ticket engine, so it idles at about a third of what one process holding all of
them would (bench/agent_footprint.py); and whatever a check leaves behind (a thread stuck
in a blocking call, a leak, a crashed C extension) ends with its worker.

A worker start costs about 0.6 s of CPU (imports), so check families due at about the
same time share one worker: a family due within a quarter of its interval (at most two
minutes) of a batch either runs early with it or waits for it, and after that the
families stay in step. A run may so come up to a quarter of its interval early or late;
cron schedules never move.

Start: a ``plan`` worker validates config and inventory (errors end `patrol run` with
exit 2, as before), writes ``daemon.start`` to the audit log and sends the jobs and the
store's last known states, which /metrics serves at once. Stop (SIGTERM/SIGINT): no new
workers; running ones get SIGTERM (each stored run is its own transaction, so a cancelled
one leaves the store consistent) and SIGKILL after a grace; a last worker writes
``daemon.stop``. The whole stop takes well under 5 s.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent.exporter import PushStats, Snapshot, TicketGauges, build_registry, serve
from agent.launcher import Launcher, WorkerExit
from agent.logsetup import setup_logging
from agent.scheduler import PlannedJob, TaskTracker, add_job, build_scheduler, trigger_for
from agent.wire import Message, latest_from_json, run_from_json, ticket_activity_from_json
from collectors.system_cpu import AGENT_PID_ENV

log = logging.getLogger(__name__)
STOP_GRACE_S = 2.5
# A stop takes at most STOP_BUDGET_S: running workers get STOP_GRACE_S to finish, and the
# `stop` worker that writes the audit row gets whatever is left (at least
# STOP_WORKER_DEADLINE_S). A fixed 1.8 s was too short for a worker's start on a loaded
# machine even when the running workers had stopped at once, and the stop went unrecorded.
STOP_BUDGET_S = 4.8
STOP_WORKER_DEADLINE_S = 1.8
PLAN_DEADLINE_S = 300.0
BATCH_WINDOW_S = 0.5
PULL_SHARE, PULL_MAX_S = 0.25, 120.0
FIRST_RUN_DELAY_S = 1.0
JOIN_SLACK_S = 2.0  # a job waiting for a batch starts one anyway if the batch has not come by then


@dataclass(frozen=True)
class JobSpec:
    """One job of the plan, as the ``plan`` worker sent it."""

    id: str
    interval_s: float | None
    jitter_s: float
    cron: str | None
    misfire_grace_s: float
    deadline_s: float
    when_pending: str = ""  # run only while this queue ("tickets", "push") has something pending
    first_run_s: float | None = None  # also run this long after start (check families always do)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "JobSpec":
        pending = data.get("when_pending") or ""
        return cls(str(data["id"]), None if data.get("interval_s") is None else float(data["interval_s"]),
                   float(data.get("jitter_s") or 0), data.get("cron"), float(data["misfire_grace_s"]),
                   float(data["deadline_s"]), "tickets" if pending is True else str(pending),
                   None if data.get("first_run_s") is None else float(data["first_run_s"]))

    @property
    def is_check(self) -> bool:
        return self.id.startswith("check:")

    def pull_window_s(self) -> float:
        """How early this job may run to share a worker with a batch that is starting."""
        if self.cron or not self.interval_s:
            return 0.0
        return min(self.interval_s * PULL_SHARE, PULL_MAX_S)


class SupervisorState:
    """What the worker messages tell the supervisor."""

    def __init__(self) -> None:
        self.plan: dict[str, Any] | None = None
        self.snapshot: Snapshot | None = None
        self.pending: dict[str, int] = {}  # queue -> items waiting ("tickets": ticket calls, "push": batches)
        self.push: PushStats | None = None
        self.tickets = TicketGauges()  # shared with the snapshot once it exists
        self.on_confirm: Callable[[list[str], float], None] | None = None
        self.seed: list[Any] = []
        self.on_plan: Callable[[dict[str, Any]], None] | None = None  # a plan after the start: re-plan

    @property
    def outbox_pending(self) -> int | None:
        return self.pending.get("tickets")

    def on_message(self, message: Message) -> None:
        body = message.body
        if message.kind == "run":
            if self.snapshot is not None:
                self.snapshot.update(run_from_json(body["run"]))
        elif message.kind == "latest":
            self.seed = [latest_from_json(item) for item in body["runs"]]
        elif message.kind == "outbox":
            activity = ticket_activity_from_json(body)
            self.pending["tickets"] = activity.pending
            self.tickets.update(activity)
        elif message.kind == "push":
            stats = PushStats.from_json(body)
            self.pending["push"] = stats.pending
            self.push = stats
            if self.snapshot is not None:
                self.snapshot.set_push(stats)
        elif message.kind == "confirm":
            if self.on_confirm is not None:
                self.on_confirm([str(t) for t in body["tasks"] if str(t).startswith("confirm:")],
                                float(body["after_s"]))
        elif message.kind == "plan":
            self.plan = body
            if self.on_plan is not None:
                self.on_plan(body)
        else:
            log.warning("worker sent an unknown message %r; ignored (version mismatch?)", message.kind)


class Batcher:
    """Check tasks due at about the same time run in one worker (a worker start is the
    expensive part of a cycle). A batch starts ``window_s`` after its first task that is
    due now; a task may instead wait a little for a batch that is about to come
    (``wait_s``); ``on_batch_start`` is told when a batch is about to start, to pull in
    families that are due soon."""

    def __init__(self, launcher: Launcher, on_batch_start: Callable[[str], None], window_s: float = BATCH_WINDOW_S):
        self.launcher = launcher
        self.on_batch_start = on_batch_start
        self.window_s = window_s
        self._tasks: dict[str, float] = {}
        self._done: asyncio.Future[None] | None = None
        self._start_at = math.inf
        self._handle: asyncio.TimerHandle | None = None

    async def submit(self, task: str, deadline_s: float, wait_s: float = 0.0) -> None:
        loop = asyncio.get_running_loop()
        if self._done is None:
            self._done = loop.create_future()
        done = self._done
        self._tasks[task] = max(deadline_s, self._tasks.get(task, 0.0))
        start_at = loop.time() + max(self.window_s, wait_s)
        if start_at < self._start_at:
            if self._handle is not None:
                self._handle.cancel()
            self._start_at, self._handle = start_at, loop.call_at(start_at, self._start)
            if wait_s <= self.window_s:
                self.on_batch_start(task)
        await asyncio.shield(done)

    def _start(self) -> None:
        tasks, done = self._tasks, self._done
        self._tasks, self._done, self._start_at, self._handle = {}, None, math.inf, None
        assert done is not None
        names = sorted(tasks)

        async def run() -> None:
            try:
                result = await self.launcher.run(names, max(tasks.values()))
                if result.code not in (0, None) and not result.killed:
                    log.warning("worker [%s] exited with %s", " ".join(names), result.code)
            except Exception as exc:  # a worker that cannot start must not stop the schedule
                log.error("could not run worker [%s]: %s: %s", " ".join(names), type(exc).__name__, exc)
            finally:
                done.set_result(None)

        asyncio.get_running_loop().create_task(run())


def _family_job(confirm_task: str) -> str:
    """``confirm:<family>:<target>`` -> the family's job id ``check:<family>``."""
    return "check:" + confirm_task.split(":", 2)[1]


class Daemon:
    def __init__(self, worker_argv: Sequence[str], *, log_level: str | None = None, log_format: str | None = None,
                 clock: Callable[[], datetime] | None = None, batch_window_s: float = BATCH_WINDOW_S):
        self.batch_window_s = batch_window_s
        self.state = SupervisorState()
        self.launcher = Launcher(worker_argv, self.state.on_message, self._worker_exited)
        self.log_level, self.log_format = log_level, log_format
        self.clock = clock or (lambda: datetime.now().astimezone())
        self.specs: dict[str, JobSpec] = {}
        self.scheduler: Any = None
        self.tracker = TaskTracker()
        self.batcher: Batcher | None = None  # made with the jobs, so that a test may swap the launcher first
        self.running: set[str] = set()
        self.confirming: set[str] = set()  # confirmation tasks scheduled or running
        self.state.on_confirm = self._confirm

    def _confirm(self, tasks: list[str], after_s: float) -> None:
        """A worker asks for a re-check of a down check that failed once (agent/worker.py)."""
        fresh = [t for t in tasks if t not in self.confirming]
        if not fresh:
            return
        self.confirming.update(fresh)
        asyncio.get_running_loop().call_later(after_s, lambda: asyncio.ensure_future(self._run_confirm(fresh)))

    async def _run_confirm(self, tasks: list[str]) -> None:
        try:
            # A family that is running now brings fresh results anyway; never two runs of it at once.
            todo = [t for t in tasks if _family_job(t) not in self.running]
            if not todo:
                return
            families = {_family_job(t) for t in todo}
            deadline = max((self.specs[f].deadline_s for f in families if f in self.specs), default=PLAN_DEADLINE_S)
            self.running.update(families)
            try:
                result = await self.launcher.run(todo, deadline)
            finally:
                self.running.difference_update(families)
            if result.code not in (0, None) and not result.killed:
                log.warning("worker [%s] exited with %s", " ".join(todo), result.code)
        except Exception as exc:  # a confirmation that cannot run must not stop the schedule
            log.error("could not run confirmation [%s]: %s: %s", " ".join(tasks), type(exc).__name__, exc)
        finally:
            self.confirming.difference_update(tasks)

    async def start(self) -> int | None:
        """Run the plan worker; returns an exit code when `patrol run` cannot start."""
        result = await self.launcher.run(["plan"], PLAN_DEADLINE_S, relay_text=False)
        plan = self.state.plan
        if plan is None or result.code != 0:
            # A bad config or inventory: the worker's own message, as `patrol inspect` prints it.
            for line in result.stderr_text:
                print(line, file=sys.stderr)
            return result.code or 1
        settings = plan["log"]
        setup_logging(self.log_level or settings["level"], self.log_format or settings["format"],
                      Path(settings["file"]), int(settings["max_bytes"]), int(settings["backups"]))
        self.specs = {spec.id: spec for spec in (JobSpec.from_json(j) for j in plan["jobs"])}
        snapshot = Snapshot(plan["site"], self.state.tickets)
        snapshot.load(self.state.seed)
        if self.state.push is not None:
            snapshot.set_push(self.state.push)
        self.state.snapshot = snapshot
        return None

    def _worker_exited(self, result: WorkerExit) -> None:
        if self.state.snapshot is not None and not result.stopping:
            self.state.snapshot.count_worker(result.outcome)
        if result.outcome != "ok":
            # It may have died holding outbox claims, or before saying what it queued: let the next
            # outbox run (every 30 s) look, and take over the calls of a dead claimer.
            self.state.pending["tickets"] = max(self.state.pending.get("tickets") or 0, 1)

    def jobs(self, now: datetime) -> list[PlannedJob]:
        batcher = self.batcher = Batcher(self.launcher, self._pull_forward, self.batch_window_s)
        first = now + timedelta(seconds=FIRST_RUN_DELAY_S)
        jobs = []
        for spec in self.specs.values():
            if spec.is_check:
                first_run = first  # every family once right after start, all in one worker, so /metrics fills up
            elif spec.first_run_s is not None:
                first_run = now + timedelta(seconds=max(spec.first_run_s, FIRST_RUN_DELAY_S))
            else:
                first_run = None
            jobs.append(PlannedJob(spec.id, trigger_for(spec), self._job(spec, batcher), spec.misfire_grace_s,
                                   first_run=first_run))
        return jobs

    def replan(self, plan: dict[str, Any]) -> None:
        """Apply a new plan while running: a worker sends one when the check settings from the
        collector changed (agent/run/central_pull.py). Jobs whose spec changed get their new
        schedule (next run: by the new trigger), new ones run soon, removed ones stop. Log
        and /metrics settings are kept until a restart."""
        if self.scheduler is None or self.batcher is None:
            return
        new = {spec.id: spec for spec in (JobSpec.from_json(j) for j in plan["jobs"])}
        if new == self.specs:
            return
        now = self.clock()
        changed = sorted(i for i in new if i in self.specs and new[i] != self.specs[i])
        added, removed = sorted(set(new) - set(self.specs)), sorted(set(self.specs) - set(new))
        for job_id in removed:
            try:
                self.scheduler.remove_job(job_id)
            except LookupError:  # apscheduler's JobLookupError: already gone
                pass
        for job_id in changed + added:
            spec = new[job_id]
            first_run = now + timedelta(seconds=FIRST_RUN_DELAY_S) if job_id in added else None
            add_job(self.scheduler, PlannedJob(spec.id, trigger_for(spec), self._job(spec, self.batcher),
                                               spec.misfire_grace_s, first_run=first_run), self.tracker)
        self.specs = new
        log.info("schedule updated from new settings: %s", "; ".join(
            f"{what} {', '.join(ids)}" for what, ids in (("changed", changed), ("added", added), ("removed", removed))
            if ids))

    def _job(self, spec: JobSpec, batcher: Batcher) -> Any:
        async def job() -> None:
            self.running.add(spec.id)
            try:
                if spec.is_check:
                    await batcher.submit(spec.id, spec.deadline_s, self._wait_to_join(spec))
                elif not spec.when_pending or self.state.pending.get(spec.when_pending):
                    result = await self.launcher.run([spec.id], spec.deadline_s)
                    if result.code not in (0, None) and not result.killed:
                        log.warning("worker [%s] exited with %s", spec.id, result.code)
            finally:
                self.running.discard(spec.id)

        job.__name__ = spec.id.replace(":", "_")
        return job

    def _check_jobs_due(self, skip: str) -> list[tuple[Any, JobSpec, float]]:
        """Other check jobs not running now, with how many seconds until each is due."""
        if self.scheduler is None:
            return []
        now = self.clock()
        due = []
        for job in self.scheduler.get_jobs():
            spec = self.specs.get(job.id)
            if spec is None or not spec.is_check or job.id == skip or job.id in self.running:
                continue
            if job.next_run_time is not None:
                due.append((job, spec, (job.next_run_time - now).total_seconds()))
        return due

    def _wait_to_join(self, spec: JobSpec) -> float:
        """Seconds to wait for the next batch, when it comes within this job's window; else 0."""
        soonest = min((in_s for _job, _spec, in_s in self._check_jobs_due(spec.id)), default=math.inf)
        if 0 < soonest <= spec.pull_window_s():
            log.debug("%s waits %.0f s to share the next worker", spec.id, soonest)
            return soonest + JOIN_SLACK_S
        return 0.0

    def _pull_forward(self, starting: str) -> None:
        """Bring check families that are due soon into the batch that is starting."""
        now = self.clock()
        for job, spec, in_s in self._check_jobs_due(starting):
            if in_s <= spec.pull_window_s():
                log.debug("%s runs %.0f s early to share the worker of %s", job.id, in_s, starting)
                job.modify(next_run_time=now)

    async def serve_until(self, stop: asyncio.Event, version_fallback: str, *, serve_metrics: bool = True) -> int:
        """Schedule until ``stop``; ``serve_metrics`` False when another server (the site
        collector's) serves these results."""
        plan = self.state.plan
        assert plan is not None and self.state.snapshot is not None
        server = None
        exporter = plan["exporter"]
        if exporter["enabled"] and serve_metrics:
            try:
                server = serve(build_registry(self.state.snapshot, plan.get("version") or version_fallback),
                               exporter["listen"])
            except OSError as exc:
                # Another agent (or anything else) holds the port: say which setting to change.
                log.error("cannot serve /metrics on %s (exporter.listen): %s", exporter["listen"], exc)
                await self.launcher.run(["stop:0"], STOP_BUDGET_S)
                return 1
            log.info("serving /metrics on http://%s/metrics", exporter["listen"])
        tracker = self.tracker
        now = self.clock()
        self.scheduler = build_scheduler(self.jobs(now), tracker, now)
        self.state.on_plan = self.replan
        self.scheduler.start()
        log.info("patrol run: %d check families scheduled", sum(1 for s in self.specs.values() if s.is_check))

        await stop.wait()
        log.info("stopping")
        budget_end = time.monotonic() + STOP_BUDGET_S
        self.scheduler.shutdown(wait=False)
        stopped = await self.launcher.stop_all(STOP_GRACE_S)
        await tracker.stop(0.5)
        await self.launcher.run([f"stop:{stopped}"], max(STOP_WORKER_DEADLINE_S, budget_end - time.monotonic()))
        if server is not None:
            http_server, _thread = server
            http_server.shutdown()
        log.info("stopped")
        return 0


async def supervise(worker_argv: Sequence[str], *, log_level: str | None = None, log_format: str | None = None,
                    version: str = "0+unknown") -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # Windows: Ctrl+C arrives as KeyboardInterrupt
            pass
    # Workers inherit it: system.cpu subtracts this whole process tree (every worker's checks).
    os.environ[AGENT_PID_ENV] = str(os.getpid())
    daemon = Daemon(worker_argv, log_level=log_level, log_format=log_format)
    failed = await daemon.start()
    if failed is not None:
        return failed
    return await daemon.serve_until(stop, version)
