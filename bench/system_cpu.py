"""What system.cpu reports while the agent itself is busy, against a plain busy sample.

Starts one busy loop per core as children of this process (the agent's own work, as its
checks' PowerShell, kinit or SNMP children are), then takes the samples system.cpu takes
(collectors/system_cpu.py) and prints, per sample: the whole machine's busy percent (what
the old 0.5 s psutil.cpu_percent sample reported), the agent's share, and what system.cpu
now reports (outside the agent). Then the same without the loops, for comparison, and
the CPU time the sampling itself costs.

    .venv/bin/python bench/system_cpu.py [--samples 3] [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import psutil

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from collectors.system_cpu import sample_cpu  # noqa: E402


def show(label: str, samples: list[dict[str, float]]) -> None:
    for s in samples:
        print(f"{label:24} machine busy {s['busy']:5.1f}%  agent {s['own']:5.1f}%  "
              f"reported (outside the agent) {max(0.0, s['busy'] - s['own']):5.1f}%")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.0)
    args = ap.parse_args()
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)]
    try:
        show("with the agent's loops", sample_cpu(psutil, args.samples, args.seconds))
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    started = time.process_time()
    quiet = sample_cpu(psutil, args.samples, args.seconds)
    cost = time.process_time() - started
    show("without them", quiet)
    print(f"CPU cost of the {args.samples} samples themselves: {cost * 1000:.1f} ms "
          f"(the 0.5 s psutil.cpu_percent sample it replaces cost well under 1 ms; a worker start costs ~600 ms)")
    print(f"({os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}: on a shared machine the rest is other work)")


if __name__ == "__main__":
    main()
