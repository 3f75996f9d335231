"""CPU of Patrol's SNMP client per switch poll, this tree against an earlier commit, in one run.

What is measured: the SNMP traffic of the switch check for one device (``get`` of the system
scalars + the multi-column GETBULK ``walk`` of every column the check needs) against a real
Catalyst 3560-48 recording (tests/snmp/data/cisco-c3560.snmprec, snmpsim-data) answered by the
replay responder (tests/support/replay_responder.py), N switches per round, each its own
community, 64 requests in flight. Only the client process's CPU is counted (process_time
around the poll, imports and a warm-up poll excluded).

Before/after in the same run: the same poll is run by this tree and by ``--baseline`` (a
git commit, extracted with ``git archive`` into a temporary directory), alternately, in
separate processes, ``--rounds`` times, so a load change on the shared machine hits both
alike. With uvloop installed, this tree is also measured on the uvloop event loop.

    nice -n 10 .venv/bin/python bench/snmp_client_cpu.py [--switches 1000] [--rounds 5] [--baseline REV]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The last commit before the walk/decode fast paths (issue 18, session 4): the "before".
BASELINE = "3d62975"
SYS_OBJECT_ID = "1.3.6.1.4.1.9.1.617"  # the recording's sysObjectID (a Catalyst 3560-48PS)


def child(port: int, community: str, switches: int, loop: str, what: str) -> None:
    """Poll ``switches`` switches with the code on sys.path; print one JSON line of counts and CPU.

    ``what``: "client" (get + walk only) or "check" (the whole switch check through the
    worker's Runner: fetch, parse, evaluate, poll state; nothing stored).
    """
    from collectors.snmp.client import open_client, set_site_limit
    from collectors.snmp.ports import PORT_COLUMNS
    from collectors.snmp.profiles import load_profiles, select
    from collectors.switch import SYSTEM_OIDS
    from inventory.models import NetworkDevice

    cols = [*PORT_COLUMNS, *select(SYS_OBJECT_ID, load_profiles()).columns()]
    os.environ["PATROL_BENCH_COMMUNITY"] = community
    devs = [NetworkDevice(name=f"sw{i}", address="127.0.0.1",
                          snmp={"community": "env:PATROL_BENCH_COMMUNITY", "port": port, "timeout_s": 10,
                                "retries": 2})
            for i in range(switches)]

    async def poll(devices: list[NetworkDevice]) -> tuple[int, int]:
        set_site_limit(64)
        sem = asyncio.Semaphore(256)

        async def one(dev: NetworkDevice) -> tuple[int, int]:
            async with sem:
                async with open_client(dev.address, dev.snmp, None, bulk_varbinds=60) as snmp:
                    await snmp.get(SYSTEM_OIDS)
                    await snmp.walk(cols)
                    return snmp.requests, snmp.varbinds

        counts = await asyncio.gather(*(one(d) for d in devices))
        return sum(c[0] for c in counts), sum(c[1] for c in counts)

    async def check(devices: list[NetworkDevice]) -> tuple[int, int]:
        import tempfile

        from agent.runner import CheckJob, Runner
        from collectors.base import CollectorIO
        from collectors.switch import SwitchCollector
        from config.checks.switch import SwitchParams

        params = SwitchParams(bulk_varbinds=60, site_concurrency=64, timeout_s=120,
                              response_time_s={"warn": None, "crit": None})
        io = CollectorIO(run=None, state_dir=Path(state_dir), resolve_secret=None)  # type: ignore[arg-type]
        runner = Runner(io, concurrency=256)
        try:
            runs = await runner.run([CheckJob(SwitchCollector(), d, params) for d in devices])
        finally:
            runner.close()
        return 0, sum(len(r.results) for r in runs)  # (requests unknown, results)

    def run(devices: list[NetworkDevice]) -> tuple[int, int]:
        job = poll(devices) if what == "client" else check(devices)
        if loop == "uvloop":
            import uvloop

            return uvloop.run(job)
        return asyncio.run(job)

    import tempfile

    state_dir = tempfile.mkdtemp(prefix="patrol-snmp-cpu-state-")
    run(devs[:8])  # warm: imports, the responder's reply cache, poll state
    c0 = time.process_time()
    requests, varbinds = run(devs)
    cpu = time.process_time() - c0
    import shutil

    shutil.rmtree(state_dir, ignore_errors=True)
    import collectors.snmp.client as code

    print(json.dumps({"cpu": cpu, "requests": requests, "varbinds": varbinds, "code": code.__file__}))


def extract(rev: str, into: Path) -> Path:
    """The tree of ``rev`` as files under ``into`` (git archive; nothing is checked out here)."""
    tar = into / "tree.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(tar), rev], check=True)
    with tarfile.open(tar) as archive:
        archive.extractall(into / "tree", filter="data")
    return into / "tree"


def measure(tree: Path, port: int, community: str, switches: int, loop: str, what: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(port), community,
                          str(switches), loop, what], env=env, cwd=tree, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"poll with {tree} failed:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["code"].startswith(str(tree)):  # the venv's editable install must not win
        raise SystemExit(f"the poll ran {result['code']}, not the code under {tree}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--switches", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--baseline", default=BASELINE, help="git commit to compare with (default: %(default)s)")
    ap.add_argument("--no-check", action="store_true", help="skip the full switch check rows")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        port, community, switches, loop, what = args.child
        child(int(port), community, int(switches), loop, what)
        return

    sys.path.insert(0, str(REPO))
    from tests.scale.replicas import RECORDING
    from tests.support import replay_responder

    try:
        import uvloop  # noqa: F401
        loops = ["asyncio", "uvloop"]
    except ImportError:
        loops = ["asyncio"]
    root = Path(tempfile.mkdtemp(prefix="patrol-snmp-cpu-"))
    base_tree = extract(args.baseline, root)
    responder, port = replay_responder.start([RECORDING], root / "responder.log", processes=1)
    load0 = os.getloadavg()
    # (label, code, event loop, what is polled)
    kinds = [(f"client, before ({args.baseline}), asyncio", base_tree, "asyncio", "client")]
    kinds += [(f"client, this tree, {loop}", REPO, loop, "client") for loop in loops]
    if not args.no_check:
        kinds += [(f"full check, before, asyncio", base_tree, "asyncio", "check")]
        kinds += [(f"full check, this tree, {loop}", REPO, loop, "check") for loop in loops]
    runs: dict[str, list[dict[str, float]]] = {}
    try:
        for _ in range(args.rounds):
            for label, tree, loop, what in kinds:
                runs.setdefault(label, []).append(measure(tree, port, RECORDING.stem, args.switches, loop, what))
    finally:
        responder.stop()
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    load1 = os.getloadavg()
    n = args.switches
    first = runs[kinds[0][0]][0]
    print(f"SNMP client CPU per switch poll: {n} switches x {args.rounds} rounds, real Catalyst 3560-48 recording "
          f"(replay responder), {first['requests'] / n:.0f} requests and {first['varbinds'] / n:.0f} varbinds "
          f"per switch; load average {load0[0]:.2f} before, {load1[0]:.2f} after ({os.cpu_count()} cores)")
    print(f"{'':40}{'ms/switch (median)':>20}{'min':>8}{'max':>8}{'us/varbind':>12}")
    medians: dict[str, float] = {}
    for label, tree, loop, what in kinds:
        rs = runs[label]
        per = [r["cpu"] / n * 1e3 for r in rs]
        counts = {(r["requests"], r["varbinds"]) for r in rs}
        if what == "client" and counts != {(first["requests"], first["varbinds"])}:
            print(f"  {label}: different request/varbind counts {sorted(counts)}")
        medians[label] = statistics.median(per)
        per_vb = f"{medians[label] * 1e3 * n / first['varbinds']:>12.2f}" if what == "client" else ""
        print(f"{label:40}{medians[label]:>17.2f} ms{min(per):>8.2f}{max(per):>8.2f}{per_vb}")
    for what in ("client", "check"):
        rows = [k for k in kinds if k[3] == what]
        for label, *_ in rows[1:]:
            print(f"{label} / {rows[0][0]} = {medians[label] / medians[rows[0][0]]:.2f}x")
    print("(full check: fetch, parse, evaluate and poll state through agent.runner.Runner, nothing stored; "
          "8 devices polled before the measured round, the rest first polls)")


if __name__ == "__main__":
    main()
