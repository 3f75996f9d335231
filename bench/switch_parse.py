"""CPU of the switch check after its SNMP walks, per poll of a real 57-port switch, against an
older revision measured in the same run.

What is measured is everything a collector replica does between the end of the walks and the
finished CheckRun: fetch's bookkeeping (port samples, poll state, uplink neighbours; the state
carried as JSON as in a replica's lease row), parse, evaluate and the runner's wrapping
(Runner.run_job). The SNMP client is replaced by one answering from the Cisco c3560 recording
(tests/snmp/data) with no I/O, so the figure is the check alone. Three polls per device: the
first (no previous state) and one 300 s later with counters moved on (tests/snmp/synth.py
later(): rates, wraps, ports flipping, three ports in four past an error threshold), and a
quiet one 300 s after that with the same counters (rates of zero: the common steady state).

``--against REV`` extracts REV (git archive) to a temporary folder and runs this same script
there in a child process, alternating with the current tree, ``--rounds`` times each; the
figures are the best round of each (on a shared machine other work only adds CPU time to a
round: the cache misses and frequency it causes), medians beside them. Garbage collection is as in a replica's worker of that revision
(agent/worker.py tune_gc, and paused during the polls by agent/gcpause.py where it exists).

    nice -n 10 .venv/bin/python bench/switch_parse.py [--devices 300] [--rounds 5] [--against main]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]


def measure(root: Path, devices: int, later: Path) -> dict[str, float]:
    """CPU ms per poll of the code under ``root`` (imported from there); ``later``: the recording 300 s on."""
    sys.path.insert(0, str(root))
    import collectors.switch as switch
    from agent.runner import CheckJob, Runner
    from agent.serve.leases import CarriedPollState
    from collectors.base import CollectorIO
    from collectors.snmp import neighbors as N
    from collectors.snmp import ports as P
    from collectors.snmp.profiles import load_profiles, select
    from config.checks.switch import SwitchParams
    from inventory.models import NetworkDevice
    from tests.snmp.recording import DATA, read_tables

    assert Path(switch.__file__).resolve().is_relative_to(root.resolve()), switch.__file__
    try:  # garbage collection tuned as in a replica's worker, where there is the tuning
        from agent.worker import tune_gc
    except ImportError:
        pass
    else:
        tune_gc()
    text = (DATA / "cisco-c3560.snmprec").read_text(encoding="latin-1")
    system = {}
    for line in text.splitlines():
        oid, tag, value = line.split("|", 2)
        if oid in switch.SYSTEM_OIDS:
            system[oid] = int(value) if tag in ("2", "67") else value if tag == "6" else value.encode("latin-1")
    profiles = load_profiles()
    profile = select(system[switch.SYS_OBJECT_ID], profiles)
    columns = (*P.PORT_COLUMNS, *profile.columns(), *N.COLUMNS, *profiles["generic"].columns())
    later_tables = _read(later, columns, read_tables)
    moments = {"first": (system, read_tables("cisco-c3560", columns)),
               "second": ({**system, switch.SYS_UPTIME: system[switch.SYS_UPTIME] + 30_000}, later_tables),
               "quiet": ({**system, switch.SYS_UPTIME: system[switch.SYS_UPTIME] + 60_000}, later_tables)}

    class Recorded:  # the SNMP client, answering from the recording without any I/O
        def __init__(self, moment: str) -> None:
            self.system, self.tables = moments[moment]

        async def connect(self) -> None:
            pass

        async def get(self, oids: Any) -> dict[str, Any]:
            return {o: self.system[o] for o in oids if o in self.system}

        async def walk(self, cols: Any, **_: Any) -> dict[str, dict[str, Any]]:
            return {c: self.tables.get(c, {}) for c in cols}  # not copied: the check only reads them

    moment = ["first"]

    @asynccontextmanager
    async def fake_open_client(*_: Any, **__: Any) -> Any:
        yield Recorded(moment[0])

    switch.open_client = fake_open_client
    carried = CarriedPollState()
    t0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    now = [t0]
    io = CollectorIO(run=None, clock=lambda: now[0], extra={"poll_state": carried})  # type: ignore[arg-type]
    runner = Runner(io, concurrency=64)
    params = SwitchParams()
    targets = [NetworkDevice(name=f"sw{i:04d}", address="127.0.0.1", uplinks=("Gi0/49",),
                             snmp={"community": "env:PATH"}) for i in range(devices)]
    collector = switch.SwitchCollector()

    async def poll_all() -> int:
        runs = await runner.run([CheckJob(collector, t, params) for t in targets])
        assert all(r.error is None for r in runs), runs[0].error
        return sum(len(r.results) for r in runs)

    async def both() -> dict[str, float]:
        out: dict[str, float] = {}
        for name, at in (("first", t0), ("second", t0 + timedelta(seconds=300)),
                         ("quiet", t0 + timedelta(seconds=600))):
            moment[0], now[0] = name, at
            c0 = time.process_time()
            results = await poll_all()
            out[name] = (time.process_time() - c0) / devices * 1e3
            out[f"{name}_results"] = results / devices
        return out

    try:
        try:  # and paused while the polls run, as a replica's worker does, where it does
            from agent.gcpause import collector_paused
        except ImportError:
            return asyncio.run(both())
        with collector_paused():
            return asyncio.run(both())
    finally:
        runner.close()


def _read(path: Path, columns: Any, read_tables: Any) -> dict[str, dict[str, Any]]:
    import tests.snmp.recording as recording

    saved = recording.DATA
    recording.DATA = path.parent
    try:
        return read_tables(path.stem, columns)
    finally:
        recording.DATA = saved


def child(root: Path, devices: int, later: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", str(root), "--devices", str(devices),
                          "--later", str(later)],
                         capture_output=True, text=True, cwd=root)
    if out.returncode:
        raise SystemExit(f"the measurement of {root} failed:\n{out.stderr}")
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=300, help="devices per round (each polled three times)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--against", default="main", help="git revision to compare with ('' for none)")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--later", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.devices, args.later)))
        return
    sys.path.insert(0, str(HERE))
    from tests.snmp import synth
    from tests.snmp.recording import DATA

    with tempfile.TemporaryDirectory() as tmp:
        later = Path(tmp) / "c3560-later.snmprec"
        later.write_text(synth.later((DATA / "cisco-c3560.snmprec").read_text(encoding="latin-1"), 300),
                         encoding="latin-1")
        trees = {"this tree": HERE}
        if args.against:
            rev = subprocess.run(["git", "rev-parse", "--short", args.against], cwd=HERE, check=True,
                                 capture_output=True, text=True).stdout.strip()
            old = Path(tmp) / "old"
            old.mkdir()
            archive = subprocess.run(["git", "archive", rev], cwd=HERE, check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            trees = {f"{args.against} ({rev})": old, **trees}
        load = os.getloadavg()[0]
        got: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.rounds):  # alternating, so both see the same machine load
            for name, root in trees.items():
                got[name].append(child(root, args.devices, later))
        load_after = os.getloadavg()[0]
    print(f"switch check after the SNMP walks (fetch bookkeeping + poll state + parse + evaluate + runner, "
          f"GC as in a replica's worker), "
          f"Cisco c3560 recording (57 ports), {args.devices} devices x {args.rounds} rounds, CPU ms per poll "
          f"(best of the rounds, and median); load average {load:.2f} before, {load_after:.2f} after")
    best = {name: {k: min(r[k] for r in runs) for k in runs[0]} for name, runs in got.items()}
    medians = {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for name, runs in got.items()}
    polls = ("first", "second", "quiet")
    print(f"{'ms per poll (best; median)':28}" + "".join(f"{p + ' poll':>22}" for p in polls) + f"{'results':>12}")
    for name, m in best.items():
        results = "/".join(str(round(m[f"{p}_results"])) for p in polls)
        print(f"{name:28}" + "".join(f"{m[p]:>12.3f};{medians[name][p]:>7.3f} ms" for p in polls) + f"{results:>12}")
    if len(best) == 2:
        (_, old_b), (_, new_b) = best.items()
        (_, old_m), (_, new_m) = medians.items()
        print(f"this tree / {args.against}, best rounds: " + ", ".join(f"{p} poll {new_b[p] / old_b[p]:.2f}x" for p in polls)
              + "; medians: " + ", ".join(f"{new_m[p] / old_m[p]:.2f}x" for p in polls))


if __name__ == "__main__":
    main()
