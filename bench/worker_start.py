"""CPU, wall time and peak RSS of one `patrol run` worker doing the system checks.

Every batch of due checks under `patrol run` costs one such worker start (interpreter,
config, the due families, store, ticket engine). This starts `python -P -m agent.worker
check:system` the way the supervisor does, in a scratch folder with the default config,
and prints the median of several starts and what the starts alone cost as a share of one
core at the shipped 120 s system interval and at 60 s. The supervisor and the other
families' workers come on top: bench/agent_footprint.py measures the whole agent against
the 1% target.

    .venv/bin/python bench/worker_start.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHIPPED_INTERVAL_S = 120
CPU_TARGET_PERCENT = 1.0


def one_start(workdir: Path) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds, peak RSS MiB) of one worker, from its own rusage."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-P", "-m", "agent.worker", "check:system"], cwd=workdir,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of children is the largest child so far, in KiB on Linux; every start is alike.
    return cpu, wall, after.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one_start(Path(tmp))  # warm the page cache and the store's first migration
        samples = [one_start(Path(tmp)) for _ in range(args.repeat)]
    cpu = statistics.median(s[0] for s in samples)
    wall = statistics.median(s[1] for s in samples)
    rss = max(s[2] for s in samples)
    print(f"one check:system worker (median of {args.repeat}): CPU {cpu:.2f} s, wall {wall:.2f} s, "
          f"peak RSS {rss:.1f} MiB")
    for interval in (SHIPPED_INTERVAL_S, SHIPPED_INTERVAL_S // 2):
        share = 100 * cpu / interval
        print(f"  a worker every {interval:>3} s: {share:.2f}% of one core from worker starts alone "
              f"(the whole agent's target: < {CPU_TARGET_PERCENT:g}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
