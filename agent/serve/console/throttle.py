"""Login throttling: after a few failures a user name, or an address, must wait.

Kept in memory: a restart forgets the counts, which costs an attacker one restart of the
collector per few guesses (not something they can cause). Each key is a sliding window
of failure times; the lock-out grows with the failures inside it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=15)
FREE_FAILURES = {"user": 5, "address": 20}  # an office behind one NAT shares an address
MAX_KEYS = 10_000  # guesses at made-up user names must not grow memory without end


class Throttle:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > WINDOW:
            times.popleft()
        return times

    def wait_s(self, username: str, address: str) -> float:
        """Seconds to wait before another attempt may be tried (0: go ahead)."""
        now = self.clock()
        longest = 0.0
        with self._lock:
            for kind, value in (("user", username.lower()), ("address", address)):
                times = self._recent((kind, value), now)
                over = len(times) - FREE_FAILURES[kind]
                if over >= 0:
                    delay = min(2.0 ** over * 30.0, WINDOW.total_seconds())
                    longest = max(longest, delay - (now - times[-1]).total_seconds())
        return max(0.0, longest)

    def failed(self, username: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                for key in [k for k, times in self._failures.items() if not times or now - times[-1] > WINDOW]:
                    del self._failures[key]
            for key in (("user", username.lower()), ("address", address)):
                self._recent(key, now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(("user", username.lower()), None)
