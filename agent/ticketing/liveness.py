"""Who holds an outbox claim, and whether that process still lives.

A claim used to be a 5-minute lease: a worker killed in the middle of a call left its row
untouched for 5 minutes, a third of an urgent ticket's response window. Now a claim names
its process (``host/pid/start time``); another process that finds the row claimed asks
whether that process is alive and takes the row at once when it is not. The start time
tells a reused PID from the claimer. A claim made on another host (replicas sharing a
database) cannot be checked from here: the lease still ends it.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache


def _start_time(pid: int) -> float | None:
    import psutil  # here: only a process that drains the outbox needs it

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.AccessDenied:  # another user's process: it exists, assume it is the claimer
        return -1.0


@lru_cache(maxsize=1)
def _host() -> str:
    return socket.gethostname()


def identity() -> str:
    """This process, as written in a claim."""
    started = _start_time(os.getpid())
    return f"{_host()}/{os.getpid()}/{started or 0:.2f}"


def alive(claimer: str) -> bool | None:
    """True when the claiming process runs, False when it is gone, None when it cannot be told (another host)."""
    try:
        host, pid_text, started_text = claimer.rsplit("/", 2)
        pid, started = int(pid_text), float(started_text)
    except ValueError:
        return None  # not written by this version: let the lease decide
    if host != _host():
        return None
    now_started = _start_time(pid)
    if now_started is None:
        return False
    return now_started < 0 or abs(now_started - started) < 0.05
