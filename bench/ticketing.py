"""Benchmark of the ticket engine: 10,000 targets x 20 checks per cycle, builtin backend.

Prints, per cycle, results/s through ``TicketingService.process`` (findings + engine +
store + outbox drain), the state changes and the backend calls they caused, and the
process's memory. The target is at least 20,000 results/s on one core, with backend calls
proportional to state changes, not to results.

    .venv/bin/python bench/ticketing.py [--targets 10000] [--checks 20] [--fail-ratio 0.01]
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil

from agent.context import store_components
from agent.store import Store
from agent.ticketing.backends.builtin import BuiltinBackend
from agent.ticketing.service import TicketingService
from collectors.base import CheckResult, CheckRun, State
from config.schema import Settings
from inventory.models import Host, Inventory

TARGET_RATE = 20_000


class CountingBackend(BuiltinBackend):
    calls = 0

    def __getattribute__(self, name: str):
        attr = super().__getattribute__(name)
        if name in ("find", "open", "comment", "set_priority", "resolve", "reopen", "acknowledge"):
            type(self).calls += 1
        return attr


def build_runs(targets: int, checks: int, failing: set[int], at: datetime) -> list[CheckRun]:
    runs = []
    for t in range(targets):
        name = f"host-{t:05d}"
        results = []
        for c in range(checks):
            bad = (t * checks + c) in failing
            results.append(CheckResult(f"system.check{c:02d}", name, "", State.CRIT if bad else State.OK,
                                       "value over threshold" if bad else "ok", observed_at=at))
        runs.append(CheckRun("system", name, at, 0.01, tuple(results)))
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=20)
    parser.add_argument("--fail-ratio", type=float, default=0.01)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    total = args.targets * args.checks
    step = max(int(1 / args.fail_ratio), 1)
    failing = set(range(0, total, step))
    half = set(sorted(failing)[: len(failing) // 2])

    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    settings = Settings.model_validate({"agent": {"site": "bench", "name": "bench"},
                                        "ticketing": {"storm_limit": 1_000_000}})
    inventory = Inventory(hosts=tuple(Host(name=f"host-{t:05d}", address="10.0.0.1") for t in range(args.targets)))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'bench.sqlite'}", "bench", store_components())
        now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
        backend = CountingBackend(store.engine, lambda: now[0])
        service = TicketingService(settings, store, inventory, lambda: now[0], backend=backend)
        plan = [("all OK", set()), ("1% fail (pending)", failing), ("1% fail -> open", failing),
                ("steady failing", failing), ("steady failing", failing), ("half recover (1 OK)", failing - half),
                ("half recover -> resolve", failing - half), ("steady", failing - half)]
        print(f"{args.targets} targets x {args.checks} checks = {total} results per cycle; "
              f"{len(failing)} failing results; builtin backend; one core")
        print(f"{'cycle':<26}{'decisions/s':>11}{'seconds':>9}{'changes':>9}{'backend calls':>15}{'RSS MiB':>9}")
        rates = []
        for label, bad in plan:
            now[0] += timedelta(minutes=5)
            runs = build_runs(args.targets, args.checks, bad, now[0])
            gc.collect()
            calls_before = CountingBackend.calls
            t0 = time.perf_counter()
            summary = service.process(runs)
            elapsed = time.perf_counter() - t0
            changes = sum(len(x) for x in (summary.opened, summary.updated, summary.resolved, summary.reopened,
                                           summary.escalated))
            rate = total / elapsed
            rates.append(rate)
            rss = proc.memory_info().rss / 2**20
            print(f"{label:<26}{rate:>11,.0f}{elapsed:>9.2f}{changes:>9}{CountingBackend.calls - calls_before:>15}"
                  f"{rss:>9.0f}")
            del runs
        store.close()
    worst = min(rates)
    steady = [r for (label, _), r in zip(plan, rates) if label.startswith("steady") or label == "all OK"]
    print(f"steady-state cycles: {min(steady):,.0f} results/s at worst; all cycles: {worst:,.0f} results/s at worst")
    print(f"target {TARGET_RATE:,} results/s: {'met' if worst >= TARGET_RATE else 'NOT met'} "
          f"(worst cycle {worst / TARGET_RATE:.1f}x the target); memory grew {(proc.memory_info().rss - rss0) / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
