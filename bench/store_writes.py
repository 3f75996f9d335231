"""PostgreSQL's CPU to store switch polls the way a replica does (issue 18): N simulated
48-port switch polls of 64 results, in batches of 100 runs per transaction through
``Store.write_runs`` (COPY into the stage table, then results and latest), three times
over: the first pass inserts every latest row, the later ones update them (the steady
state). The figure is the CPU of the PostgreSQL backend that did the writes (from /proc),
per switch poll, beside the client's CPU (the machine's load does not enter it much), and
the room ``latest`` takes per item with its index.

Compared in the same run, on fresh databases of one throw-away server:
- ``now``: what the store does (``latest`` with half-full pages, the batch's last row per
  item marked while copying);
- ``fillfactor 100``: ``latest`` at PostgreSQL's default fill factor;
- ``DISTINCT ON``: the last row per item picked by sorting the stage table, as before.

    nice -n 10 .venv/bin/python bench/store_writes.py [--switches 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from agent.context import store_components  # noqa: E402
from agent.store import RunWrite, Store, bulk  # noqa: E402
from collectors.base import CheckResult, CheckRun, Metric, State  # noqa: E402
from tests.scale.replicas import fresh_database  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402

BATCH = 100
PASSES = 3
DISTINCT_ON = f"""
INSERT INTO latest ({bulk._LATEST_QUOTED})
SELECT DISTINCT ON ({bulk._KEY}) {bulk._LATEST_QUOTED} FROM {bulk.STAGE} ORDER BY {bulk._KEY}, seq DESC
ON CONFLICT ({bulk._KEY}) DO UPDATE SET
""" + ", ".join(f'"{c}" = excluded."{c}"' for c in bulk._LATEST_COLUMNS if c not in ("site", "target", "check", "item"))


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def switch_runs(switches: int, at: datetime) -> list[CheckRun]:
    """64 results per switch as the switch check makes them: 60 ports with three metrics, 4 others."""
    runs = []
    for i in range(switches):
        target = f"sw{i:05d}"
        results = [CheckResult("switch.port", target, f"Gi0/{p}", State.OK, "up; 1 Gbit/s",
                               f"ifIndex {p}; ifDescr GigabitEthernet0/{p}; admin up; oper up",
                               (Metric("port_in_bits_per_second", 1234.5 * p, "bits_per_second"),
                                Metric("port_out_bits_per_second", 99.0, "bits_per_second"),
                                Metric("port_errors_total", 0.0, "total")), at) for p in range(60)]
        results += [CheckResult(f"switch.other{k}", target, "", State.OK, "fine", "", (), at) for k in range(4)]
        runs.append(CheckRun("switch", target, at, 0.1, tuple(results)))
    return runs


def measure(server_url: str, switches: int, *, fillfactor: int | None,
            to_latest: str) -> tuple[list[tuple[float, float]], int]:
    store = Store.open(fresh_database(server_url), "hq", store_components())
    saved = bulk._TO_LATEST
    bulk._TO_LATEST = to_latest
    try:
        if fillfactor is not None:
            with store.engine.begin() as conn:
                conn.execute(sa.text(f"ALTER TABLE latest SET (fillfactor = {fillfactor})"))
        t0 = datetime(2026, 12, 7, tzinfo=timezone.utc)
        out = []
        for n in range(PASSES):
            runs = switch_runs(switches, t0 + timedelta(minutes=5 * n))
            with store.engine.connect() as conn:
                pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
                conn.commit()
                pg0, py0 = backend_cpu(pid), time.process_time()
                for i in range(0, switches, BATCH):
                    with conn.begin():
                        store.write_runs(conn, [RunWrite(r, forget_unreported=True) for r in runs[i:i + BATCH]])
                out.append((1000 * (backend_cpu(pid) - pg0) / switches, 1000 * (time.process_time() - py0) / switches))
        with store.engine.connect() as conn:
            size = conn.execute(sa.text("SELECT pg_total_relation_size('latest') / count(*) FROM latest")).scalar_one()
        return out, int(size)
    finally:
        bulk._TO_LATEST = saved
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--switches", type=int, default=2000)
    args = ap.parse_args()
    proc, url, folder = start_postgres()
    try:
        print(f"{args.switches} switch polls of 64 results, batches of {BATCH}; load average {os.getloadavg()[0]:.1f}")
        print("CPU per switch poll: PostgreSQL backend / client, pass 1 (inserts), passes 2-3 (updates)")
        for label, fillfactor, to_latest in (("now", None, bulk._TO_LATEST),
                                             ("fillfactor 100", 100, bulk._TO_LATEST),
                                             ("DISTINCT ON", None, DISTINCT_ON)):
            passes, latest_bytes = measure(url, args.switches, fillfactor=fillfactor, to_latest=to_latest)
            steady = [p for p, _ in passes[1:]]
            print(f"  {label:15s} " + "  ".join(f"{pg:.2f} / {py:.2f} ms" for pg, py in passes)
                  + f"   steady state PostgreSQL {sum(steady) / len(steady):.2f} ms; latest {latest_bytes} bytes per item",
                  flush=True)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        proc.stop()


if __name__ == "__main__":
    main()
