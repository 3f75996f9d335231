"""`patrol run` shares workers between check families due at about the same time
(agent/daemon.py), on a real APScheduler with a launcher that records instead of starting
processes."""

from __future__ import annotations

import asyncio

from agent.daemon import Batcher, Daemon, JobSpec
from agent.launcher import WorkerExit
from agent.scheduler import TaskTracker, build_scheduler


class RecordingLauncher:
    def __init__(self, takes_s: float = 0.05) -> None:
        self.takes_s = takes_s
        self.batches: list[tuple[str, ...]] = []
        self.running: list[str] = []
        self.overlaps: list[str] = []

    async def run(self, tasks, deadline_s, **_kw) -> WorkerExit:
        self.batches.append(tuple(tasks))
        self.overlaps += [t for t in tasks if t in self.running]
        self.running += tasks
        await asyncio.sleep(self.takes_s)
        for task in tasks:
            self.running.remove(task)
        return WorkerExit(0, False, ())


def spec(name: str, interval_s: float, cron: str | None = None) -> JobSpec:
    return JobSpec(f"check:{name}", interval_s, 0.0, cron, 60.0, 30.0)


def run_schedule(specs: list[JobSpec], seconds: float, launcher: RecordingLauncher | None = None
                 ) -> list[tuple[str, ...]]:
    launcher = launcher or RecordingLauncher()

    async def scenario() -> list[tuple[str, ...]]:
        daemon = Daemon(["unused"], batch_window_s=0.1)
        daemon.launcher = launcher  # type: ignore[assignment]
        daemon.specs = {s.id: s for s in specs}
        tracker = TaskTracker()
        now = daemon.clock()
        daemon.scheduler = build_scheduler(daemon.jobs(now), tracker, now)
        daemon.scheduler.start()
        await asyncio.sleep(seconds)
        daemon.scheduler.shutdown(wait=False)
        await tracker.stop(1)
        return launcher.batches

    return asyncio.run(scenario())


def test_families_started_together_share_one_worker():
    batches = run_schedule([spec("system", 60), spec("patches", 3600), spec("web", 300)], 1.6)
    assert batches == [("check:patches", "check:system", "check:web")]


def test_a_family_due_soon_after_a_batch_runs_early_with_it():
    # system every 1 s; "other" every 2.3 s would run alone at 3.3 s, but is due within a
    # quarter of its interval (0.575 s) when system's batch at 3 s forms: it joins that one.
    batches = run_schedule([spec("system", 1.0), spec("other", 2.3)], 5.7)
    with_other = [b for b in batches if "check:other" in b]
    assert len(with_other) >= 2, batches
    assert all("check:system" in b for b in with_other), batches
    assert all(len(b) in (1, 2) for b in batches) and len(batches) == sum("check:system" in b for b in batches)


def test_a_family_due_just_before_a_batch_waits_for_it():
    # "other" every 1.8 s is due at 2.8 s, 0.2 s before system's run at 3 s: it waits and joins.
    batches = run_schedule([spec("system", 1.0), spec("other", 1.8)], 5.7)
    with_other = [b for b in batches if "check:other" in b]
    assert len(with_other) >= 2, batches
    assert all("check:system" in b for b in with_other), batches


def test_a_family_slower_than_its_interval_never_has_two_workers():
    launcher = RecordingLauncher(takes_s=1.2)
    batches = run_schedule([spec("system", 0.3), spec("other", 0.5)], 4.0, launcher)
    assert launcher.overlaps == [] and 2 <= len(batches) <= 4, batches


def test_cron_families_are_never_moved():
    assert spec("report", 0, cron="0 6 * * *").pull_window_s() == 0
    assert spec("system", 120).pull_window_s() == 30
    assert spec("patches", 21600).pull_window_s() == 120


def test_a_batch_that_cannot_start_does_not_stop_the_schedule():
    class Broken:
        async def run(self, tasks, deadline_s, **_kw):
            raise FileNotFoundError("python3.11: not found")

    async def scenario() -> None:
        batcher = Batcher(Broken(), lambda _task: None, 0.05)  # type: ignore[arg-type]
        await asyncio.wait_for(batcher.submit("check:system", 30), 2)
        await asyncio.wait_for(batcher.submit("check:system", 30), 2)  # the next one forms a new batch

    asyncio.run(scenario())


def test_a_worker_that_dies_makes_the_next_outbox_run_look():
    """It may have died holding outbox claims: the `when_pending` outbox job must not skip its next turn."""
    from agent.daemon import Daemon
    from agent.launcher import WorkerExit

    daemon = Daemon(["unused"])
    daemon.state.pending["tickets"] = 0
    daemon._worker_exited(WorkerExit(code=0, killed=False, stderr_text=()))
    assert daemon.state.outbox_pending == 0
    daemon._worker_exited(WorkerExit(code=-9, killed=False, stderr_text=()))
    assert daemon.state.outbox_pending == 1
    daemon.state.pending["tickets"] = 0
    daemon._worker_exited(WorkerExit(code=-15, killed=True, stderr_text=()))
    assert daemon.state.outbox_pending == 1


def test_a_confirmation_runs_after_its_delay_once_and_not_beside_its_family():
    async def scenario() -> list[tuple[str, ...]]:
        from agent.wire import Message

        launcher = RecordingLauncher()
        daemon = Daemon(["unused"])
        daemon.launcher = launcher  # type: ignore[assignment]
        daemon.specs = {"check:switch": spec("switch", 300)}
        body = {"tasks": ["confirm:switch:sw1"], "after_s": 0.3}
        daemon.state.on_message(Message("confirm", body))
        daemon.state.on_message(Message("confirm", body))  # asked twice: run once
        await asyncio.sleep(0.1)
        assert launcher.batches == []  # not before its delay
        await asyncio.sleep(0.5)
        daemon.running.add("check:switch")  # the family itself is running: a confirmation now would overlap it
        daemon.state.on_message(Message("confirm", body))
        await asyncio.sleep(0.5)
        return launcher.batches

    assert asyncio.run(scenario()) == [("confirm:switch:sw1",)]
