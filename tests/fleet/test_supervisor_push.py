"""The supervisor's side of push mode: job specs, the ``push`` message, /metrics, and no heavy imports."""

from __future__ import annotations

import subprocess
import sys

from agent.daemon import JobSpec, SupervisorState
from agent.exporter import Snapshot, build_registry
from agent.wire import decode, encode
from prometheus_client import generate_latest


def spec(**extra):
    return JobSpec.from_json({"id": "push:outbox", "interval_s": 30, "misfire_grace_s": 30, "deadline_s": 60, **extra})


def test_job_specs_name_their_queue_and_first_run():
    assert spec(when_pending="push").when_pending == "push"
    assert spec(when_pending=True).when_pending == "tickets"  # what an older worker sends
    assert spec().when_pending == "" and spec().first_run_s is None
    assert spec(first_run_s=2).first_run_s == 2.0


def test_push_message_feeds_pending_and_metrics():
    state = SupervisorState()
    state.snapshot = Snapshot("acme")
    state.on_message(decode(encode("outbox", pending=3)))
    state.on_message(decode(encode("push", pending=4, held=1, dropped_total=17, last_success=1_800_000_000.5)))
    assert state.pending == {"tickets": 3, "push": 4} and state.outbox_pending == 3
    text = generate_latest(build_registry(state.snapshot, "1.0")).decode()
    assert "patrol_push_pending_batches 4.0" in text
    assert "patrol_push_dropped_results_total 17.0" in text
    assert "patrol_push_last_success_timestamp_seconds 1.8000000005e+09" in text


def test_standalone_metrics_have_no_push_series():
    text = generate_latest(build_registry(Snapshot("acme"), "1.0")).decode()
    assert "patrol_push_" not in text


def test_the_supervisor_still_imports_no_pydantic_or_sqlalchemy():
    code = ("import sys, agent.daemon, agent.exporter, agent.wire, config.fleet_state; "
            "print(sorted(m for m in ('pydantic', 'sqlalchemy', 'requests') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
