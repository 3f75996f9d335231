"""How fast the replay responder answers (tests/support/replay_responder.py), next to snmpsim.

Patrol's own SNMP client polls N simulated switches (the switch check's get + GETBULK walks
of a real Catalyst 3560-48 recording, each switch its own community ``cisco-c3560@swN``)
against one responder process, then a sample against one snmpsim process serving the same
recording. Printed: requests answered, the responder's CPU seconds (from /proc), requests
per CPU-second (what one core sustains) and per wall second (bounded by the client here),
and the ratio to snmpsim. Target (issue 18): thousands of requests per second per core.

    nice -n 10 .venv/bin/python bench/replay_responder.py [--switches 2000] [--snmpsim-switches 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.snmp.client import open_client, set_site_limit  # noqa: E402
from collectors.snmp.ports import PORT_COLUMNS  # noqa: E402
from collectors.snmp.profiles import load_profiles, select  # noqa: E402
from collectors.switch import SYSTEM_OIDS  # noqa: E402
from config.secrets import resolve_secret  # noqa: E402
from inventory.models import NetworkDevice  # noqa: E402
from tests.scale.replicas import RECORDING  # noqa: E402
from tests.snmp.conftest import snmp_answers  # noqa: E402
from tests.support import replay_responder  # noqa: E402
from tests.support.proc import ServerProcess, free_port, wait_until  # noqa: E402

SYS_OBJECT_ID = "1.3.6.1.4.1.9.1.617"  # the recording's sysObjectID (a Catalyst 3560-48PS)


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def poll(port: int, communities: list[str], concurrency: int) -> tuple[int, int]:
    """The switch check's SNMP traffic for each community: (requests, varbinds)."""
    profile = select(SYS_OBJECT_ID, load_profiles())
    cols = [*PORT_COLUMNS, *profile.columns()]
    set_site_limit(concurrency)
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int, community: str) -> tuple[int, int]:
        os.environ[f"PATROL_BENCH_C{i}"] = community
        dev = NetworkDevice(name=f"sw{i}", address="127.0.0.1",
                            snmp={"community": f"env:PATROL_BENCH_C{i}", "port": port, "timeout_s": 10, "retries": 2})
        async with sem:
            async with open_client(dev.address, dev.snmp, resolve_secret, bulk_varbinds=60) as snmp:
                await snmp.get(SYSTEM_OIDS)
                await snmp.walk(cols)
                return snmp.requests, snmp.varbinds

    counts = await asyncio.gather(*(one(i, c) for i, c in enumerate(communities)))
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def measure(pid: int, port: int, communities: list[str], concurrency: int) -> tuple[int, int, float, float]:
    c0, w0 = cpu_s(pid), time.monotonic()
    requests, varbinds = asyncio.run(poll(port, communities, concurrency))
    return requests, varbinds, cpu_s(pid) - c0, time.monotonic() - w0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--switches", type=int, default=2000)
    ap.add_argument("--snmpsim-switches", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="patrol-replay-bench-"))
    name = RECORDING.stem
    replay, port = replay_responder.start([RECORDING], root / "replay.log", processes=1)
    sim = None
    try:
        measure(replay.pid, port, [name], 1)  # warm: the first walk fills the reply cache
        r_req, r_vb, r_cpu, r_wall = measure(replay.pid, port, [f"{name}@sw{i}" for i in range(args.switches)],
                                             args.concurrency)
        data = root / "data"
        data.mkdir()
        shutil.copy(RECORDING, data / RECORDING.name)
        sim_port = free_port("udp")
        sim = ServerProcess([str(Path(sys.executable).parent / "snmpsim-command-responder"), f"--data-dir={data}",
                             f"--cache-dir={root / 'cache'}", f"--agent-udpv4-endpoint=127.0.0.1:{sim_port}",
                             "--logging-method=null"], log_path=root / "snmpsim.log",
                            env={"SNMPSIM_ALLOW_ROOT": "true"})
        wait_until(lambda: snmp_answers(sim_port, name), 120, "snmpsim", sim)
        measure(sim.pid, sim_port, [name], 1)
        s_req, s_vb, s_cpu, s_wall = measure(sim.pid, sim_port, [name] * args.snmpsim_switches, args.concurrency)
    finally:
        replay.stop()
        if sim is not None:
            sim.stop()
        shutil.rmtree(root, ignore_errors=True)
    load = os.getloadavg()
    print(f"replay responder: one process, {args.switches} switches ({name}, a real recording; one community "
          f"each), {r_req / args.switches:.1f} requests and {r_vb // args.switches} varbinds per switch; "
          f"load average {load[0]:.1f}")
    print(f"{'':24}{'requests':>10}{'CPU s':>8}{'req/CPU-s':>11}{'varbinds/CPU-s':>16}{'wall s':>8}{'req/s wall':>12}")
    for label, req, vb, cpu, wall in (("replay responder", r_req, r_vb, r_cpu, r_wall),
                                      ("snmpsim (same walk)", s_req, s_vb, s_cpu, s_wall)):
        print(f"{label:24}{req:>10}{cpu:>8.2f}{req / max(cpu, 1e-3):>11.0f}{vb / max(cpu, 1e-3):>16.0f}"
              f"{wall:>8.1f}{req / wall:>12.0f}")
    per_req_r, per_req_s = r_cpu / r_req, s_cpu / s_req
    print(f"CPU per request: replay {per_req_r * 1e6:.0f} us, snmpsim {per_req_s * 1e6:.0f} us "
          f"({per_req_s / per_req_r:.0f}x); one core answers {1 / per_req_r:.0f} requests/s "
          f"(target: thousands); wall rate bounded by the client in this process")


if __name__ == "__main__":
    main()
