"""`patrol run`'s worker (agent/worker.py): the plan it sends, the runs it stores and
streams, and the ways it ends (a hung check thread, a bad config, an unknown task)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.context import AppContext
from agent.wire import decode, run_from_json
from agent.worker import DEADLINE_MARGIN_S, Worker, run_tasks
from collectors.base import State
from collectors.registry import Registry
from config.loader import load_settings
from tests.core import fakes

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "patrol.yaml"
    path.write_text("agent: {site: hq, name: pc-1}\n"
                    "runner: {concurrency: 2}\n"
                    "checks:\n  plugins:\n"
                    "    ok: {timeout_s: 5, schedule: {interval_s: 90, jitter_s: 3}}\n"
                    "    raising: {enabled: false}\n")
    return path


@pytest.fixture
def context(config):
    """A starter for contexts over ``config`` with the named fake families; closed at teardown."""
    opened: list[AppContext] = []

    def start(*names: str) -> AppContext:
        ctx = AppContext(load_settings(config), config)
        by_name = {c.name: c for c in (fakes.OkCollector, fakes.RaisingCollector, fakes.HangingCollector)}
        ctx.__dict__["registry"] = Registry({n: by_name[n]() for n in names})
        opened.append(ctx)
        return ctx

    yield start
    for ctx in opened:
        ctx.close()


def execute(ctx: AppContext, *tasks: str) -> tuple[int, list]:
    lines: list[str] = []
    code = run_tasks(ctx, tasks, lines.append, "9.9")
    return code, [decode(line) for line in lines]


def test_plan_lists_the_due_jobs_seeds_metrics_and_audits_the_start(context):
    ctx = context("ok", "raising")
    code, messages = execute(ctx, "check:ok")  # something to seed from
    assert code == 0
    code, messages = execute(ctx, "plan")
    assert code == 0
    plan = next(m.body for m in messages if m.kind == "plan")
    jobs = {j["id"]: j for j in plan["jobs"]}
    assert set(jobs) == {"check:ok", "store:prune", "tickets:outbox",  # raising is disabled
                         "report:report-monthly-inspection", "report:report-quarterly-faults",
                         "report:report-contract-end"}
    assert jobs["report:report-monthly-inspection"]["cron"] == "0 6 1 * *"
    assert jobs["check:ok"] | {"deadline_s": 0} == {
        "id": "check:ok", "interval_s": 90, "jitter_s": 3, "cron": None, "misfire_grace_s": 60, "deadline_s": 0}
    assert jobs["check:ok"]["deadline_s"] == 5 + DEADLINE_MARGIN_S  # one target, one wave
    assert jobs["tickets:outbox"]["when_pending"] == "tickets"
    assert plan["site"] == "hq" and plan["version"] == "9.9"
    assert plan["exporter"] == {"enabled": True, "listen": "127.0.0.1:9469"}
    assert plan["log"]["file"].endswith("patrol.log")
    latest = next(m.body for m in messages if m.kind == "latest")
    assert [r["result"]["check"] for r in latest["runs"]] == ["ok.value"]
    assert ctx.store.audit_entries(limit=1)[0].action == "daemon.start"


def test_checks_are_stored_and_streamed_as_they_finish(context):
    ctx = context("ok")
    code, messages = execute(ctx, "check:ok")
    assert code == 0
    runs = [run_from_json(m.body["run"]) for m in messages if m.kind == "run"]
    assert [(r.collector, r.target, r.state) for r in runs] == [("ok", "pc-1", State.OK)]
    assert [(m.body["pending"], m.body["open"]) for m in messages if m.kind == "outbox"] == [(0, {})]
    assert [s.result.check for s in ctx.store.latest()] == ["ok.value"]


def test_a_failing_task_does_not_hide_the_others(context):
    ctx = context("ok")
    code, messages = execute(ctx, "report:no-such-report", "check:ok", "stop:1")
    assert code == 1
    assert any(m.kind == "run" for m in messages)
    last = ctx.store.audit_entries(limit=1)[0]
    assert last.action == "daemon.stop" and last.detail == {"cancelled_runs": 1}


def test_a_worker_with_a_check_thread_stuck_past_its_timeout_still_exits(config, tmp_path):
    config.write_text(config.read_text() + "    hanging: {timeout_s: 1, sleep_s: 120}\n")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "tests.core.daemon_script", "worker", str(config), "hanging",
                           "check:hanging"], cwd=REPO, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert elapsed < 10, elapsed  # not the 120 s the thread is still sleeping
    runs = [run_from_json(decode(line).body["run"]) for line in done.stdout.splitlines() if '"kind":"run"' in line]
    assert runs[0].state is State.UNKNOWN and "timed out after 1 s" in runs[0].error


@pytest.mark.parametrize("command", [["-m", "agent.worker", "--config", "{}", "plan"],
                                     ["-m", "agent.cli", "-c", "{}", "run"]])
def test_a_bad_config_stops_the_worker_and_patrol_run_with_the_line(tmp_path, command):
    bad = tmp_path / "patrol.yaml"
    bad.write_text("agent:\n  site: hq\nchecks:\n  system:\n    schedule: {intervall_s: 5}\n")
    argv = [sys.executable, *[part.replace("{}", str(bad)) for part in command]]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "patrol.yaml:5" in done.stderr and "did you mean 'interval_s'" in done.stderr


def test_unknown_tasks_are_refused(context):
    ctx = context("ok")
    assert execute(ctx, "dance")[0] == 1


def test_the_tickets_outbox_task_reports_what_is_pending(context):
    ctx = context("ok")
    code, messages = execute(ctx, "tickets:outbox")
    assert code == 0 and [m.body["pending"] for m in messages if m.kind == "outbox"] == [0]


def test_worker_class_emits_nothing_for_a_batch_without_checks(context):
    ctx = context("ok")
    lines: list[str] = []
    assert asyncio.run(Worker(ctx, lines.append).execute(["store:prune"])) == 0
    assert lines == []


def test_each_cycle_logs_one_tickets_line_and_reports_ticket_activity(context, caplog):
    ctx = context("ok")
    caplog.set_level("INFO", logger="agent.worker")
    code, messages = execute(ctx, "check:ok")
    assert code == 0
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("tickets:")] == ["tickets: no change"]
    [activity] = [m.body for m in messages if m.kind == "outbox"]
    assert (activity["site"], activity["pending"], activity["oldest_queued_at"]) == ("hq", 0, None)


def test_a_confirmation_task_checks_only_its_target(context):
    ctx = context("ok")
    code, messages = execute(ctx, "confirm:ok:pc-1")
    assert code == 0
    assert [(r["collector"], r["target"]) for r in (m.body["run"] for m in messages if m.kind == "run")] == [
        ("ok", "pc-1")]
    code, messages = execute(ctx, "confirm:ok:no-such-target")
    assert code == 0 and not [m for m in messages if m.kind == "run"]
