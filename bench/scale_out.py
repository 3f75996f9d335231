"""One full site poll of N simulated 48-port switches by 1, 2 and 3 `patrol serve` replicas
on one PostgreSQL (issue 18: 10,000 switches in under 60 s on 2 cores).

Each round starts a fresh database, the replicas (real processes, tests/scale/replicas.py)
with ``serve.replicas`` on, and polls every switch once: each is a real Catalyst 3560-48
walk (tests/snmp/data/cisco-c3560.snmprec, from snmpsim-data) answered by the replay
responder (tests/support/replay_responder.py), so the figures are Patrol's and PostgreSQL's,
not a simulator's. Printed per round:

- wall time of the full site poll: first run started -> last run stored (from the runs table);
- devices per second, and per replica (who completed each lease: device_leases.last_owner);
- CPU seconds in that window of the replicas (serve processes and their workers), of
  PostgreSQL (the postmaster and its backends) and of the responder, and each one's share of
  the machine (CPU seconds / (wall x cores));
- the load average, since the machine is shared.

By default the round measures the first poll of a new database (every latest row
inserted, no previous counters); ``--second-poll-after S`` measures the poll an interval
later instead (latest rows updated, port rates computed, the worker started anew), which
is what every later interval costs. The CPU window then also holds the replicas' idle
seconds between the two polls.

    nice -n 10 .venv/bin/python bench/scale_out.py [--switches 10000] [--replicas 1,2,3] [--second-poll-after 120]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from tests.scale.replicas import RECORDING, fresh_database, start_replicas, write_inventory  # noqa: E402
from tests.support import replay_responder  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402

TARGET_S = 60.0


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def own_cpu(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def cumulative_cpu(pid: int) -> float:
    """Own CPU plus that of the children it has reaped (the workers and backends that exited)."""
    fields = _stat(pid)
    if not fields:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            parent[int(entry.name)] = int(fields[1])
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out.extend(kids)
        todo.extend(kids)
    return out


class CpuMeter:
    """CPU seconds a process tree used between start() and stop(): the root's own and reaped
    children's growth, plus the growth of descendants still alive at the end, minus what
    descendants alive at the start and reaped meanwhile had used before it."""

    def __init__(self, root: int):
        self.root = root

    def start(self) -> None:
        self.root_start = cumulative_cpu(self.root)
        self.kids_start = {p: own_cpu(p) for p in descendants(self.root)}

    def stop(self) -> float:
        kids_end = {p: own_cpu(p) for p in descendants(self.root)}
        used = cumulative_cpu(self.root) - self.root_start
        used += sum(cpu - self.kids_start.get(p, 0.0) for p, cpu in kids_end.items())
        used -= sum(cpu for p, cpu in self.kids_start.items() if p not in kids_end)
        return used


def _polled_since(db: sa.Engine, since: object) -> int:
    with db.connect() as conn:
        return conn.execute(sa.text(
            "SELECT count(*) FROM device_leases WHERE family = 'switch' AND last_polled_at IS NOT NULL "
            "AND last_polled_at >= :since"), {"since": since}).scalar_one()


def _wait_polled(db: sa.Engine, since: object, switches: int, deadline: float) -> int:
    done = 0
    while time.monotonic() < deadline:
        done = _polled_since(db, since)
        if done >= switches:
            break
        time.sleep(0.5)
    return done


def one_round(root: Path, pg_url: str, pg_pid: int, resp_pid: int, inventory: Path, switches: int,
              replicas: int, concurrency: int, interval_s: float | None) -> dict[str, float | dict[str, int]]:
    """One full site poll measured. ``interval_s`` None: the first poll of a new database;
    else the second poll, an interval after the first (the steady state: rates computed,
    the latest rows updated rather than inserted, the worker started anew)."""
    url = fresh_database(pg_url)
    db = sa.create_engine(url)
    names = [f"r{i + 1}" for i in range(replicas)]
    interval = interval_s or 86400  # one poll: an interval far longer than the round
    started = start_replicas(root / f"round{replicas}", names, [url] * replicas, inventory, interval_s=interval,
                             lease_s=120, concurrency=concurrency,
                             extra={"checks": {"switch": {"schedule": {"interval_s": interval, "jitter_s": 0},
                                                          "site_concurrency": concurrency,
                                                          "response_time_s": {"warn": None, "crit": None}},
                                               # the daily asset capture of every device is not what is measured
                                               "assets": {"enabled": False}}})
    try:
        epoch = datetime(1970, 1, 1)
        since = epoch
        if interval_s:
            if _wait_polled(db, epoch, switches, time.monotonic() + 900) < switches:
                raise SystemExit(f"the first poll did not end within 900 s ({replicas} replicas)")
            with db.connect() as conn:  # the database's clock, as the lease rows' times (UTC, naive)
                since = conn.execute(sa.text("SELECT (now() AT TIME ZONE 'UTC')::timestamp")).scalar_one()
            print(f"   first poll done; the second starts {interval_s:.0f} s after the first", flush=True)
        meters = {"replicas": [CpuMeter(r.pid) for r in started], "postgres": [CpuMeter(pg_pid)],
                  "responder": [CpuMeter(resp_pid)]}
        for group in meters.values():
            for meter in group:
                meter.start()
        done = _wait_polled(db, since, switches, time.monotonic() + 900 + (interval_s or 0))
        cpu = {name: sum(m.stop() for m in group) for name, group in meters.items()}
        with db.connect() as conn:
            first, last = conn.execute(sa.text(
                "SELECT min(started_at), max(started_at + make_interval(secs => duration_s)) FROM runs "
                "WHERE collector = 'switch' AND started_at >= :since"), {"since": since}).one()
            per_owner = dict(conn.execute(sa.text(
                "SELECT last_owner, count(*) FROM device_leases WHERE family = 'switch' AND last_polled_at >= :since "
                "GROUP BY last_owner"), {"since": since}).all())
            results = conn.execute(sa.text("SELECT count(*) FROM results")).scalar_one()
            table_bytes = conn.execute(sa.text("SELECT pg_total_relation_size('results')")).scalar_one()
            errors = conn.execute(sa.text(
                "SELECT count(*) FROM runs WHERE collector = 'switch' AND error IS NOT NULL")).scalar_one()
        wall = (last - first).total_seconds() if first and last else float("nan")
        return {"wall": wall, "done": done, "per_owner": per_owner, "results": results, "errors": errors,
                "bytes_per_result": table_bytes / max(results, 1),
                "cpu_replicas": cpu["replicas"], "cpu_postgres": cpu["postgres"], "cpu_responder": cpu["responder"]}
    finally:
        for replica in started:
            replica.stop()
        db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--switches", type=int, default=10_000)
    ap.add_argument("--replicas", default="1,2,3", help="comma-separated replica counts, one round each")
    ap.add_argument("--concurrency", type=int, default=256, help="polls in flight per replica")
    ap.add_argument("--responder-processes", type=int, default=1)
    ap.add_argument("--second-poll-after", type=float, default=None, metavar="S",
                    help="measure the second poll, S seconds after the first (the steady state; S longer than "
                         "one poll), instead of the first poll of a new database")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop the servers we started
    root = Path(tempfile.mkdtemp(prefix="patrol-scale-bench-"))
    pg_proc, pg_url, pg_folder = start_postgres()
    responder = None
    rows = []
    try:
        responder, port = replay_responder.start([RECORDING], root / "responder.log",
                                                 processes=args.responder_processes)
        inventory = root / "inventory.yaml"
        write_inventory(inventory, port, args.switches, timeout_s=20)
        for count in (int(c) for c in args.replicas.split(",")):
            load_before = os.getloadavg()
            row = one_round(root, pg_url, pg_proc.pid, responder.pid, inventory, args.switches, count,
                            args.concurrency, args.second_poll_after)
            row["load"] = (load_before, os.getloadavg())
            rows.append((count, row))
            print_row(count, row, args.switches)
    finally:
        if responder is not None:
            responder.stop()
        pg_proc.stop()
        shutil.rmtree(pg_folder, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
    cores = os.cpu_count() or 1
    print(f"\n{args.switches} switches ({RECORDING.stem}, real recording), {cores} cores; target: "
          f"{args.switches} in under {TARGET_S:.0f} s")
    for count, row in rows:
        verdict = "met" if row["wall"] < TARGET_S and row["done"] >= args.switches else "NOT met"
        print(f"  {count} replica(s): {row['wall']:.1f} s for one full site poll -> target {verdict}")


def print_row(count: int, row: dict, switches: int) -> None:
    cores = os.cpu_count() or 1
    wall = row["wall"]
    share = lambda cpu: cpu / (wall * cores) if wall else float("nan")  # noqa: E731
    per = ", ".join(f"{owner} {n / wall:.0f}/s ({n})" for owner, n in sorted(row["per_owner"].items()))
    (l1, _, _), (l1_after, _, _) = row["load"]
    print(f"{count} replica(s): {row['done']}/{switches} switches polled in {wall:.1f} s = {row['done'] / wall:.0f} "
          f"devices/s; per replica: {per}; {row['results']} results stored "
          f"({row['bytes_per_result']:.0f} bytes each in PostgreSQL with indexes), {row['errors']} failed polls")
    print(f"   CPU s in the poll: replicas {row['cpu_replicas']:.1f} ({share(row['cpu_replicas']):.0%} of {cores} cores), "
          f"PostgreSQL {row['cpu_postgres']:.1f} ({share(row['cpu_postgres']):.0%}), responder "
          f"{row['cpu_responder']:.1f} ({share(row['cpu_responder']):.0%}); load average {l1:.1f} before, "
          f"{l1_after:.1f} after", flush=True)
    n = max(row["done"], 1)
    print(f"   CPU per switch poll: replicas {row['cpu_replicas'] / n * 1e3:.1f} ms, PostgreSQL "
          f"{row['cpu_postgres'] / n * 1e3:.1f} ms, responder {row['cpu_responder'] / n * 1e3:.2f} ms; on {cores} idle "
          f"cores one full poll would take at least "
          f"{(row['cpu_replicas'] + row['cpu_postgres'] + row['cpu_responder']) / cores:.0f} s", flush=True)


if __name__ == "__main__":
    main()
