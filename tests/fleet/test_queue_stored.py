"""Queueing from the agent's own store: a worker stopped or killed between storing its runs
and queueing them loses nothing, and no run is queued twice (agent/run/outbox.py)."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest

from agent.store import Store
from collectors.base import CheckResult, CheckRun, Metric, MessageRef, State

AT = datetime(2026, 12, 6, 5, 0, tzinfo=timezone.utc)


def stored_run(store: Store, n: int, *, results: int = 2) -> CheckRun:
    at = AT + timedelta(minutes=n)
    run = CheckRun(collector="system", target="pc-0412", started_at=at, duration_s=0.5, results=tuple(
        CheckResult(check="system.disk", target="pc-0412", item=f"/d{i}", state=State.WARN, summary=f"run {n} disk {i}",
                    details="85% used", metrics=(Metric("disk_used_ratio", 0.85, "ratio", (("mount", f"/d{i}"),)),),
                    observed_at=at, message=MessageRef("system.disk.used", (("pct", 85),)))
        for i in range(results)))
    store.record_run(run)
    return run


def queued_runs(pusher) -> list[dict]:
    rows = pusher.outbox.db.execute("SELECT body FROM batches ORDER BY seq").fetchall()
    return [run for (body,) in rows for run in json.loads(gzip.decompress(body))]


@pytest.fixture
def store(tmp_path):
    opened = Store.open(f"sqlite:///{tmp_path / 'patrol.db'}", "hq")
    yield opened
    opened.close()


def test_runs_stored_before_the_agent_began_pushing_are_not_sent(store, make_pusher):
    stored_run(store, 1)
    pusher = make_pusher("https://127.0.0.1:9")
    pusher.start_from(store)
    assert pusher.queue_stored(store) == []
    stored_run(store, 2)
    assert len(pusher.queue_stored(store)) == 1
    assert [r["results"][0]["summary"] for r in queued_runs(pusher)] == ["run 2 disk 0"]


def test_a_run_stored_by_a_worker_that_died_before_queueing_is_queued_by_the_next_one(store, make_pusher):
    first = make_pusher("https://127.0.0.1:9")
    first.start_from(store)
    stored_run(store, 1)
    first.queue_stored(store)
    stored_run(store, 2)  # ... and the worker is killed here: stored, never queued
    first.close()
    second = make_pusher("https://127.0.0.1:9")  # the next worker, on the same outbox file
    second.start_from(store)  # begun already: does not skip run 2
    stored_run(store, 3)
    second.queue_stored(store)
    summaries = [r["results"][0]["summary"] for r in queued_runs(second)]
    assert summaries == ["run 1 disk 0", "run 2 disk 0", "run 3 disk 0"]


def test_a_queued_run_is_what_was_measured(store, make_pusher):
    from agent.fleet.protocol import run_to_wire
    from agent.run.push import fit_to_protocol

    pusher = make_pusher("https://127.0.0.1:9")
    pusher.start_from(store)
    run = stored_run(store, 1, results=3)
    pusher.queue_stored(store)
    assert queued_runs(pusher) == [json.loads(json.dumps(fit_to_protocol(run_to_wire(run))))]


def test_two_workers_queueing_at_once_queue_each_run_once(store, make_pusher):
    pushers = [make_pusher("https://127.0.0.1:9") for _ in range(2)]
    pushers[0].start_from(store)
    for n in range(1, 41):
        stored_run(store, n, results=1)
    barrier = threading.Barrier(2)

    def queue(pusher) -> None:
        barrier.wait()
        pusher.queue_stored(store, runs_per_read=7)  # several rounds: interleaving would show

    threads = [threading.Thread(target=queue, args=(p,)) for p in pushers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    summaries = [r["results"][0]["summary"] for r in queued_runs(pushers[0])]
    assert summaries == [f"run {n} disk 0" for n in range(1, 41)]


def test_results_of_other_runs_are_not_mixed_in(store, make_pusher):
    """Runs read in rounds: a round that stops mid-way never takes a later run's results."""
    pusher = make_pusher("https://127.0.0.1:9")
    pusher.start_from(store)
    for n in range(1, 6):
        stored_run(store, n, results=n)
    pusher.queue_stored(store, runs_per_read=2)
    runs = queued_runs(pusher)
    assert [len(r["results"]) for r in runs] == [1, 2, 3, 4, 5]
    assert all(res["summary"].startswith(f"run {i} ") for i, r in enumerate(runs, 1) for res in r["results"])
