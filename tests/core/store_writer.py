"""Writes runs into a store as fast as it can until killed (for the crash test)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from agent.store import Store
from collectors.base import CheckResult, CheckRun, State

RESULTS_PER_RUN = 25


def main(url: str) -> None:
    store = Store.open(url, "hq")
    t0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
    n = 0
    print("ready", flush=True)
    while True:
        at = t0 + timedelta(seconds=n)
        results = tuple(CheckResult("system.disk", "pc-1", f"/d{i}", State.OK if n % 2 else State.WARN, f"run {n}",
                                    observed_at=at) for i in range(RESULTS_PER_RUN))
        store.record_run(CheckRun("system", "pc-1", at, 0.01, results))
        n += 1


if __name__ == "__main__":
    main(sys.argv[1])
