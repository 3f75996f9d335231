"""Small collectors for runner, scheduler and daemon tests: real code paths, controlled behaviour."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from collectors.base import CheckResult, CollectorIO, Metric, State
from config.checks.base import CheckParams
from inventory.models import Host, Inventory


class FakeParams(CheckParams):
    sleep_s: float = 0.0


class _Base:
    name: ClassVar[str] = "fake"
    params_model: ClassVar[type[FakeParams]] = FakeParams

    def targets(self, params: FakeParams, inventory: Inventory) -> list[Host]:
        return [inventory.local]

    def parse(self, raw: Any) -> Any:
        return raw

    def evaluate(self, model: Any, params: FakeParams, target: Host, now: datetime) -> Iterable[CheckResult]:
        yield CheckResult(f"{self.name}.value", target.name, "", State.OK, f"value {model}",
                          metrics=(Metric("fake_value_ratio", float(model), "ratio"),), observed_at=now)


class OkCollector(_Base):
    name = "ok"

    def fetch(self, target: Host, params: FakeParams, io: CollectorIO) -> float:
        return 0.5


class RaisingCollector(_Base):
    name = "raising"

    def fetch(self, target: Host, params: FakeParams, io: CollectorIO) -> float:
        raise RuntimeError("device said\nsomething multi-line\tand odd")


class HangingCollector(_Base):
    """A blocking fetch that never returns in time (the thread is abandoned by the runner)."""

    name = "hanging"

    def fetch(self, target: Host, params: FakeParams, io: CollectorIO) -> float:
        time.sleep(params.sleep_s or 30)
        return 1.0


class AsyncHangingCollector(_Base):
    name = "async_hanging"

    async def fetch(self, target: Host, params: FakeParams, io: CollectorIO) -> float:
        await asyncio.sleep(params.sleep_s or 30)
        return 1.0


class BadEvaluateCollector(_Base):
    name = "bad_evaluate"

    def fetch(self, target: Host, params: FakeParams, io: CollectorIO) -> float:
        return 0.1

    def evaluate(self, model: Any, params: FakeParams, target: Host, now: datetime) -> Iterable[CheckResult]:
        yield "not a result"  # type: ignore[misc]


class CountingSlowCollector(_Base):
    """Records how many of its runs overlap: the scheduler must never let two run at once."""

    name = "slow"
    running = 0
    max_running = 0
    started = 0

    async def fetch(self, target: Host, params: FakeParams, io: CollectorIO) -> float:
        cls = type(self)
        cls.running += 1
        cls.started += 1
        cls.max_running = max(cls.max_running, cls.running)
        try:
            await asyncio.sleep(params.sleep_s)
        finally:
            cls.running -= 1
        return 0.2
