"""What retention costs PostgreSQL against what storing the same results cost (issue 18 point 2).

Stores N switch polls (64 results each, as a 48-port switch's poll: Store.write_runs, the
COPY path, 100 runs per transaction) with times past retention, then ``Store.prune`` deletes
them in bounded transactions (PRUNE_BATCH rows each). Printed: rows, wall seconds, and the
CPU of the PostgreSQL backend that did the work and of this process, per 1,000 rows, for
the writes and for the deletes, on one throw-away PostgreSQL 15.

    nice -n 10 .venv/bin/python bench/retention.py [--switches 2000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from agent.store import RunWrite, Store  # noqa: E402
from agent.store.store import PRUNE_BATCH  # noqa: E402
from collectors.base import CheckResult, CheckRun, MessageRef, Metric, State  # noqa: E402
from tests.scale.replicas import fresh_database  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402

PORTS = 64
UP = MessageRef("switch.port", (("parts", (MessageRef("switch.port.up"),)),))


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def poll(device: int, at: datetime) -> CheckRun:
    name = f"sw{device:05d}"
    return CheckRun("switch", name, at, 1.0, tuple(
        CheckResult("switch.port", name, f"Gi0/{p}", State.OK, "up; 100 Mbit/s",
                    f"ifIndex {p}; ifDescr FastEthernet0/{p}; admin up; oper up",
                    metrics=(Metric("port_errors_total", 0.0, "total"), Metric("port_discards_total", 3.0, "total")),
                    observed_at=at, message=UP) for p in range(PORTS)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--switches", type=int, default=2000)
    args = ap.parse_args()
    pg_proc, pg_url, pg_folder = start_postgres()
    try:
        url = fresh_database(pg_url)
        store = Store.open(url, "hq")
        store.engine.dispose()  # one pooled connection: every statement on one backend, its CPU read from /proc
        store.engine = sa.create_engine(url, pool_size=1, max_overflow=0)
        with store.engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        at = datetime.now(timezone.utc) - timedelta(days=30)
        figures = {}
        polls = [RunWrite(poll(d, at), forget_unreported=True) for d in range(args.switches)]
        cpu0, own0, wall0 = backend_cpu(pid), time.process_time(), time.monotonic()
        for first in range(0, args.switches, 100):
            with store.engine.begin() as conn:
                store.write_runs(conn, polls[first:first + 100])
        figures["store"] = (backend_cpu(pid) - cpu0, time.process_time() - own0, time.monotonic() - wall0)
        rows = store.count_results()
        cpu0, own0, wall0 = backend_cpu(pid), time.process_time(), time.monotonic()
        removed = store.prune(datetime.now(timezone.utc), retention_days=7, audit_retention_days=365)
        figures["prune"] = (backend_cpu(pid) - cpu0, time.process_time() - own0, time.monotonic() - wall0)
        store.close()
    finally:
        pg_proc.stop()
        shutil.rmtree(pg_folder, ignore_errors=True)
    print(f"{args.switches} switch polls = {rows} results; retention deleted {removed['results']} results and "
          f"{removed['runs']} runs in transactions of {PRUNE_BATCH}; load average {os.getloadavg()[0]:.1f}")
    for name, (server, client, wall) in figures.items():
        print(f"  {name:5}: {wall:6.1f} s wall, {rows / wall:8.0f} results/s; CPU per 1,000 results: "
              f"PostgreSQL {1e6 * server / rows:6.1f} ms, this process {1e6 * client / rows:6.1f} ms")


if __name__ == "__main__":
    main()
