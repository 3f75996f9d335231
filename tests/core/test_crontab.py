"""Cron schedules fire when crontab(5) says: APScheduler 3 reads weekday numbers as 0 = Monday,
so Patrol turns them into day names first (agent/scheduler.py crontab_trigger)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from agent.scheduler import crontab_trigger

FRIDAY = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)  # 2026-12-04 is a Friday


def fires(cron: str, count: int = 7) -> list[str]:
    trigger, at, out = crontab_trigger(cron, "UTC"), FRIDAY, []
    for _ in range(count):
        at = trigger.get_next_fire_time(None, at + timedelta(microseconds=1))
        out.append(at.strftime("%a"))
    return out


@pytest.mark.parametrize(("cron", "days"), [
    ("0 8 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon", "Tue"]),   # Monday to Friday, as crontab reads it
    ("0 8 * * 0", ["Sun"] * 3),                                            # 0 is Sunday ...
    ("0 8 * * 7", ["Sun"] * 3),                                            # ... and so is 7
    ("0 8 * * 5-7", ["Sat", "Sun", "Fri", "Sat", "Sun"]),
    ("0 8 * * 1,3", ["Mon", "Wed", "Mon"]),
    ("0 8 * * */2", ["Sat", "Sun", "Tue", "Thu", "Sat"]),                  # 0,2,4,6
    ("0 8 * * mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]),       # names were always right
    ("0 8 * * *", ["Sat", "Sun", "Mon"]),
])
def test_weekday_numbers_mean_what_crontab_says(cron, days):
    assert fires(cron, len(days)) == days


@pytest.mark.parametrize("cron", ["0 8 * * 8", "0 8 * * 5-2", "0 8 * *", "61 * * * *"])
def test_a_bad_expression_is_a_clear_error(cron):
    with pytest.raises(ValueError, match="invalid cron expression"):
        crontab_trigger(cron)
