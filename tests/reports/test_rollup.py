"""The daily rollup: counts, problem starts and evidence per day, the same by SQL and in Python."""

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from agent.reports import rollup
from agent.reports.demo import seed_demo
from agent.store import Store
from collectors.base import CheckResult, CheckRun, State

T0 = datetime(2026, 10, 1, 0, 0, tzinfo=timezone.utc)


def store_with(states: str, *, start: datetime = T0, step: timedelta = timedelta(hours=5)) -> Store:
    """One item's history written through Store.record_run; states like "ooWWoC" (o ok, W warn, C crit, U unknown)."""
    store = Store.open("sqlite:///:memory:", "s1")
    names = {"o": State.OK, "W": State.WARN, "C": State.CRIT, "U": State.UNKNOWN}
    for i, ch in enumerate(states):
        at = start + i * step
        result = CheckResult("system.disk", "pc-1", "C:", names[ch], f"sample {i} {ch}", observed_at=at)
        store.record_run(CheckRun("system", "pc-1", at, 0.1, (result,)))
    return store


def days(store: Store) -> list[rollup.DayRow]:
    return list(rollup.days_between(store.engine, date(2000, 1, 1), date(2100, 1, 1)))


CASES = [
    # states every 5 h from 00:00 UTC: day 1 gets 5 results (00..20h), day 2 the rest
    ("ooooo", [(5, 0, "ok")]),
    ("oWWoo" "CC", [(5, 1, "ok"), (2, 1, "crit")]),  # a problem on day 1, another starting on day 2
    ("WWWWW" "WW", [(5, 1, "warn"), (2, 0, "warn")]),  # the first result of a key counts as a start if bad
    ("oWoWo" "Uo", [(5, 2, "ok"), (2, 1, "ok")]),  # flapping: every OK -> not OK is a start
]


@pytest.mark.parametrize("portable", [False, True], ids=["sql", "python"])
@pytest.mark.parametrize("states,expected", CASES, ids=[c[0] for c in CASES])
def test_counts_starts_and_last_state_per_day(states, expected, portable):
    store = store_with(states)
    rollup.refresh(store.engine, "UTC", portable=portable)
    got = [(d.samples, d.starts, d.last_state) for d in days(store)]
    assert got == expected


@pytest.mark.parametrize("portable", [False, True], ids=["sql", "python"])
def test_last_problem_summary_is_kept_when_the_day_ends_ok(portable):
    store = store_with("oCCoo")
    rollup.refresh(store.engine, "UTC", portable=portable)
    (day,) = days(store)
    assert (day.last_summary, day.last_bad_summary) == ("sample 4 o", "sample 2 C")


@pytest.mark.parametrize("portable", [False, True], ids=["sql", "python"])
def test_incremental_refresh_equals_one_pass(portable):
    whole = store_with("oWWoCCoWoo")
    rollup.refresh(whole.engine, "UTC", portable=portable)
    split = store_with("oWW")  # the same history, folded in three steps
    rollup.refresh(split.engine, "UTC", portable=portable)
    names = {"o": State.OK, "W": State.WARN, "C": State.CRIT}
    for i, ch in enumerate("oCCoWoo", start=3):
        at = T0 + i * timedelta(hours=5)
        split.record_run(CheckRun("system", "pc-1", at, 0.1, (
            CheckResult("system.disk", "pc-1", "C:", names[ch], f"sample {i} {ch}", observed_at=at),)))
        if i in (5, 9):
            rollup.refresh(split.engine, "UTC", portable=portable)
    assert days(split) == days(whole)


def test_days_are_local_days_of_the_report_zone():
    store = store_with("oooo", start=datetime(2026, 10, 1, 15, 0, tzinfo=timezone.utc), step=timedelta(hours=1))
    rollup.refresh(store.engine, "Asia/Shanghai")  # 15:00 UTC is 23:00 in Shanghai, 16:00 UTC the next day
    assert [(d.day, d.samples) for d in days(store)] == [(date(2026, 10, 1), 1), (date(2026, 10, 2), 3)]
    rollup.refresh(store.engine, "UTC")  # a new zone rebuilds the rollup
    assert [(d.day, d.samples) for d in days(store)] == [(date(2026, 10, 1), 4)]


def test_sql_and_python_folds_agree_on_the_demo_history():
    out = []
    for portable in (False, True):
        store = Store.open("sqlite:///:memory:", "demo-hq")
        seed_demo(store, days=20)
        rollup.refresh(store.engine, "Asia/Shanghai", portable=portable)
        with store.engine.connect() as conn:
            out.append(conn.execute(sa.select(rollup.rollup_days)
                                    .order_by(*rollup.rollup_days.primary_key.columns)).all())
    assert len(out[0]) > 1000
    assert out[0] == out[1]


def test_concurrent_refreshes_while_results_arrive_count_each_result_once(tmp_path):
    """Two report builds refreshing at once while the agent writes: no double count, no lock error."""
    import threading

    url = f"sqlite:///{tmp_path}/s.sqlite"
    writer = Store.open(url, "s1")
    rollup.ensure_schema(writer.engine)
    errors: list[BaseException] = []
    done = threading.Event()

    def write():
        for i in range(300):
            at = T0 + i * timedelta(minutes=5)
            writer.record_run(CheckRun("system", "pc-1", at, 0.1, (
                CheckResult("system.disk", "pc-1", "C:", State.WARN if i % 7 == 0 else State.OK, "x", observed_at=at),)))
        done.set()

    def refresh():
        store = Store.open(url, "s1")
        try:
            while not done.is_set():
                rollup.refresh(store.engine, "UTC")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=write)] + [threading.Thread(target=refresh) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    rollup.refresh(writer.engine, "UTC")
    assert errors == []
    rows = days(writer)
    assert sum(d.samples for d in rows) == 300
    assert sum(d.starts for d in rows) == sum(1 for i in range(300) if i % 7 == 0)
    writer.close()
