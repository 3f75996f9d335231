"""The worker -> supervisor line format (agent/wire.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from agent.wire import WireError, decode, encode, latest_from_json, run_from_json, run_to_json
from collectors.base import CheckResult, CheckRun, Metric, State

AT = datetime(2026, 11, 22, 8, 30, 5, 123456, tzinfo=timezone.utc)


def sample_run() -> CheckRun:
    port = CheckResult("switch.port", "sw-1", "Gi1/0/48", State.WARN, "errors rising", "CRC 12/min",
                       (Metric("port_errors_total", 12.0, "total", (("direction", "in"),)),
                        Metric("port_speed_bits_per_second", 1e9, "bits_per_second")), AT)
    unknown = CheckResult("switch.reachability", "sw-1", "", State.UNKNOWN, "timed out 端口", observed_at=AT)
    return CheckRun("switch", "sw-1", AT, 1.25, (port, unknown), error=None)


def test_a_run_survives_the_round_trip_exactly():
    run = sample_run()
    message = decode(encode("run", run=run_to_json(run)))
    assert message.kind == "run"
    assert run_from_json(message.body["run"]) == run


def test_a_latest_state_round_trip():
    result = sample_run().results[0]
    from agent.wire import result_to_json

    entry = latest_from_json({"collector": "switch", "duration_s": 0.5, "result": result_to_json(result)})
    assert (entry.collector, entry.result, entry.duration_s) == ("switch", result, 0.5)


@pytest.mark.parametrize("line, expected", [
    ("Traceback (most recent call last):", "not JSON"),
    ('{"run": {}}', "'kind'"),
    ("[1, 2]", "'kind'"),
])
def test_lines_that_are_not_messages_are_named(line, expected):
    with pytest.raises(WireError, match=expected):
        decode(line)


@pytest.mark.parametrize("mutate", [
    lambda d: d.pop("started_at"),
    lambda d: d["results"][0].update(state="BROKEN"),
    lambda d: d["results"][0].update(observed_at="yesterday"),
    lambda d: d["results"][0]["metrics"][0].__setitem__(2, "furlongs"),
])
def test_a_damaged_run_is_a_wire_error_not_a_crash(mutate):
    data = run_to_json(sample_run())
    mutate(data)
    with pytest.raises(WireError, match="bad check"):
        run_from_json(data)
