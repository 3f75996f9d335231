"""No cycle collection while a worker polls; what the polls keep is frozen out afterwards.

A worker keeps every run it polls until the ticket engine has seen them, at the end of its
cycle: 10,000 switch polls are ~640,000 results, millions of tracked objects. CPython's
collections walk what survived the last one again and again (a full one walks everything
each time the heap has grown by a quarter), so their cost grows with the site. A replica's
worker polling 3,000 switches twice spent 8.3 CPU-seconds in 4 full collections (up to
3.8 s each), 3.3 s in middle-generation ones and 3.2 s in young ones: ~2.5 ms per switch
poll, more than storing the poll's results costs.

So while the polls run the collector is off, and when they end in a worker everything
still tracked moves to the permanent generation (``gc.freeze``, a constant-time list
splice), out of the collections the ticket engine's pass would make. Elsewhere (a one-shot
command, the tests) nothing is frozen: a process that goes on must still collect it. Reference counting frees almost all of a
poll's garbage as usual; only reference cycles wait, and they wait until the worker ends
with its cycle. Measured (gc.collect() at the worker's exit): 21,730 cyclic objects after
6,000 healthy switch polls (under 4 per poll) and 40,879 after 1,500 polls of which 1,000
timed out (about 40 per timed-out poll; exception tracebacks), a few MB at most.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(freeze: bool | None = None) -> Iterator[None]:
    """No automatic collection inside; after it, what is tracked is frozen when ``freeze``
    (by default: in a process that ends with os._exit, a worker, where nothing frozen has to
    be collected later; a test or a one-shot command keeps collecting as before)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if EXIT_KEEPER.holding if freeze is None else freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


class ExitKeeper:
    """Holds what a worker would let go of at the end of its cycle until the process ends.

    A worker ends with ``os._exit`` (agent/worker.py ``finish``): nothing it holds then is
    freed. What it lets go of just before (the cycle's runs, the poll states) would be freed
    object by object for nothing: 1.4 CPU-seconds after 3,000 switch polls (py-spy: samples
    with no Python frame below ``run_tasks``), about 0.45 ms per poll. ``keep`` does nothing
    until ``hold_until_exit`` is called, so a test that runs a worker's tasks in-process
    does not keep them."""

    def __init__(self) -> None:
        self._held: list[object] | None = None

    def hold_until_exit(self) -> None:
        self._held = []

    @property
    def holding(self) -> bool:
        return self._held is not None

    def keep(self, *objects: object) -> None:
        if self._held is not None:
            self._held.extend(objects)


EXIT_KEEPER = ExitKeeper()
