"""A replica's device polls: claim due devices, poll them, store the runs, free the claims.

Used by a `patrol serve` worker when the collector runs as one of several replicas
(agent/serve/leases.py says how the lease rows work). The loop keeps up to ``capacity``
polls in flight, claims more as they finish, heartbeats what it holds, and ends when
nothing is in flight and no free device falls due within half its interval.

A database that cannot be reached stops the claiming (not the process): the polls in
flight finish, their runs wait in the recorder, and the claims nobody completes expire,
so another replica (or this one's next worker) polls those devices again.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from agent.runner import CheckJob
from agent.serve.leases import Claim, Leases, LeaseSchedule
from collectors.base import CheckRun

log = logging.getLogger(__name__)
WAKE_S = 1.0  # claim again, heartbeat and flush at least this often


class JobRunner(Protocol):
    def run_job(self, job: CheckJob) -> Awaitable[CheckRun]: ...


class Recorder(Protocol):
    """agent/cycle.py RunRecorder: takes each run; stores what waits on demand."""

    def __call__(self, run: CheckRun) -> None: ...

    def store_pending(self) -> bool: ...


@dataclass(frozen=True)
class FamilyPlan:
    """One check family's device jobs, by target name, and its schedule (interval or cron)."""

    family: str
    jobs: Mapping[str, CheckJob]
    interval_s: float
    cron: str | None = None

    @property
    def schedule(self) -> LeaseSchedule:
        return LeaseSchedule(self.interval_s, self.cron)


@dataclass
class LeasedOutcome:
    runs: list[CheckRun] = field(default_factory=list)
    claimed: int = 0
    lost: int = 0  # claims that expired under us (their runs are stored all the same)
    db_error: str | None = None


def parent_alive(ppid: int | None = None) -> Callable[[], bool]:
    """False once the process that started us (the replica) is gone: claim nothing more."""
    start = os.getppid() if ppid is None else ppid
    return lambda: os.getppid() == start


async def poll_leased(plans: Sequence[FamilyPlan], leases: Leases, runner: JobRunner, record: Recorder, *,
                      capacity: int, wait_fraction: float = 0.5,
                      alive: Callable[[], bool] = lambda: True) -> LeasedOutcome:
    """Poll the devices of ``plans`` this replica can claim. A device is claimed once due, never
    before (so two polls of one device are an interval apart, less only the lateness of the
    first); the loop stays while a free device falls due within ``wait_fraction`` of its
    interval, so the next worker, an interval later, is never the only chance of a device
    that was due just after this one looked."""
    out = LeasedOutcome()
    by_family = {p.family: p for p in plans}
    in_flight: dict[asyncio.Task[CheckRun], tuple[str, Claim]] = {}
    done: dict[str, list[Claim]] = {}
    claiming = db_ok = True  # claiming stops when the replica is gone; db_ok when the database is
    loop = asyncio.get_running_loop()
    next_beat = loop.time() + leases.lease_s / 3

    async def wait_for_due() -> bool:
        """Nothing due and nothing in flight: wait for a device due within the window, or end."""
        soonest = None
        try:
            for plan in plans:
                due_s = await asyncio.to_thread(leases.next_free_due_s, plan.family)
                if due_s is not None and due_s <= plan.schedule.window_s(leases.clock()) * wait_fraction:
                    soonest = due_s if soonest is None else min(soonest, due_s)
        except Exception as exc:  # noqa: BLE001
            stop_claiming(exc)
            return False
        if soonest is None:
            return False
        await asyncio.sleep(min(max(soonest, 0.05), WAKE_S))
        return True

    def stop_claiming(exc: Exception) -> None:
        nonlocal claiming, db_ok
        claiming = db_ok = False
        out.db_error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        log.error("device leases: the database cannot be reached (%s); no more devices claimed by this worker, "
                  "the claims held expire after %.0f s", out.db_error, leases.lease_s)

    try:
        for plan in plans:
            await asyncio.to_thread(leases.sync, plan.family, list(plan.jobs))
    except Exception as exc:  # noqa: BLE001 - any database failure: nothing claimed, nothing lost
        stop_claiming(exc)
        return out

    while True:
        if claiming and not alive():
            claiming = False
            log.warning("device leases: the replica that started this worker is gone; no more devices claimed")
        if claiming:
            for plan in plans:
                free = capacity - len(in_flight)
                if free <= 0:
                    break
                try:
                    claims = await asyncio.to_thread(leases.claim, plan.family, free)
                except Exception as exc:  # noqa: BLE001
                    stop_claiming(exc)
                    break
                for claim in claims:
                    job = plan.jobs.get(claim.target)
                    if job is None:  # left the inventory since sync; its row goes at the next sync
                        continue
                    out.claimed += 1
                    in_flight[asyncio.ensure_future(runner.run_job(job))] = (plan.family, claim)
        if not in_flight:
            if claiming and await wait_for_due():
                continue
            break
        finished, _ = await asyncio.wait(list(in_flight), timeout=WAKE_S, return_when=asyncio.FIRST_COMPLETED)
        for task in finished:
            family, claim = in_flight.pop(task)
            run = task.result()  # run_job turns every failure into a run with an UNKNOWN result
            out.runs.append(run)
            record(run)
            done.setdefault(family, []).append(claim)
        # A claim is completed only once its run is stored: a replica killed in between
        # leaves the claim to expire and the device to be polled again, never a lost result.
        if done and db_ok and not await asyncio.to_thread(record.store_pending):
            done = {}  # the store is failing: these claims expire, their runs wait in the recorder
        if done and db_ok:
            for family, claims in done.items():
                try:
                    held = await asyncio.to_thread(leases.complete, family, claims, by_family[family].schedule)
                    out.lost += len(claims) - held
                except Exception as exc:  # noqa: BLE001 - the claims expire; the runs are stored anyway
                    stop_claiming(exc)
                    break
            done = {}
        if db_ok and loop.time() >= next_beat and in_flight:
            next_beat = loop.time() + leases.lease_s / 3
            held_by: dict[str, list[str]] = {}
            for family, claim in in_flight.values():
                held_by.setdefault(family, []).append(claim.target)
            try:
                for family, targets in held_by.items():
                    await asyncio.to_thread(leases.heartbeat, family, targets)
            except Exception as exc:  # noqa: BLE001
                stop_claiming(exc)
    if out.lost:
        log.warning("device leases: %d claims expired before their polls ended (another replica polls them "
                    "next); raise serve.replicas.lease_s above the longest poll", out.lost)
    return out
