"""A clock a test moves by hand: ``clock.now += timedelta(minutes=5)``."""

from __future__ import annotations

from datetime import datetime


class ManualClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now
