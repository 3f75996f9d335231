"""agent/eventloop.py: workers run on uvloop when it is installed and on asyncio's loop when not."""

from __future__ import annotations

import asyncio
import sys

import pytest

from agent import eventloop


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_runs_the_worker_when_installed() -> None:
    pytest.importorskip("uvloop")
    assert eventloop.run(_loop_module()).startswith("uvloop")


def test_without_uvloop_asyncio_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` now raises ImportError
    assert eventloop.run(_loop_module()).startswith("asyncio")


def test_a_cancelled_main_is_reported_as_asyncio_cancels_it() -> None:
    async def cancelled() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().call_soon(task.cancel)  # as the worker's SIGTERM handler does
        await asyncio.sleep(10)

    with pytest.raises(asyncio.CancelledError):
        eventloop.run(cancelled())
