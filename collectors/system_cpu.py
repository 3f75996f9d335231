"""CPU busy outside the agent's own work, over several samples.

A monitoring agent must not report its own load: during ``patrol inspect`` the checks run
in parallel (threads of this process, and their PowerShell, kinit, snmp children), and a
plain "CPU busy" sample taken at that moment measures the agent. Each sample here reads
the system's CPU times and the CPU times of this process tree (the process, its threads,
every descendant, and descendants already reaped into their parents' ``children_*`` times)
at the start and end of a short interval; the agent's share is subtracted from the
system's busy time. Several samples are taken: ``system.cpu`` alarms only when every one of
them is over the threshold (sustained), so a burst does not open a ticket.

Raw sample (one dict per interval, percent of all cores)::

    [{"busy": 97.5, "own": 61.0, "seconds": 1.0}, {"busy": 88.0, "own": 55.5, "seconds": 1.0}]
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

# /proc/stat fields that are not work: idle and waiting for I/O (psutil names).
_NOT_BUSY = ("idle", "iowait")
# Set by `patrol run`'s supervisor for its workers: the agent's tree starts there, so a
# worker subtracts the other workers' checks too, not only its own.
AGENT_PID_ENV = "PATROL_AGENT_PID"


def agent_root(psutil: Any, environ: Mapping[str, str]) -> int:
    """The agent's top process: ``$PATROL_AGENT_PID`` when it is this process or an ancestor
    (a stale value inherited by something else is ignored), else this process."""
    me = os.getpid()
    text = environ.get(AGENT_PID_ENV, "")
    if text.isdigit():
        pid = int(text)
        try:
            if pid == me or any(parent.pid == pid for parent in psutil.Process(me).parents()):
                return pid
        except psutil.Error:
            pass
    return me


def _system_times(psutil: Any) -> tuple[float, float]:
    """(busy, total) CPU seconds over all cores since boot."""
    times = psutil.cpu_times()
    total = sum(times)
    idle = sum(getattr(times, name, 0.0) for name in _NOT_BUSY)
    return total - idle, total


def own_cpu_seconds(psutil: Any, root_pid: int) -> float:
    """CPU seconds used so far by ``root_pid`` and all its descendants, living or reaped.

    A child reaped by its parent moves its times into the parent's ``children_*``: counting
    those for every process of the tree keeps the sum continuous when a child ends.
    """
    try:
        root = psutil.Process(root_pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for proc in tree:
        try:
            t = proc.cpu_times()
        except psutil.Error:  # ended between listing and reading: its time shows in the parent next time
            continue
        total += t.user + t.system + getattr(t, "children_user", 0.0) + getattr(t, "children_system", 0.0)
    return total


def sample_cpu(psutil: Any, samples: int, seconds: float, root_pid: int | None = None,
               sleep: Callable[[float], None] = time.sleep) -> list[dict[str, float]]:
    """``samples`` intervals of ``seconds``: the system's busy percent and the agent's share of it."""
    pid = agent_root(psutil, os.environ) if root_pid is None else root_pid
    cores = psutil.cpu_count() or 1
    out = []
    for _ in range(samples):
        busy0, total0 = _system_times(psutil)
        own0 = own_cpu_seconds(psutil, pid)
        sleep(seconds)
        busy1, total1 = _system_times(psutil)
        own1 = own_cpu_seconds(psutil, pid)
        span = total1 - total0
        if span <= 0:
            continue
        # The agent's CPU seconds are measured per process, the system's from /proc/stat:
        # clamp so rounding never makes the agent more than the whole machine.
        own = max(0.0, min(own1 - own0, busy1 - busy0))
        out.append({"busy": round(100.0 * (busy1 - busy0) / span, 2), "own": round(100.0 * own / span, 2),
                    "seconds": seconds, "cores": cores})
    return out
