"""Capture cost of the asset archive on an agent: CPU seconds and peak memory per capture.

Each scenario runs in a fresh Python process (so its peak memory is its own), N times;
printed are the medians and the load average, and what each is compared with:

- ``quick``: the quick fingerprint the agent takes every hour (agent/assets/schedule.py),
- ``full``: a full Linux capture of this machine (sysfs, dmidecode, lsblk, smartctl per disk,
  the dpkg list with install dates), parsed, serialised to canonical JSON and hashed,
- ``parse-windows``: the Windows parser on the recorded whole-output test sample (no
  PowerShell runs here: the PowerShell run itself costs what Windows' WMI makes it cost),
- ``snmp``: one network device captured over real SNMP from snmpsim (the Cisco C3560 walk),
- ``baseline``: the same process importing the capture code and doing nothing, the floor
  the others are measured against.

CPU = the process's own user+system time plus that of the programs it ran (dmidecode,
smartctl, dpkg-query). Peak memory = the process's max RSS (the programs it ran are
counted apart). This machine is a container: no DMI tables, no monitors, one virtio disk
smartctl cannot read, ~1,150 packages; a desktop with SMART-capable disks runs smartctl per
disk more, each a few milliseconds.

    nice -n 10 .venv/bin/python bench/assets.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("baseline", "quick", "full", "parse-windows", "snmp")


def _setup(name: str, port: int) -> Callable[[], int]:
    """Imports and inputs of scenario ``name`` (not measured); returns the measured step,
    which returns the size of the snapshot it made (0 when it makes none)."""
    sys.path.insert(0, str(ROOT))
    from datetime import datetime, timezone

    from agent.assets.capture import linux  # imported in every scenario, the baseline included
    from agent.assets.model import canonical_json
    from collectors.base import CollectorIO
    from collectors.commands import run_command

    io = CollectorIO(run=run_command)
    now = datetime.now(timezone.utc)
    if name == "quick":
        from agent.assets.schedule import quick_linux

        return lambda: quick_linux(io) and 0
    if name == "full":
        def full() -> int:
            snap = linux.parse(linux.fetch(io), now)
            snap.content_hash()
            return len(canonical_json(snap).encode())
        return full
    if name == "parse-windows":
        import pytest

        from agent.assets.capture import windows
        from tests.assets import test_windows_capture as recorded

        captured: list[bytes] = []
        with pytest.MonkeyPatch.context() as mp:  # keep the output the test builds from the recordings
            mp.setattr(windows, "parse", lambda output, at: captured.append(output.stdout))
            try:
                recorded.test_whole_output_assembled_from_recordings()
            except AttributeError:
                pass
        from collectors.base import CommandOutput

        output = CommandOutput(("powershell.exe",), 0, captured[0], b"")
        return lambda: len(canonical_json(windows.parse(output, now)).encode())
    if name == "snmp":
        import asyncio

        from agent.assets.capture import snmp
        from inventory.models import NetworkDevice, SnmpCredentials

        device = NetworkDevice(name="sw", address="127.0.0.1",
                               snmp=SnmpCredentials(community="env:UNUSED", port=port, timeout_s=5, retries=1))
        sio = CollectorIO(run=run_command, resolve_secret=lambda ref: "cisco-c3560")
        return lambda: len(canonical_json(snmp.parse(asyncio.run(snmp.fetch(device, sio)), now)).encode())
    return lambda: 0


def _one(name: str, port: int, memory: bool) -> dict[str, float]:
    """Run scenario ``name`` in this process and report its cost (CPU, or with ``memory`` the
    peak of Python allocations during the step, tracemalloc, which slows the CPU figures)."""
    step = _setup(name, port)
    if memory:
        import tracemalloc

        tracemalloc.start()
        size = step()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return {"peak_mib": peak / 2**20, "snapshot_bytes": size,
                "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.process_time(), time.perf_counter()
    size = step()
    cpu = time.process_time() - start[0]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu_s": cpu, "children_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "wall_s": time.perf_counter() - start[1], "snapshot_bytes": size}


def _snmpsim() -> tuple[subprocess.Popen[bytes], int, Path]:
    """snmpsim serving the trimmed C3560 recording (tests/assets/snmp) on a free port."""
    import socket

    folder = Path(tempfile.mkdtemp(prefix="bench-assets-"))
    (folder / "data").mkdir()
    shutil.copy(ROOT / "tests" / "assets" / "snmp" / "cisco-c3560.snmprec", folder / "data")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(Path(sys.executable).parent / "snmpsim-command-responder"), f"--data-dir={folder / 'data'}",
                             f"--cache-dir={folder / 'cache'}", f"--agent-udpv4-endpoint=127.0.0.1:{port}",
                             "--logging-method=null"], env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sys.path.insert(0, str(ROOT))
    from tests.snmp.conftest import snmp_answers

    deadline = time.monotonic() + 60
    while not snmp_answers(port, "cisco-c3560"):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.terminate()
            raise SystemExit("snmpsim did not start")
        time.sleep(0.2)
    return proc, port, folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one", choices=SCENARIOS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one, args.port, args.memory)))
        return
    proc, port, folder = _snmpsim()
    try:
        rows: dict[str, list[dict[str, float]]] = {name: [] for name in SCENARIOS}
        mem: dict[str, list[dict[str, float]]] = {name: [] for name in SCENARIOS}
        for _ in range(args.runs):  # interleaved, so a burst of load hits every scenario alike
            for name in SCENARIOS:
                for memory, into in ((False, rows), (True, mem)):
                    out = subprocess.run([sys.executable, __file__, "--one", name, "--port", str(port)]
                                         + (["--memory"] if memory else []), cwd=ROOT, capture_output=True, text=True,
                                         check=True)
                    into[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    load = os.getloadavg()
    print(f"asset capture cost, median of {args.runs} runs each; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} CPUs")
    print(f"{'scenario':<14} {'CPU s':>7} {'CPU s (programs)':>16} {'wall s':>7} {'peak alloc MiB':>14} "
          f"{'process max RSS MiB':>19} {'snapshot KiB':>12}")
    med: dict[str, dict[str, float]] = {}
    for name in SCENARIOS:
        med[name] = {k: statistics.median(r[k] for r in rows[name]) for k in rows[name][0]}
        med[name] |= {k: statistics.median(r[k] for r in mem[name]) for k in ("peak_mib", "maxrss_mib")}
        m = med[name]
        print(f"{name:<14} {m['cpu_s']:>7.3f} {m['children_cpu_s']:>16.3f} {m['wall_s']:>7.3f} {m['peak_mib']:>14.2f} "
              f"{m['maxrss_mib']:>19.1f} {m['snapshot_bytes'] / 1024:>12.1f}")
    full = med["full"]["cpu_s"] + med["full"]["children_cpu_s"]
    quick = med["quick"]["cpu_s"] + med["quick"]["children_cpu_s"]
    print(f"compared: a full capture costs {full / max(quick, 1e-6):.0f}x an hourly quick check; per day with the "
          f"defaults (23 quick checks + 1 full capture) {23 * quick + full:.2f} CPU s, "
          f"{(23 * quick + full) / 86400 * 100:.4f}% of one core; the process's max RSS is the interpreter with "
          f"Patrol imported (baseline {med['baseline']['maxrss_mib']:.1f} MiB), the capture adds its peak allocation")

if __name__ == "__main__":
    main()
