"""A lock shared by the processes of one agent (a file lock in the state directory).

`patrol run` starts a worker per batch of due checks, and two workers (a slow switch poll
and the system checks) may end at the same time; the ticket engine reads findings and
tickets, decides and writes them back, so two engines at once would overwrite each
other's decisions. An engineer's `patrol tickets ack` is a third process doing the same.
The operating system releases the lock when its holder dies, so a killed worker never
leaves it held.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

POLL_S = 0.05


class LockTimeout(TimeoutError):
    pass


def _try_lock(handle: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unlock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def interlock(path: Path, timeout_s: float) -> Iterator[None]:
    """Hold the lock file ``path`` (created if missing); LockTimeout after ``timeout_s``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        deadline = time.monotonic() + timeout_s
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                raise LockTimeout(f"{path} is held by another Patrol process for more than {timeout_s:g} s")
            time.sleep(POLL_S)
        try:
            yield
        finally:
            _unlock(handle)
