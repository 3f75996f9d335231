"""What fair shares and carried poll state cost the replicas' lease queries (issue 18).

On a throw-away PostgreSQL, N switches' lease rows and 3 live replicas:

- ``claim()`` in rounds of ``--batch`` (a worker's free slots) by the 3 replicas in turn until
  every device is claimed: milliseconds per claim, the split between the replicas, and the
  cost of one fair-share count (``share()`` alone, on the same rows; a replica counts at
  most once a second per family, leases.SHARE_TTL_S);
- ``complete()`` of every claim in the same rounds (right after the first sync, so
  the statistics sync() refreshes matter), once without poll state and once with
  the state a real 48-port switch poll saves (one poll of the Catalyst 3560-48 recording
  through the replay responder): milliseconds per complete, bytes of state per device, and
  the size of ``device_leases`` with its indexes afterwards.

    nice -n 10 .venv/bin/python bench/lease_share.py [--devices 10000] [--batch 128] [--no-analyze]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from agent.serve.leases import LEASES, SHARE_TTL_S, CarriedPollState, Leases, device_leases  # noqa: E402
from agent.store import Store  # noqa: E402
from tests.scale.replicas import RECORDING, fresh_database  # noqa: E402
from tests.support import replay_responder  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402


def switch_state(tmp: Path) -> str:
    """The poll state one real switch poll saves (JSON text)."""
    from agent.runner import CheckJob, Runner
    from collectors.base import CollectorIO
    from collectors.snmp.pollstate import POLL_STATE_KEY
    from collectors.switch import SwitchCollector
    from config.checks.switch import SwitchParams
    from config.secrets import resolve_secret
    from inventory.models import NetworkDevice

    proc, port = replay_responder.start([RECORDING], tmp / "responder.log")
    try:
        os.environ["PATROL_BENCH_COMMUNITY"] = RECORDING.stem
        carried = CarriedPollState()
        io = CollectorIO(run=None, state_dir=tmp, resolve_secret=resolve_secret,  # type: ignore[arg-type]
                         extra={POLL_STATE_KEY: carried})
        device = NetworkDevice(name="sw1", address="127.0.0.1", snmp={
            "version": "2c", "community": "env:PATROL_BENCH_COMMUNITY", "port": port, "timeout_s": 2, "retries": 1})
        runner = Runner(io, concurrency=1)
        try:
            asyncio.run(runner.run_job(CheckJob(SwitchCollector(), device, SwitchParams())))
        finally:
            runner.close()
        return carried.take("switch", ["sw1"])["sw1"]
    finally:
        proc.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--no-analyze", action="store_true",
                    help="sync() without its ANALYZE of the new rows (the comparison for that fix)")
    args = ap.parse_args()
    if args.no_analyze:
        import agent.serve.leases as leases_module

        leases_module.ANALYZE_AFTER_ROWS = 10**9
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="patrol-bench-leases-"))
    pg, server_url, folder = start_postgres()
    try:
        state = switch_state(tmp)
        store = Store.open(fresh_database(server_url), "hq", [LEASES])
        names = [f"sw{i:05d}" for i in range(args.devices)]
        now = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)
        clock = lambda: now  # noqa: E731 - reads the variable: the rounds below move it on
        replicas = [Leases(store.engine, "hq", f"r{i}", lease_s=60, clock=clock) for i in range(3)]
        replicas[0].sync("switch", names)
        for r in replicas:
            r.beat()
        print(f"{args.devices} devices, 3 live replicas, claims of up to {args.batch}; "
              f"load average {load_before:.1f} (2 cores)")
        for label, text in (("without poll state", None), ("with a 48-port switch's poll state", state)):
            now += timedelta(seconds=SHARE_TTL_S + 1)  # a new round: the replicas count their shares again
            with store.engine.begin() as conn:  # every device due again, nobody holding it
                conn.execute(device_leases.update().values(due_at=now, owner=None, lease_until=None, last_owner=None))
            claim_ms, share_ms, complete_ms = [], [], []
            held = {r.owner: 0 for r in replicas}
            progress = True
            while progress:
                progress = False
                for r in replicas:
                    t0 = time.perf_counter()
                    r.share("switch")
                    share_ms.append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    claims = r.claim("switch", args.batch)
                    claim_ms.append((time.perf_counter() - t0) * 1000)
                    if not claims:
                        continue
                    progress = True
                    held[r.owner] += len(claims)
                    if text is not None:
                        r.carried = CarriedPollState()
                        for c in claims:
                            r.carried.save("switch", c.target, json.loads(text))
                    t0 = time.perf_counter()
                    # completed into the next interval's grid (due again later), as a worker does
                    r.complete("switch", claims, 300)
                    complete_ms.append((time.perf_counter() - t0) * 1000)
                    r.carried = None
            with store.engine.connect() as conn:
                size = conn.execute(sa.text("SELECT pg_total_relation_size('device_leases')")).scalar()
            print(f"\n{label}:")
            print(f"  devices per replica: {' / '.join(str(n) for n in held.values())}")
            print(f"  claim():    median {statistics.median(claim_ms):.1f} ms, p90 "
                  f"{sorted(claim_ms)[int(len(claim_ms) * 0.9)]:.1f} ms ({len(claim_ms)} calls)")
            print(f"  one share count (a replica makes at most one a second per family; the claims above "
                  f"reused it): median {statistics.median(share_ms):.1f} ms, "
                  f"{statistics.median(share_ms) / statistics.median(claim_ms):.1f}x a claim")
            print(f"  complete(): median {statistics.median(complete_ms):.1f} ms per {args.batch} claims "
                  f"({statistics.median(complete_ms) / args.batch * 1000:.0f} us per device)")
            print(f"  device_leases with indexes: {size / 2**20:.1f} MiB ({size / args.devices:.0f} bytes per device)")
        print(f"\npoll state of one 48-port switch (Catalyst 3560-48 walk): {len(state):,} bytes of JSON")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        store.close()
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
