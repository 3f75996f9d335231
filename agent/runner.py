"""Run collectors concurrently with a per-check timeout; failures become UNKNOWN results.

Coroutine fetches (SNMP) run on the event loop; blocking ones (psutil, commands, HTTP)
run in a bounded thread pool. A global semaphore caps how many checks run at once. One
bad check never stops the others: an exception or a timeout becomes a single UNKNOWN
result with a one-line message, and the traceback goes to the debug log only.

A Python thread cannot be killed: a blocking fetch that outlives its timeout keeps its
worker thread until it returns. Fetchers therefore pass their own timeouts to commands
and sockets (the command runner kills the process group); the runner's timeout is the
backstop that keeps the cycle moving.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from collectors.base import CheckResult, CheckRun, Collector, CollectorIO, FetchError, ParseError, State
from collectors.messages import RUN, Said
from collectors.registry import Registry
from config.checks.base import CheckParams
from inventory.models import Inventory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckJob:
    collector: Collector
    target: Any  # inventory.models.Target
    params: CheckParams

    @property
    def name(self) -> str:
        return f"{self.collector.name}@{self.target.name}"


class PluginSettingsError(ValueError):
    pass


def params_for(collector: Collector, settings: Any) -> CheckParams:
    """The validated settings of ``collector`` (built-in section or ``checks.plugins.<name>``)."""
    raw = settings.checks.for_family(collector.name)
    if isinstance(raw, collector.params_model):
        return raw
    try:
        return collector.params_model.model_validate(raw or {})
    except ValidationError as exc:
        raise PluginSettingsError(f"checks.plugins.{collector.name}: {exc}") from None


def plan(registry: Registry, settings: Any, inventory: Inventory, *, only: Iterable[str] | None = None,
         target: str | None = None, include_disabled: bool = False) -> list[CheckJob]:
    """The jobs of one cycle: every enabled family against each of its targets."""
    wanted = set(only) if only is not None else None
    # An endpoint agent checks only its own computer; devices and other hosts of the
    # inventory belong to the site collector (or a standalone agent).
    local_only = getattr(getattr(settings.agent, "role", None), "value", None) == "endpoint"
    jobs: list[CheckJob] = []
    for name, collector in registry.collectors.items():
        if wanted is not None and name not in wanted:
            continue
        params = params_for(collector, settings)
        if not params.enabled and not include_disabled:
            continue
        for tgt in collector.targets(params, inventory):
            if local_only and not getattr(tgt, "local", False):
                continue
            if target is None or tgt.name == target:
                jobs.append(CheckJob(collector, tgt, params))
    return jobs


def failure_result(job: CheckJob, message: str, io: CollectorIO, said: Said | None = None) -> CheckResult:
    said = said or RUN.say("run.failed", error=message)
    return CheckResult(check=job.collector.name, target=job.target.name, item="", state=State.UNKNOWN,
                       summary=said.text, observed_at=io.clock(), message=said.ref)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, (FetchError, ParseError)):
        text = str(exc)
    elif isinstance(exc, (TimeoutError, asyncio.TimeoutError)) and not str(exc):
        text = "timed out"
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


class Runner:
    """Runs check jobs; owns the thread pool and the concurrency limit."""

    def __init__(self, io: CollectorIO, *, concurrency: int = 8):
        self.io = io
        self.concurrency = concurrency
        # A few spare threads beyond the limit so that one hung fetch cannot starve the pool.
        self._executor = ThreadPoolExecutor(max_workers=concurrency + 4, thread_name_prefix="patrol-check")
        self._semaphore: asyncio.Semaphore | None = None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _limit(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        return self._semaphore

    async def run_job(self, job: CheckJob) -> CheckRun:
        started_at = self.io.clock()
        t0 = time.monotonic()
        async with self._limit():
            try:
                results = await asyncio.wait_for(self._execute(job), timeout=job.params.timeout_s)
                error = None
            except (asyncio.TimeoutError, TimeoutError) as exc:
                said = None
                if isinstance(exc, TimeoutError) and str(exc):
                    error = _one_line(exc)
                else:
                    said = RUN.say("run.timeout", seconds=job.params.timeout_s)
                    error = said.text
                log.warning("%s: %s", job.name, error)
                results = (failure_result(job, error, self.io, said),)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = _one_line(exc)
                log.warning("%s: %s", job.name, error)
                log.debug("%s failed", job.name, exc_info=True)
                results = (failure_result(job, error, self.io),)
        duration = time.monotonic() - t0
        log.debug("%s: %d results in %.3f s", job.name, len(results), duration)
        return CheckRun(job.collector.name, job.target.name, started_at, duration, results, error)

    async def _execute(self, job: CheckJob) -> tuple[CheckResult, ...]:
        collector, loop = job.collector, asyncio.get_running_loop()
        if inspect.iscoroutinefunction(collector.fetch):
            raw = await collector.fetch(job.target, job.params, self.io)
            return self._parse_evaluate(job, raw)
        return await loop.run_in_executor(self._executor, self._blocking, job)

    def _blocking(self, job: CheckJob) -> tuple[CheckResult, ...]:
        raw = job.collector.fetch(job.target, job.params, self.io)
        if inspect.isawaitable(raw):  # a sync def that returned a coroutine
            raise TypeError(f"{job.collector.name}.fetch returned an awaitable; declare it `async def`")
        return self._parse_evaluate(job, raw)

    def _parse_evaluate(self, job: CheckJob, raw: Any) -> tuple[CheckResult, ...]:
        model = job.collector.parse(raw)
        results = tuple(job.collector.evaluate(model, job.params, job.target, self.io.clock()))
        for result in results:
            if not isinstance(result, CheckResult):
                raise TypeError(f"{job.collector.name}.evaluate yielded {type(result).__name__}, not CheckResult")
        return results

    async def run(self, jobs: Sequence[CheckJob],
                  on_done: Callable[[CheckRun], Awaitable[None] | None] | None = None) -> list[CheckRun]:
        """Run ``jobs`` concurrently; ``on_done`` sees each run as it finishes (streaming to the store)."""

        async def one(job: CheckJob) -> CheckRun:
            run = await self.run_job(job)
            if on_done is not None:
                outcome = on_done(run)
                if inspect.isawaitable(outcome):
                    await outcome
            return run

        return list(await asyncio.gather(*(one(job) for job in jobs)))
