"""A plan that arrives while `patrol run` runs (new check settings from the collector) reschedules its jobs."""

from __future__ import annotations

import asyncio
from datetime import datetime

from agent.daemon import Daemon
from agent.scheduler import PlannedJob, TaskTracker, build_scheduler
from agent.wire import decode, encode
from apscheduler.triggers.interval import IntervalTrigger


def job(id_: str, interval_s: float, **extra) -> dict:
    return {"id": id_, "interval_s": interval_s, "jitter_s": 0, "cron": None, "misfire_grace_s": 60,
            "deadline_s": 120, **extra}


def test_jobs_without_a_first_run_are_scheduled_not_paused():
    async def scenario() -> datetime | None:
        async def nothing() -> None:
            pass

        now = datetime.now().astimezone()
        scheduler = build_scheduler([PlannedJob("store:prune", IntervalTrigger(seconds=60), nothing, 60)],
                                    TaskTracker(), now)
        scheduler.start()
        try:
            return scheduler.get_job("store:prune").next_run_time
        finally:
            scheduler.shutdown(wait=False)

    assert asyncio.run(scenario()) is not None  # None would be a paused job that never runs


def test_a_new_plan_changes_adds_and_removes_jobs():
    async def scenario() -> dict:
        daemon = Daemon(["true"])
        daemon.specs = {}
        plan = {"jobs": [job("check:system", 120), job("check:printers", 300), job("push:outbox", 30, when_pending="push")]}
        daemon.state.on_message(decode(encode("plan", **plan)))  # before the start: no re-plan
        from agent.daemon import JobSpec

        daemon.specs = {s.id: s for s in (JobSpec.from_json(j) for j in plan["jobs"])}
        now = daemon.clock()
        daemon.scheduler = build_scheduler(daemon.jobs(now), daemon.tracker, now)
        daemon.state.on_plan = daemon.replan
        daemon.scheduler.start()
        try:
            new = {"jobs": [job("check:system", 600), job("check:web", 900), job("push:outbox", 30, when_pending="push")]}
            daemon.state.on_message(decode(encode("plan", **new)))
            jobs = {j.id: j for j in daemon.scheduler.get_jobs()}
            return {i: (j.trigger.interval.total_seconds(), j.next_run_time is not None) for i, j in jobs.items()}
        finally:
            daemon.scheduler.shutdown(wait=False)

    assert asyncio.run(scenario()) == {"check:system": (600.0, True), "check:web": (900.0, True),
                                       "push:outbox": (30.0, True)}


def test_a_changed_central_schedule_makes_the_pulling_worker_send_a_new_plan(collector, pki, tmp_path):
    import json

    from agent.context import AppContext
    from agent.fleet.protocol import CONFIG_PATH
    from agent.worker import Worker
    from config.fleet_state import FleetPaths
    from config.loader import load_settings
    from tests.support.fleet import agent_config

    config = agent_config(tmp_path / "pc", name="pc-1", exporter_port=19999, interval_s=120)
    paths = FleetPaths.under(config.parent / "state")
    paths.root.mkdir(parents=True)
    paths.ca.write_bytes(pki.ca_pem)
    paths.enrolment.write_text(json.dumps({"url": collector.url, "agent_id": "e" * 32, "site": "default",
                                           "target": "pc-1", "credential": "pac_replan-test"}))
    central = {"site": "default", "target": "pc-1", "local_overrides": ["*.enabled"],
               "checks": {"system": {"schedule": {"interval_s": 600, "jitter_s": 0}}}}
    collector.script.push(CONFIG_PATH, (200, central, {"ETag": '"v2"'}), (304, None, {}))
    sent: list[str] = []
    ctx = AppContext(load_settings(config), config)
    worker = Worker(ctx, sent.append, "1.0")
    try:
        asyncio.run(worker.other("config:pull"))
        asyncio.run(worker.other("config:pull"))  # unchanged (304): no second plan
        assert worker.pusher().interval_s() == 600  # the batches tell the collector the new interval
    finally:
        worker.close()
        ctx.close()
    plans = [decode(line).body for line in sent if decode(line).kind == "plan"]
    assert len(plans) == 1
    system = next(j for j in plans[0]["jobs"] if j["id"] == "check:system")
    assert system["interval_s"] == 600
