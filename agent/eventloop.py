"""The event loop a worker runs its checks on: uvloop's when it is installed, asyncio's otherwise.

Why: a site collector's worker spends a good part of a switch poll in the event loop
itself (one datagram out, one in, a timer and a future per SNMP request, ~17 requests per
switch); uvloop (libuv, in C) does that work for less CPU than asyncio's pure-Python
selector loop. bench/snmp_client_cpu.py measures both on the same tree. uvloop is a
dependency everywhere it builds (not on Windows); without it the standard loop runs the
same code, so nothing depends on which loop it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on uvloop's loop when uvloop can be imported."""
    try:
        import uvloop
    except ImportError:  # not installed (Windows has none): the standard loop
        return asyncio.run(main)
    return uvloop.run(main)
