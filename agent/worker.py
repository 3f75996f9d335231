"""A `patrol run` worker: one short-lived process per batch of due jobs.

`patrol run` itself (agent/supervisor.py) only schedules, serves /metrics and starts
workers; everything that needs the config schema (pydantic), the store (SQLAlchemy), the
check families or the ticket engine happens here, so the long-lived process stays small
and anything a check leaves behind (a hung thread, a leak, a crashed C extension) ends
with its worker.

    python -m agent.worker [--config FILE] [--log-level LEVEL] TASK [TASK ...]

Tasks: ``plan`` (validate, audit the start, describe the jobs, seed /metrics),
``check:<family>`` (several are run as one cycle), ``store:prune``, ``tickets:outbox``,
``report:<name>``, ``stop:<cancelled runs>`` (audit the stop); for an agent enrolled with a
collector (agent/run/push.py) also ``push:outbox`` and ``config:pull``. Messages go to stdout as
JSON lines (agent/wire.py); logs go to stderr as JSON lines, which the supervisor relays
into its own log. Exit codes: 0 done, 1 a task failed, 2 bad config or usage.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agent import eventloop
from agent.gcpause import EXIT_KEEPER
from agent.wire import encode, run_to_json

REPLICA_ENV = "PATROL_REPLICA"  # agent/serve/leases.py: set by `patrol serve` replicas for their workers

log = logging.getLogger("agent.worker")  # not __name__: it is "__main__" under `python -m`
Emit = Callable[[str], None]

# Jobs the supervisor schedules besides the check families.
PRUNE_EVERY_S = 6 * 3600
OUTBOX_EVERY_S = 30
FIRST_PULL_S = 2.0  # central check settings are fetched right after `patrol run` starts
# After each cycle a worker sends what it queued, for at most this long; the push:outbox job sends the rest.
PUSH_AFTER_CYCLE_BUDGET_S = 30.0
# The stop worker's last send (the daemon's whole stop has STOP_BUDGET_S; what is not sent
# stays in the outbox for the next start).
PUSH_AT_STOP_BUDGET_S = 1.0
# A worker is killed when its batch outlives its deadline; a check batch gets the time its
# runs could legitimately take (timeouts x waves of the concurrency limit) plus this margin.
DEADLINE_MARGIN_S = 60
HOUSEKEEPING_DEADLINE_S = 3600


class StderrJsonHandler(logging.Handler):
    """Log records as JSON lines for the supervisor to relay (agent/supervisor.py reads them)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            entry = {"name": record.name, "levelno": record.levelno, "msg": record.getMessage(),
                     "created": record.created}
            if record.exc_info:
                entry["exc_text"] = logging.Formatter().formatException(record.exc_info)
            sys.stderr.write(json.dumps(entry, ensure_ascii=False) + "\n")
            sys.stderr.flush()
        except Exception:  # logging must never take the worker down
            self.handleError(record)


def setup_worker_logging(level: str) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(StderrJsonHandler())
    root.setLevel(level.upper())
    for noisy in ("apscheduler", "paramiko", "netmiko", "pysnmp", "urllib3", "asyncio", "weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def schedule_fields(schedule: Any) -> dict[str, Any]:
    return {"interval_s": schedule.interval_s, "jitter_s": schedule.jitter_s, "cron": schedule.cron,
            "misfire_grace_s": schedule.misfire_grace_s}


def plan_message(ctx: Any, version: str) -> dict[str, Any]:
    """Everything the supervisor needs, as plain data: the jobs, /metrics and log settings."""
    from agent.runner import params_for, plan

    settings = ctx.settings
    jobs: list[dict[str, Any]] = []
    for name, collector in ctx.registry.collectors.items():
        params = params_for(collector, settings)
        if not params.enabled:
            continue
        targets = plan(ctx.registry, settings, ctx.inventory, only=[name])
        if not targets:
            log.info("check family %s has no target here; not scheduled", name)
            continue
        waves = math.ceil(len(targets) / settings.runner.concurrency)
        jobs.append({"id": f"check:{name}", **schedule_fields(params.schedule),
                     "deadline_s": params.timeout_s * waves + DEADLINE_MARGIN_S})
    jobs.append({"id": "store:prune", "interval_s": PRUNE_EVERY_S, "jitter_s": 0, "cron": None,
                 "misfire_grace_s": 3600, "deadline_s": HOUSEKEEPING_DEADLINE_S})
    link = _push_link(settings, version)
    if link is not None:
        # Agent mode: results go to the collector, which decides tickets for the whole site.
        collector = settings.collector
        jobs.append({"id": "push:outbox", "interval_s": collector.push_interval_s, "jitter_s": 0, "cron": None,
                     "misfire_grace_s": collector.push_interval_s, "deadline_s": HOUSEKEEPING_DEADLINE_S,
                     "when_pending": "push"})
        jobs.append({"id": "config:pull", "interval_s": collector.config_refresh_s, "jitter_s": 0, "cron": None,
                     "misfire_grace_s": collector.config_refresh_s, "deadline_s": HOUSEKEEPING_DEADLINE_S,
                     "first_run_s": FIRST_PULL_S})
    elif getattr(getattr(settings, "ticketing", None), "enabled", False) and _ticketing_installed():
        jobs.append({"id": "tickets:outbox", "interval_s": OUTBOX_EVERY_S, "jitter_s": 0, "cron": None,
                     "misfire_grace_s": OUTBOX_EVERY_S, "deadline_s": HOUSEKEEPING_DEADLINE_S, "when_pending": "tickets"})
    for report in _scheduled_reports(ctx):
        jobs.append({"id": f"report:{report.name}", "interval_s": None, "jitter_s": 0, "cron": report.cron,
                     "misfire_grace_s": 3600, "deadline_s": HOUSEKEEPING_DEADLINE_S})
    log_file = settings.resolve(settings.log.file) if settings.log.file else settings.state_dir / "patrol.log"
    return {"site": settings.agent.site, "name": settings.agent.name, "version": version,
            "exporter": {"enabled": settings.exporter.enabled, "listen": settings.exporter.listen},
            "log": {"level": settings.log.level, "format": settings.log.format.value, "file": str(log_file),
                    "max_bytes": settings.log.max_bytes, "backups": settings.log.backups},
            "jobs": jobs}


def _push_link(settings: Any, version: str) -> Any | None:
    from agent.run.push import push_link

    return push_link(settings, version)


def shortest_interval_s(jobs: Sequence[dict[str, Any]]) -> float | None:
    """The shortest interval of the scheduled check families (what the collector's silence check needs)."""
    intervals = [j["interval_s"] for j in jobs if j["id"].startswith("check:") and not j.get("cron") and j.get("interval_s")]
    return min(intervals) if intervals else None


def _ticketing_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("agent.ticketing.service") is not None


def _scheduled_reports(ctx: Any) -> list[Any]:
    try:
        from agent.reports.schedule import scheduled_reports
    except ImportError:  # reports not part of this build
        return []
    return scheduled_reports(ctx)


class Worker:
    """Runs one batch of tasks against a context; ``emit`` writes a wire line."""

    def __init__(self, ctx: Any, emit: Emit, version: str = "0+unknown"):
        self.ctx = ctx
        self.emit = emit
        self.version = version
        self._tickets: Any = None
        self._pusher: Any = None
        self._fleet: bool | None = None

    def pusher(self) -> Any | None:
        """The sender to the collector, when this agent is enrolled (agent/run/push.py)."""
        if self._fleet is None:
            link = _push_link(self.ctx.settings, self.version)
            self._fleet = link is not None
            if link is not None:
                from agent.run.push import Pusher, open_outbox

                self._pusher = Pusher(link, open_outbox(link))
        return self._pusher

    def replan(self) -> dict[str, Any]:
        """The plan under the settings as they are now (the collector's just saved): the
        supervisor applies a changed schedule without a restart (Daemon.replan)."""
        from agent.context import AppContext
        from config.loader import load_settings

        fresh = AppContext(load_settings(self.ctx.config_path), self.ctx.config_path)
        try:
            return plan_message(fresh, self.version)
        finally:
            fresh.close()

    def close(self) -> None:
        if self._pusher is not None:
            self._pusher.close()

    def emit_push_stats(self, stats: Any) -> None:
        from agent.run.push import stats_message

        self.emit(encode("push", **stats_message(stats)))

    def tickets(self) -> Any | None:
        if self.pusher() is not None:
            return None  # agent mode: the collector decides tickets for the whole site
        if self._tickets is None and self.ctx.settings.ticketing.enabled:
            from agent.cycle import ticketing_service

            self._tickets = ticketing_service(self.ctx)
        return self._tickets

    async def execute(self, tasks: Sequence[str]) -> int:
        failed = 0
        families = [t.removeprefix("check:") for t in tasks if t.startswith("check:")]
        if families:
            failed += await self._guard("checks", self.checks(families))
        confirm = [parse_confirm(t) for t in tasks if t.startswith("confirm:")]
        if confirm:
            failed += await self._guard("confirmation", self.checks([f for f, _ in confirm], targets=confirm))
        for task in tasks:
            if task.startswith(("check:", "confirm:")):
                continue
            failed += await self._guard(task, self.other(task))
        return 1 if failed else 0

    async def _guard(self, what: str, work: Any) -> int:
        try:
            await work
            return 0
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one failed task must not hide the others' results
            log.error("%s failed: %s: %s", what, type(exc).__name__, exc)
            log.debug("%s failed", what, exc_info=True)
            return 1

    async def other(self, task: str) -> None:
        kind, _, arg = task.partition(":")
        if task == "plan":
            plan = plan_message(self.ctx, self.version)
            self.emit(encode("plan", **plan))
            self.emit(encode("latest", runs=[_latest_to_json(s) for s in self.ctx.store.latest()]))
            pusher = self.pusher()
            if pusher is not None:
                await asyncio.to_thread(pusher.start_from, self.ctx.store)
                interval = shortest_interval_s(plan["jobs"])
                if interval is not None:
                    pusher.set_interval(interval)
                self.emit_push_stats(pusher.outbox.stats())
            self.ctx.store.audit("daemon.start", self.ctx.settings.agent.name,
                                 {"families": [n for n in self.ctx.registry.collectors]})
            tickets = self.tickets()
            if tickets is not None:  # /metrics shows open tickets and the outbox from the start
                await self._report_tickets(tickets)
        elif task == "store:prune":
            store = self.ctx.settings.store
            removed = await asyncio.to_thread(self.ctx.store.prune, self.ctx.clock(),
                                              retention_days=store.retention_days,
                                              audit_retention_days=store.audit_retention_days)
            log.info("retention: removed %s", removed)
        elif task == "tickets:outbox":
            tickets = self.tickets()
            if tickets is not None:
                sent = await asyncio.to_thread(tickets.drain_outbox)
                stats = tickets.outbox.last_drain
                if stats.retried:
                    log.info("ticket outbox: backend reachable again: %d delayed call(s) delivered, the longest "
                             "after %.0f s", stats.retried, stats.max_delay_s)
                elif sent:
                    log.info("ticket outbox: %d call(s) delivered", sent)
                await self._report_tickets(tickets)
        elif task == "push:outbox":
            pusher = self.pusher()
            if pusher is not None:
                await asyncio.to_thread(pusher.queue_stored, self.ctx.store)
                outcome = await asyncio.to_thread(pusher.send)
                if outcome.sent:
                    log.info("push: %d batches delivered, %d pending", outcome.sent, outcome.stats.pending)
                self.emit_push_stats(outcome.stats)
                await asyncio.to_thread(self._send_assets, pusher)
        elif task == "config:pull":
            pusher = self.pusher()
            if pusher is not None:
                from agent.run.central_pull import pull_config

                if await asyncio.to_thread(pull_config, pusher) == "changed":
                    plan = self.replan()
                    if (interval := shortest_interval_s(plan["jobs"])) is not None:
                        pusher.set_interval(interval)  # what the next batches tell the collector
                    self.emit(encode("plan", **plan))
        elif kind == "report":
            report = next((r for r in _scheduled_reports(self.ctx) if r.name == arg), None)
            if report is None:
                raise ValueError(f"no scheduled report named {arg!r}")
            paths = await asyncio.to_thread(report.run)
            log.info("report %s written: %s", report.name, ", ".join(str(p) for p in paths))
        elif kind == "stop":
            self.ctx.store.audit("daemon.stop", self.ctx.settings.agent.name, {"cancelled_runs": int(arg or 0)})
            pusher = self.pusher()
            if pusher is not None:  # runs a stopped cycle stored but did not queue: queued now, sent if quick
                await asyncio.to_thread(pusher.queue_stored, self.ctx.store)
                await asyncio.to_thread(pusher.send, budget_s=PUSH_AT_STOP_BUDGET_S)
        else:
            raise ValueError(f"unknown task {task!r}")

    async def checks(self, families: Sequence[str], targets: Sequence[tuple[str, str]] | None = None) -> None:
        """One cycle over ``families``; only the (family, target) pairs of ``targets`` when given (a confirmation)."""
        from agent.cycle import run_cycle
        from agent.runner import Runner, plan

        ctx = self.ctx
        if targets is None:
            jobs = plan(ctx.registry, ctx.settings, ctx.inventory, only=families)
        else:
            jobs = [job for family, target in dict.fromkeys(targets)
                    for job in plan(ctx.registry, ctx.settings, ctx.inventory, only=[family], target=target)]
            log.info("confirmation re-check of %s", ", ".join(f"{f} on {t}" for f, t in targets))
        replica_name = os.environ.get(REPLICA_ENV)
        replica = replica_name if targets is None else None
        io = ctx.collector_io()
        carried = None
        if replica_name:  # the devices' poll state travels with their leases (agent/serve/leases.py)
            from agent.serve.leases import CarriedPollState
            from collectors.snmp.pollstate import POLL_STATE_KEY

            carried = CarriedPollState()
            io = dataclasses.replace(io, extra={**io.extra, POLL_STATE_KEY: carried})
            if targets is not None:  # a confirmation: the last leased poll's state, read only
                await asyncio.to_thread(self._seed_poll_state, carried, replica_name, targets)
        runner = Runner(io, concurrency=ctx.settings.runner.concurrency)
        tickets = self.tickets()
        pusher = self.pusher()
        if pusher is not None:  # before any run of this cycle is stored (a no-op once begun)
            await asyncio.to_thread(pusher.start_from, ctx.store)
        try:
            if replica:
                outcome = await self._replica_cycle(replica, runner, jobs, tickets, carried)
            else:
                outcome = await run_cycle(ctx, runner, jobs, tickets=tickets,
                                          on_run=lambda run: self.emit(encode("run", run=run_to_json(run))))
        finally:
            runner.close()
        EXIT_KEEPER.keep(outcome, carried)  # freed by the process's end, not object by object (agent/gcpause.py)
        for family in families:
            runs = [r for r in outcome.runs if r.collector == family]
            log.info("%s: %d targets checked, %d failed", family, len(runs), sum(1 for r in runs if r.error))
        if outcome.tickets is not None:
            # One line per cycle: what happened to tickets, what waits for the backend and since when.
            log.info("%s", outcome.tickets.describe())
        if tickets is not None:
            await self._report_tickets(tickets)
            self._ask_confirmation(tickets)
        if pusher is not None:
            await asyncio.to_thread(self._push_cycle, pusher, outcome.runs)

    def _seed_poll_state(self, carried: Any, replica: str, targets: Sequence[tuple[str, str]]) -> None:
        from agent.serve.leases import Leases

        ctx = self.ctx
        leases = Leases(ctx.store.engine, ctx.settings.agent.site, replica,
                        lease_s=ctx.settings.serve.replicas.lease_s, clock=ctx.clock)
        by_family: dict[str, list[str]] = {}
        for family, target in targets:
            by_family.setdefault(family, []).append(target)
        try:
            for family, names in by_family.items():
                carried.seed(family, leases.poll_states(family, names))
        except Exception as exc:  # noqa: BLE001 - the re-check runs anyway, without rates
            log.warning("confirmation re-check: cannot read the devices' poll state (%s: %s)", type(exc).__name__, exc)

    async def _replica_cycle(self, replica: str, runner: Any, jobs: Sequence[Any], tickets: Any,
                             carried: Any = None) -> Any:
        """One of several `patrol serve` replicas on one database: this machine's own checks
        as usual, the network devices only as far as this replica claims them (agent/serve/leases.py)."""
        from agent.cycle import CycleOutcome, RunRecorder, run_cycle
        from agent.gcpause import collector_paused
        from agent.serve.leases import Leases
        from agent.serve.polling import FamilyPlan, parent_alive, poll_leased

        ctx = self.ctx
        local = [job for job in jobs if getattr(job.target, "local", False)]
        plans: dict[str, FamilyPlan] = {}
        for job in jobs:
            if not getattr(job.target, "local", False):
                family = job.collector.name
                schedule = job.params.schedule
                plan = plans.setdefault(family, FamilyPlan(family, {}, schedule.interval_s, schedule.cron))
                plan.jobs[job.target.name] = job  # type: ignore[index]
        own = await run_cycle(ctx, runner, local, on_run=lambda run: self.emit(encode("run", run=run_to_json(run)))
                              ) if local else None
        replicas = ctx.settings.serve.replicas
        leases = Leases(ctx.store.engine, ctx.settings.agent.site, replica, lease_s=replicas.lease_s, clock=ctx.clock,
                        carried=carried)
        # The device runs are not sent to `patrol serve`: its /metrics reads the store (every
        # replica's polls), so encoding 60 results per switch twice would be CPU for nothing.
        recorder = RunRecorder(ctx, None, batch_runs=replicas.write_batch, autostore=False)
        with collector_paused():  # the runs are kept for the ticket engine (agent/gcpause.py)
            leased = await poll_leased(list(plans.values()), leases, runner, recorder, capacity=runner.concurrency,
                                       alive=parent_alive())
        await asyncio.to_thread(recorder.store_pending)
        if recorder.unstored:
            log.error("%d runs could not be stored (database unreachable); their devices are polled again "
                      "once their claims expire", len(recorder.unstored))
        runs = (*(own.runs if own else ()), *leased.runs)
        if plans and leased.db_error is None:
            log.info("device leases: %d devices claimed and polled by replica %s", leased.claimed, replica)
        summary, error = None, None
        if tickets is not None and runs:
            try:
                summary = await asyncio.to_thread(tickets.process, runs)
            except Exception as exc:  # the runs are stored; the engine catches up on the next cycle
                error = f"{type(exc).__name__}: {exc}"
                log.error("ticketing failed for this cycle: %s", error)
        return CycleOutcome(runs, summary, error)

    def _push_cycle(self, pusher: Any, runs: Sequence[Any]) -> None:
        """Queue what was stored since the last queueing (this cycle's runs, and those of a worker
        stopped or killed before it queued its own) and try to send at once (the backoff decides
        whether to). This computer's asset snapshot goes its own way (agent/run/asset_push.py),
        once per content."""
        from agent.assets.intake import queue_for_push

        for run in runs:
            queue_for_push(pusher.link.paths.root, run, self.ctx.inventory.local.name)
        pusher.queue_stored(self.ctx.store)
        outcome = pusher.send(budget_s=PUSH_AFTER_CYCLE_BUDGET_S)
        self.emit_push_stats(outcome.stats)
        self._send_assets(pusher)

    def _send_assets(self, pusher: Any) -> None:
        from agent.run.asset_push import AssetSpool

        outcome = AssetSpool(pusher.link.paths.root).send(pusher)
        if outcome.sent:
            log.info("push: this computer's asset snapshot delivered")

    def _ask_confirmation(self, tickets: Any) -> None:
        """A down check that failed once is re-checked ``confirm_after_s`` later, not an interval later:
        with open_after 2 and a 300 s interval a dead switch would wait 5-10 minutes for its ticket."""
        after_s = self.ctx.settings.ticketing.confirm_after_s
        pairs = tickets.confirmations()
        if not pairs or not after_s:
            return
        log.info("re-checking in %.0f s to confirm: %s", after_s, ", ".join(f"{f} on {t}" for f, t in pairs))
        self.emit(encode("confirm", tasks=[confirm_task(f, t) for f, t in pairs], after_s=after_s))

    async def _report_tickets(self, tickets: Any) -> None:
        """Tell the supervisor (its /metrics) about open tickets, the outbox and call outcomes."""
        try:
            activity = await asyncio.to_thread(tickets.activity)
        except Exception as exc:  # the metrics wait for the next report; the cycle's work is done
            log.warning("could not read the ticket activity for /metrics: %s: %s", type(exc).__name__, exc)
            return
        self.emit(encode("outbox", **activity))


def confirm_task(family: str, target: str) -> str:
    return f"confirm:{family}:{target}"


def parse_confirm(task: str) -> tuple[str, str]:
    """``confirm:<family>:<target>`` -> (family, target); a target name may itself hold colons."""
    _, family, target = task.split(":", 2)
    return family, target


def _latest_to_json(state: Any) -> dict[str, Any]:
    from agent.wire import result_to_json

    return {"collector": state.collector, "duration_s": state.duration_s, "result": result_to_json(state.result)}


def run_tasks(ctx: Any, tasks: Sequence[str], emit: Emit, version: str = "0+unknown") -> int:
    """Run ``tasks``; SIGTERM cancels them (a cancelled run is not stored: each run is its own transaction)."""

    async def main() -> int:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, task.cancel)
            except (NotImplementedError, RuntimeError):  # Windows: the supervisor kills the process instead
                pass
        worker = Worker(ctx, emit, version)
        try:
            return await worker.execute(tasks)
        finally:
            worker.close()

    try:
        return eventloop.run(main())
    except asyncio.CancelledError:
        log.info("stopped by a signal")
        return 0


def stdout_emitter() -> Emit:
    def emit(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()  # the supervisor updates /metrics as each run arrives

    return emit


def finish(code: int, ctx: Any | None) -> None:
    """Close the store and leave at once: a check thread stuck in a blocking call past its
    timeout would otherwise keep the interpreter waiting for it at exit."""
    try:
        if ctx is not None:
            ctx.close()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def tune_gc() -> None:
    """Fewer, smaller garbage collections in a worker: its start-up objects (modules, settings,
    inventory, SQLAlchemy tables) are frozen out of every later collection, and a collection
    waits for 10,000 new container objects rather than 700. A replica's worker polling 1,000
    switches spent 3.4 of its 16 CPU-seconds in the cycle collector (10 full collections,
    each walking every run kept for the ticket engine) before this. The worker lives one
    cycle, so the memory a later collection frees is bounded by that cycle's garbage. While it
    polls, no collection runs at all (agent/gcpause.py)."""
    import gc

    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(10_000, second, third)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m agent.worker")
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--log-level", default=None)
    parser.add_argument("tasks", nargs="+")
    args = parser.parse_args(argv)

    from agent.cli import version
    from agent.context import AppContext
    from agent.store.integrity import StoreUnusable
    from collectors.registry import load_registry
    from config.loader import ConfigError, load_settings

    ctx = None
    try:
        # Logging first, so that what the loader says (e.g. local settings an enrolled agent
        # ignores, config/central.py) reaches `patrol run`'s log as records.
        setup_worker_logging(args.log_level or "INFO")
        settings = load_settings(args.config)
        setup_worker_logging(args.log_level or settings.log.level)
        ctx = AppContext(settings, args.config, check_store="plan" in args.tasks)
        families = [t.removeprefix("check:") for t in args.tasks if t.startswith("check:")]
        families += [parse_confirm(t)[0] for t in args.tasks if t.startswith("confirm:")]
        if "plan" in args.tasks:
            ctx.inventory  # noqa: B018 - a bad inventory stops `patrol run` at start with exit 2, naming the line
            ctx.store  # noqa: B018 - so does a damaged store (quick_check), before any check writes to it
        elif families:
            # Import only the families this batch runs: most of a worker's start-up is imports.
            ctx.__dict__["registry"] = load_registry(names=families)
        tune_gc()
        EXIT_KEEPER.hold_until_exit()  # finish() ends the process with os._exit
        code = run_tasks(ctx, args.tasks, stdout_emitter(), version())
    except ConfigError as exc:
        print(f"patrol: configuration error\n{exc}", file=sys.stderr)
        code = 2
    except StoreUnusable as exc:
        print(f"patrol: {exc}", file=sys.stderr)
        code = 2
    except Exception as exc:
        log.error("worker failed: %s: %s", type(exc).__name__, exc)
        log.debug("worker failed", exc_info=True)
        code = 1
    finish(code, ctx)


if __name__ == "__main__":
    main()
