"""Speed of the CUPS source: ``.venv/bin/python bench/ipp_fetch.py``.

Not a test (speed is not asserted anywhere): starts a private cupsd with 100 queues, 50 of
them paused holding 3 jobs each, then prints the median time of Patrol's IPP fetch+parse
and, for comparison, of ``lpstat -l -p -o`` (text only, not even parsed).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.base import CollectorIO  # noqa: E402
from collectors.commands import run_command  # noqa: E402
from collectors.platforms.linux import printers as cups  # noqa: E402
from tests.printers.cups_server import start_cups  # noqa: E402  (the test's private cupsd)

QUEUES, JOBS_PER_PAUSED_QUEUE, RUNS = 100, 3, 20


def median_ms(fn: Callable[[], None]) -> float:
    fn()  # warm up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="patrol-cups-bench-"))
    server = start_cups(root)
    try:
        for i in range(QUEUES):
            server.admin("lpadmin", "-p", f"q{i:03d}", "-E", "-v", "file:///dev/null", "-m", "raw")
            if i % 2 == 0:
                server.admin("cupsdisable", f"q{i:03d}")
                for _ in range(JOBS_PER_PAUSED_QUEUE):
                    server.admin("lp", "-d", f"q{i:03d}", "/etc/hostname")
        io = CollectorIO(run=run_command)
        jobs = QUEUES // 2 * JOBS_PER_PAUSED_QUEUE

        def ipp() -> None:
            model = cups.parse(cups.fetch(server.server, 10, io, environ={}))
            assert len(model.queues) == QUEUES and len(model.jobs) == jobs

        def lpstat() -> None:
            subprocess.run(["lpstat", "-h", server.server, "-l", "-p", "-o"], capture_output=True, check=True)

        ours, theirs = median_ms(ipp), median_ms(lpstat)
        print(f"{QUEUES} queues, {jobs} waiting jobs, median of {RUNS} runs:")
        print(f"  Patrol IPP fetch+parse  {ours:7.1f} ms")
        print(f"  lpstat -l -p -o (text) {theirs:7.1f} ms")
        print(f"  ratio lpstat/Patrol     {theirs / ours:7.1f}x")
    finally:
        server.process.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
