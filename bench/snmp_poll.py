"""Poll N simulated 48-port switches with the full switch health set, next to net-snmp.

One run prints, for the same simulated devices (snmpsim processes on loopback):
- Patrol's SNMP client CPU (get + GETBULK walks of every column the check needs) per device
  and per varbind, and the full check (fetch + parse + evaluate + poll state) per device;
- net-snmp's snmpbulkwalk fetching the same columns (one process per column, as a shell
  script would), CPU per varbind from the children's rusage, and the ratio;
- the wall time of the whole site poll and whether the responders were the bottleneck
  (snmpsim is single-threaded Python, ~7k varbinds/s per process; on a 2-core machine they
  share the cores with the client).
Targets (issue 6): client CPU per varbind at most 5x net-snmp's; 1,000 switches in under
60 s wall, or the bench says the responders were the bottleneck.

Then the v3 row (issue 18): net-snmp's snmpd on loopback, the same multi-column walks of
its MIB through Patrol v2c, Patrol v3 authPriv SHA/AES, stock pysnmp v3 and snmpbulkwalk
v2c/v3 with the same user; client CPU per varbind and the ratio v3 / v2c (target <= 1.5x).

    .venv/bin/python bench/snmp_poll.py [--switches 1000] [--responders 2] [--netsnmp-sample 20]
    .venv/bin/python bench/snmp_poll.py --v3-only [--v3-polls 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.runner import CheckJob, Runner  # noqa: E402
from collectors.base import CollectorIO, State  # noqa: E402
from collectors.snmp import ber, pollstate  # noqa: E402
from collectors.snmp.client import open_client, set_site_limit  # noqa: E402
from collectors.snmp.ports import PORT_COLUMNS  # noqa: E402
from collectors.snmp.profiles import load_profiles, select  # noqa: E402
from collectors.switch import SYSTEM_OIDS, SwitchCollector  # noqa: E402
from config.checks.switch import SwitchParams  # noqa: E402
from config.secrets import resolve_secret  # noqa: E402
from inventory.models import NetworkDevice  # noqa: E402
from tests.snmp import synth  # noqa: E402
from tests.snmp.conftest import snmp_answers  # noqa: E402
from tests.support.proc import ServerProcess, free_port, wait_until  # noqa: E402

COMMUNITY = "sw48"
_TAGS = {"2": 0x02, "4": 0x04, "6": 0x06, "64": 0x40, "65": 0x41, "66": 0x42, "67": 0x43, "70": 0x46}


def _content(tag: str, value: str) -> tuple[int, bytes]:
    if tag == "4x":
        return 0x04, bytes.fromhex(value)
    code = _TAGS[tag]
    if code == 0x04:
        return code, value.encode()
    if code == 0x06:
        return code, ber.encode_oid(value)
    if code == 0x40:
        return code, bytes(int(p) for p in value.split("."))
    number = int(value)
    return code, number.to_bytes(max(1, (number.bit_length() + 8) // 8), "big", signed=code == 0x02)


def replay_responder(path: Path, port: int) -> None:
    """A minimal v2c responder for one .snmprec (GET and GETBULK): varbinds pre-encoded once,
    GETBULK answered by bisecting a sorted OID list. Used with --responder replay to show what
    the client can do when the simulator is not the bottleneck."""
    import bisect
    import socket

    from tests.snmp.hostile import parse_request

    rows = []
    for line in path.read_text().splitlines():
        oid, tag, value = line.split("|", 2)
        code, content = _content(tag, value)
        enc = ber.encode_oid(oid)
        rows.append((tuple(int(p) for p in oid.split(".")), ber.tlv(0x30, ber.tlv(0x06, enc) + ber.tlv(code, content))))
    rows.sort()
    keys = [k for k, _ in rows]
    by_key = dict(rows)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", port))
    while True:
        data, peer = sock.recvfrom(65535)
        community, pdu, rid, reps, oids = parse_request(data)
        out = []
        for oid in oids:
            key = tuple(int(p) for p in ber.decode_oid(oid).split("."))
            if pdu == ber.GET:
                out.append(by_key.get(key) or ber.tlv(0x30, ber.tlv(0x06, oid) + b"\x81\x00"))
        if pdu == ber.GETBULK:
            pos = [bisect.bisect_right(keys, tuple(int(p) for p in ber.decode_oid(o).split("."))) for o in oids]
            for _ in range(max(1, reps)):
                for j, o in enumerate(oids):
                    i = pos[j]
                    out.append(rows[i][1] if i < len(rows) else ber.tlv(0x30, ber.tlv(0x06, o) + b"\x82\x00"))
                    pos[j] = i + 1
        body = ber.encode_int(rid) + ber.encode_int(0) + ber.encode_int(0) + ber.tlv(0x30, b"".join(out))
        sock.sendto(ber.tlv(0x30, ber.encode_int(1) + ber.tlv(0x04, community) + ber.tlv(ber.RESPONSE, body)), peer)


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_responders(count: int, root: Path, kind: str, out: list[tuple[int, ServerProcess]]) -> None:
    """Start ``count`` responders, appending each to ``out`` at once (so the caller stops them all)."""
    data = root / "data"
    data.mkdir(parents=True)
    (data / f"{COMMUNITY}.snmprec").write_text(synth.switch(ports=48))
    program = str(Path(sys.executable).parent / "snmpsim-command-responder")
    for i in range(count):
        port = free_port("udp")
        if kind == "snmpsim":
            argv = [program, f"--data-dir={data}", f"--cache-dir={root / f'cache{i}'}",
                    f"--agent-udpv4-endpoint=127.0.0.1:{port}", "--logging-method=null"]
        else:
            argv = [sys.executable, __file__, "--serve-replay", str(data / f"{COMMUNITY}.snmprec"), str(port)]
        proc = ServerProcess(argv, log_path=root / f"responder{i}.log", env={"SNMPSIM_ALLOW_ROOT": "true"})
        out.append((port, proc))
    for port, proc in out:
        wait_until(lambda: snmp_answers(port, COMMUNITY), 60, "snmpsim", proc)


def devices(n: int, ports: list[int]) -> list[NetworkDevice]:
    os.environ["PATROL_BENCH_COMMUNITY"] = COMMUNITY
    return [NetworkDevice(name=f"sw{i:04d}", address="127.0.0.1",
                          snmp={"community": "env:PATROL_BENCH_COMMUNITY", "port": ports[i % len(ports)],
                                "timeout_s": 10, "retries": 2})
            for i in range(n)]


def columns() -> list[str]:
    profile = select(synth.SYS_OBJECT_ID, load_profiles())
    return [*PORT_COLUMNS, *profile.columns()]


async def client_only(devs: list[NetworkDevice], params: SwitchParams, backend: str = "lean") -> tuple[int, int]:
    """The SNMP client alone: what the switch check fetches, for every device. -> (varbinds, requests)."""
    cols = columns()
    set_site_limit(params.site_concurrency)
    sem = asyncio.Semaphore(256)

    async def one(dev: NetworkDevice) -> tuple[int, int]:
        async with sem:
            async with open_client(dev.address, dev.snmp, resolve_secret, bulk_varbinds=params.bulk_varbinds,
                                   backend=backend) as snmp:
                await snmp.get(SYSTEM_OIDS)
                await snmp.walk(cols)
                return snmp.varbinds, snmp.requests

    counts = await asyncio.gather(*(one(d) for d in devs))
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


async def full_check(devs: list[NetworkDevice], params: SwitchParams, state_dir: Path) -> dict[State, int]:
    io = CollectorIO(run=None, state_dir=state_dir, resolve_secret=resolve_secret)  # type: ignore[arg-type]
    runner = Runner(io, concurrency=256)
    collector = SwitchCollector()
    states: dict[State, int] = {}
    try:
        runs = await runner.run([CheckJob(collector, d, params) for d in devs])
    finally:
        runner.close()
    for run in runs:
        for r in run.results:
            if r.check == "switch.reachability" or r.check == "switch":
                states[r.state] = states.get(r.state, 0) + 1
    return states


def netsnmp(devs: list[NetworkDevice], bulk_varbinds: int, entries: list[str] | None = None) -> tuple[float, int, float, int]:
    """snmpbulkwalk over the same OIDs for ``devs``: (children CPU s, varbinds, wall s, processes).

    One snmpbulkwalk per table entry that holds the needed columns (ifEntry, ifXEntry, each
    health table): in the generated recording those entries hold exactly the columns the
    check walks, so net-snmp fetches the same OIDs with its process start spread over a
    whole table, as an engineer's script would run it.
    """
    exe = shutil.which("snmpbulkwalk")
    if exe is None:
        raise SystemExit("snmpbulkwalk missing: apt-get install snmp")
    entries = entries or list(dict.fromkeys(col.rsplit(".", 1)[0] for col in columns()))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    varbinds = 0
    for dev in devs:
        for entry in entries:
            out = subprocess.run([exe, "-v2c", "-c", COMMUNITY, "-On", "-Oq", f"-Cr{bulk_varbinds}", "-M", "/dev/null",
                                  "-m", "", f"127.0.0.1:{dev.snmp.port}", entry],
                                 capture_output=True, text=True, check=True).stdout
            varbinds += sum(1 for line in out.splitlines() if line.startswith("." + entry + "."))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, varbinds, time.monotonic() - t0, len(devs) * len(entries)


# ---------------------------------------------------------------- the v3 row (issue 18)

# Subtrees of net-snmp's own MIB walked together (one multi-column walk, as the switch check
# walks its columns): interfaces, storage, processes and their CPU/memory, devices, IP.
V3_SUBTREES = ["1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1", "1.3.6.1.2.1.25.2.3", "1.3.6.1.2.1.25.4.2",
               "1.3.6.1.2.1.25.5.1", "1.3.6.1.2.1.25.3.2", "1.3.6.1.2.1.4"]


def v3_credentials(port: int, version: str) -> Any:
    from inventory.models import SnmpCredentials
    from tests.snmp.conftest import V3_AUTH, V3_PRIV, V3_USER

    os.environ["PATROL_BENCH_V3_AUTH"], os.environ["PATROL_BENCH_V3_PRIV"] = V3_AUTH, V3_PRIV
    os.environ["PATROL_BENCH_V2C"] = "public"
    if version == "2c":
        return SnmpCredentials(version="2c", port=port, community="env:PATROL_BENCH_V2C", timeout_s=10, retries=2)
    return SnmpCredentials(version="3", port=port, user=V3_USER, auth_protocol="SHA", auth_key="env:PATROL_BENCH_V3_AUTH",
                           priv_protocol="AES", priv_key="env:PATROL_BENCH_V3_PRIV", timeout_s=10, retries=2)


async def walk_agent(creds: Any, polls: int, backend: str, bulk_varbinds: int) -> tuple[int, int]:
    """``polls`` device polls (a client each, 4 at a time) of V3_SUBTREES: (varbinds, requests)."""
    sem = asyncio.Semaphore(4)

    async def one() -> tuple[int, int]:
        async with sem:
            async with open_client("127.0.0.1", creds, resolve_secret, backend=backend,
                                   bulk_varbinds=bulk_varbinds) as snmp:
                await snmp.walk(V3_SUBTREES)
                return snmp.varbinds, snmp.requests

    counts = await asyncio.gather(*(one() for _ in range(polls)))
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def netsnmp_agent(port: int, version: str, polls: int, bulk_varbinds: int, subtrees: list[str]) -> tuple[float, int]:
    """snmpbulkwalk, one process per subtree per poll: (children CPU s, varbinds)."""
    from tests.snmp.conftest import V3_AUTH, V3_PRIV, V3_USER

    exe = shutil.which("snmpbulkwalk")
    if exe is None:
        raise SystemExit("snmpbulkwalk missing: apt-get install snmp")
    auth = (["-v2c", "-c", "public"] if version == "2c" else
            ["-v3", "-l", "authPriv", "-u", V3_USER, "-a", "SHA", "-A", V3_AUTH, "-x", "AES", "-X", V3_PRIV])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    varbinds = 0
    for _ in range(polls):
        for tree in subtrees:
            out = subprocess.run([exe, *auth, "-On", "-Oq", f"-Cr{bulk_varbinds}", "-M", "/dev/null", "-m", "",
                                  f"127.0.0.1:{port}", tree], capture_output=True, text=True, check=True).stdout
            varbinds += sum(1 for line in out.splitlines() if line.startswith("." + tree + "."))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), varbinds


def v3_rows(polls: int, pysnmp_polls: int, bulk_varbinds: int) -> None:
    """Client CPU per varbind of the same walks of a real agent (net-snmp snmpd on loopback):
    Patrol v2c, Patrol v3 authPriv SHA/AES, stock pysnmp v3, and snmpbulkwalk v2c and v3."""
    from collectors.snmp import usm
    from tests.snmp.conftest import start_snmpd

    root = Path(tempfile.mkdtemp(prefix="patrol-snmp-v3-bench-"))
    port = free_port("udp")
    load0 = os.getloadavg()
    proc = start_snmpd(root / "agent", port, root / "persist")
    rows: list[tuple[str, float, int, int]] = []  # (label, CPU s, varbinds, requests)
    try:
        v2c, v3 = v3_credentials(port, "2c"), v3_credentials(port, "3")
        for creds in (v2c, v3):  # warm: imports, engine discovery, key localisation
            asyncio.run(walk_agent(creds, 1, "lean", bulk_varbinds))
        # interleaved, four times each, so a load change on the shared machine hits both alike
        totals = {"v2c": [0.0, 0, 0], "v3": [0.0, 0, 0]}
        for _ in range(4):
            for label, creds in (("v2c", v2c), ("v3", v3)):
                c0 = time.process_time()
                vb, reqs = asyncio.run(walk_agent(creds, max(1, polls // 4), "lean", bulk_varbinds))
                t = totals[label]
                t[0] += time.process_time() - c0
                t[1] += vb
                t[2] += reqs
        rows.append(("patrol v2c (lean codec)", *totals["v2c"]))
        rows.append(("patrol v3 authPriv SHA/AES (lean)", *totals["v3"]))
        asyncio.run(walk_agent(v3, 1, "pysnmp", bulk_varbinds))
        c0 = time.process_time()
        vb, reqs = asyncio.run(walk_agent(v3, pysnmp_polls, "pysnmp", bulk_varbinds))
        rows.append(("stock pysnmp 7 v3 SHA/AES", time.process_time() - c0, vb, reqs))
        n_polls = max(1, pysnmp_polls)
        for version in ("2c", "3"):
            cpu, vb = netsnmp_agent(port, version, n_polls, bulk_varbinds, V3_SUBTREES)
            label = "net-snmp snmpbulkwalk " + ("v2c" if version == "2c" else "v3 SHA/AES")
            rows.append((label + " (per subtree)", cpu, vb, 0))
            cpu, vb = netsnmp_agent(port, version, n_polls, bulk_varbinds, ["1.3.6.1.2.1"])
            rows.append((label + " (one walk of mib-2)", cpu, vb, 0))
        t0 = time.process_time()
        usm.password_key.cache_clear()
        usm.local_keys.cache_clear()
        usm.local_keys(usm.AUTH["SHA"], b"auth-pass-x1", usm.PRIV["AES"], b"priv-pass-x1", b"\x80\x00\x1f\x88\x04bench")
        localise_ms = (time.process_time() - t0) * 1e3
    finally:
        proc.stop()
        shutil.rmtree(root, ignore_errors=True)
    load1 = os.getloadavg()
    per = {label: cpu / vb * 1e6 for label, cpu, vb, _ in rows}
    print()
    print(f"SNMPv3 row: the same walks of net-snmp's snmpd on loopback ({len(V3_SUBTREES)} subtrees "
          f"walked together: interfaces, storage, processes, IP), client CPU only; load average "
          f"{load0[0]:.2f} before, {load1[0]:.2f} after ({os.cpu_count()} cores)")
    print(f"{'':54}{'varbinds':>10}{'requests':>10}{'CPU s':>8}{'us/varbind':>12}")
    for label, cpu, vb, reqs in rows:
        print(f"{label:54}{vb:>10}{reqs or '':>10}{cpu:>8.2f}{cpu / vb * 1e6:>12.1f}")
    v2, v3v = per["patrol v2c (lean codec)"], per["patrol v3 authPriv SHA/AES (lean)"]
    verdict = "met" if v3v <= 1.5 * v2 else "NOT met"
    print(f"patrol v3 / patrol v2c = {v3v / v2:.2f}x (target <= 1.5x: {verdict}); "
          f"stock pysnmp v3 / patrol v3 = {per['stock pysnmp 7 v3 SHA/AES'] / v3v:.1f}x; "
          f"patrol v3 / snmpbulkwalk v3 = {v3v / per['net-snmp snmpbulkwalk v3 SHA/AES (per subtree)']:.2f}x per subtree, "
          f"{v3v / per['net-snmp snmpbulkwalk v3 SHA/AES (one walk of mib-2)']:.2f}x one walk of mib-2")
    print(f"first poll of a v3 device only: one discovery round trip and key localisation, "
          f"{localise_ms:.1f} ms CPU for SHA+AES (cached per password and engine ID)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--switches", type=int, default=1000)
    ap.add_argument("--responders", type=int, default=2, help="snmpsim processes")
    ap.add_argument("--netsnmp-sample", type=int, default=20, help="devices walked with snmpbulkwalk")
    ap.add_argument("--bulk-varbinds", type=int, default=60)
    ap.add_argument("--site-concurrency", type=int, default=None,
                    help="SNMP requests in flight (default: 4 per snmpsim process, which answers one at a time; "
                         "64 with --responder replay)")
    ap.add_argument("--responder", choices=("snmpsim", "replay"), default="snmpsim",
                    help="snmpsim (default) or a minimal replay responder serving the same recording")
    ap.add_argument("--serve-replay", nargs=2, metavar=("SNMPREC", "PORT"), help=argparse.SUPPRESS)
    ap.add_argument("--v3-polls", type=int, default=40, help="polls of snmpd for the v3 row (each walks ~2,400 varbinds)")
    ap.add_argument("--v3-pysnmp-polls", type=int, default=4, help="polls through stock pysnmp and snmpbulkwalk")
    ap.add_argument("--v3-only", action="store_true", help="only the v3 row (net-snmp snmpd, no simulated switches)")
    args = ap.parse_args()
    if args.serve_replay:
        replay_responder(Path(args.serve_replay[0]), int(args.serve_replay[1]))
        return
    if args.v3_only:
        v3_rows(args.v3_polls, args.v3_pysnmp_polls, args.bulk_varbinds)
        return

    if args.site_concurrency is None:
        args.site_concurrency = 4 * args.responders if args.responder == "snmpsim" else 64
    # SIGTERM (timeout, kill) must still stop the responders: they run in their own sessions
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    root = Path(tempfile.mkdtemp(prefix="patrol-snmp-bench-"))
    responders: list[tuple[int, ServerProcess]] = []
    try:
        start_responders(args.responders, root, args.responder, responders)
        devs = devices(args.switches, [p for p, _ in responders])
        # response-time thresholds off: queueing at saturated simulators is not the devices' latency
        params = SwitchParams(bulk_varbinds=args.bulk_varbinds, site_concurrency=args.site_concurrency, timeout_s=120,
                              response_time_s={"warn": None, "crit": None})
        asyncio.run(client_only(devs[:len(responders)], params))  # warm the responders' indexes

        def measured(fn):  # -> (result, wall s, own CPU s, responders' CPU s)
            r0 = sum(proc_cpu(p.pid) for _, p in responders)
            w0, c0 = time.monotonic(), time.process_time()
            result = fn()
            wall, cpu = time.monotonic() - w0, time.process_time() - c0
            return result, wall, cpu, sum(proc_cpu(p.pid) for _, p in responders) - r0

        (vb, reqs), c_wall, c_cpu, c_resp = measured(lambda: asyncio.run(client_only(devs, params)))
        (p_vb, _), p_wall, p_cpu, _ = measured(
            lambda: asyncio.run(client_only(devs[:args.netsnmp_sample], params, backend="pysnmp")))
        state_dir = root / "state"
        asyncio.run(full_check(devs[:1], params, state_dir))  # first poll state for one device (warm imports)
        states, f_wall, f_cpu, f_resp = measured(lambda: asyncio.run(full_check(devs, params, state_dir)))
        pollstate.close_all()
        sample = devs[:args.netsnmp_sample]
        n_cpu, n_vb, n_wall, n_procs = netsnmp(sample, args.bulk_varbinds)
        # best case for net-snmp: one process per device walking the whole (generated)
        # recording, which holds only what the check needs: process start amortised
        b_cpu, b_vb, b_wall, _ = netsnmp(sample, args.bulk_varbinds, ["1.3.6.1"])
    finally:
        for _, proc in responders:
            proc.stop()
        shutil.rmtree(root, ignore_errors=True)

    n = len(devs)
    per_vb = c_cpu / vb * 1e6
    n_per_vb = n_cpu / n_vb * 1e6
    cores = os.cpu_count() or 1
    print(f"SNMP site poll: {n} simulated 48-port switches, {len(responders)} {args.responder} responders, "
          f"{cores} cores, {vb // n} varbinds and {reqs / n:.1f} requests per device, "
          f"site concurrency {args.site_concurrency}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'':34}{'CPU s/device':>14}{'us/varbind':>12}{'wall s':>9}{'responder CPU s':>17}")
    print(f"{'patrol SNMP client (get+walk)':34}{c_cpu / n * 1e3:>11.2f} ms{per_vb:>12.1f}{c_wall:>9.1f}{c_resp:>17.1f}")
    print(f"{'patrol full switch check':34}{f_cpu / n * 1e3:>11.2f} ms{f_cpu / vb * 1e6:>12.1f}{f_wall:>9.1f}{f_resp:>17.1f}")
    print(f"{'net-snmp snmpbulkwalk (' + str(len(sample)) + ' dev)':34}{n_cpu / len(sample) * 1e3:>11.2f} ms"
          f"{n_per_vb:>12.1f}{n_wall:>9.1f}{'':>17}")
    b_per_vb = b_cpu / b_vb * 1e6
    ps = args.netsnmp_sample
    print(f"{'stock pysnmp 7, same walk (' + str(ps) + ' dev)':34}{p_cpu / ps * 1e3:>11.2f} ms{p_cpu / p_vb * 1e6:>12.1f}"
          f"{p_wall:>9.1f}")
    print(f"{'net-snmp one walk per device':34}{b_cpu / len(sample) * 1e3:>11.2f} ms{b_per_vb:>12.1f}{b_wall:>9.1f}")
    print(f"net-snmp: {n_procs} snmpbulkwalk processes (one per table), {n_vb // len(sample)} varbinds per device; "
          f"one walk per device: {b_vb // len(sample)} varbinds (patrol: {vb // n})")
    print(f"client CPU per varbind: patrol / net-snmp = {per_vb / b_per_vb:.2f}x against one walk per device "
          f"(target <= 5x), {per_vb / n_per_vb:.2f}x against one walk per table; "
          f"full check {f_cpu / vb * 1e6 / b_per_vb:.2f}x")
    print(f"switch.reachability results: " + ", ".join(f"{s.value} {c}" for s, c in sorted(states.items(), key=lambda x: x[0].value)))
    busy = f_resp / (f_wall * cores)
    verdict = "under" if f_wall < 60 else "over"
    print(f"site poll wall: {f_wall:.1f} s for {n} switches ({verdict} the 60 s target); "
          f"responders used {f_resp:.1f} CPU-s = {busy:.0%} of {cores} cores, the client {f_cpu:.1f} CPU-s")
    if f_wall >= 60 or busy > 0.5:
        client_bound = f_cpu / cores
        print(f"responders were the bottleneck: snmpsim spent {f_resp / f_cpu:.1f}x the client's CPU; the client alone "
              f"needs {f_cpu:.1f} CPU-s, i.e. {client_bound:.1f} s wall on {cores} cores for {n} switches")
    v3_rows(args.v3_polls, args.v3_pysnmp_polls, args.bulk_varbinds)


if __name__ == "__main__":
    main()
