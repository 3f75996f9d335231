"""Hands stored runs to each site's ticket engine, off the request path.

Pushed batches are answered as soon as they are stored; the ticket decisions for them are
made here, in one thread, every few seconds, for all the runs that arrived meanwhile. So
a site's storm control and dependency suppression see every agent's results together
(the point of a collector), a slow ticket system never slows a push, and one site's
failure never stops another's.

A collector that crashes between storing a batch and deciding on it loses no result,
only that one observation of the ticket engine: findings count consecutive results, and
the next push counts again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from collectors.base import CheckRun

log = logging.getLogger(__name__)


class TicketDecider(Protocol):
    """What the pump needs of agent.ticketing.service.TicketingService."""

    def process(self, runs: Sequence[CheckRun]) -> Any: ...


class TicketPump:
    def __init__(self, service_for: Callable[[str], TicketDecider | None], delay_s: float = 5.0):
        self.service_for = service_for
        self.delay_s = delay_s
        self._pending: dict[str, list[CheckRun]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.cycles = 0

    def submit(self, site: str, runs: Sequence[CheckRun]) -> None:
        if not runs:
            return
        with self._lock:
            self._pending.setdefault(site, []).extend(runs)
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ticket-pump", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Decide on what is pending, then stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            # Gather what arrives in the next moments into one decision per site.
            self._stop.wait(self.delay_s)
            self._wake.clear()
            self.run_once()
        self.run_once()

    def run_once(self) -> int:
        with self._lock:
            pending, self._pending = self._pending, {}
        for site, runs in pending.items():
            try:
                service = self.service_for(site)
                if service is not None:
                    summary = service.process(runs)
                    describe = getattr(summary, "describe", None)
                    text = describe() if callable(describe) else ""
                    if text and not text.endswith("no change"):
                        log.info("tickets [%s]: %s", site, text)
            except Exception as exc:  # one site's ticket failure must not stop the others
                log.error("ticket decisions for site %s failed: %s: %s", site, type(exc).__name__, exc)
                log.debug("ticket decisions failed", exc_info=True)
        self.cycles += 1
        return sum(len(r) for r in pending.values())
