"""The webhook backend against a local HTTP receiver: PagerDuty Events v2 shape, HMAC-SHA256 signature."""

from __future__ import annotations

import hashlib
import hmac

from collectors.base import State
from tests.ticketing.conftest import settings_with

SECRET = "webhook-hmac-key-not-for-logs"


def test_trigger_update_resolve_with_signature(make_harness, receiver, monkeypatch):
    monkeypatch.setenv("PATROL_TEST_HOOK_SECRET", SECRET)
    monkeypatch.setenv("PATROL_TEST_ROUTING_KEY", "R0UT1NG")
    settings = settings_with(backend="webhook", webhook={"url": receiver.url + "/v2/enqueue",
                                                         "secret": "env:PATROL_TEST_HOOK_SECRET",
                                                         "routing_key": "env:PATROL_TEST_ROUTING_KEY"})
    h = make_harness(settings)
    for state in (State.WARN, State.WARN, State.CRIT, State.OK, State.OK):
        h.cycle(("pc-00", "system.disk", state, "/"))
    events = receiver.json()
    assert [(e["event_action"], e["payload"]["custom_details"]["patrol_action"]) for e in events] == [
        ("trigger", "open"), ("trigger", "comment"), ("trigger", "priority"), ("resolve", "resolve")]
    fp = h.service.tracker.fingerprint_of("pc-00", "system.disk", "/")
    assert {e["dedup_key"] for e in events} == {fp}
    assert {e["routing_key"] for e in events} == {"R0UT1NG"}
    first = events[0]["payload"]
    assert (first["severity"], first["source"], first["component"], first["group"], first["class"]) == (
        "warning", "collector-1", "pc-00", "acme", "system.disk")
    for headers, body in receiver.requests:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Patrol-Signature"] == expected
        assert SECRET.encode() not in body


def test_receiver_down_then_up_keeps_order(make_harness, receiver):
    settings = settings_with(backend="webhook", webhook={"url": receiver.url})
    h = make_harness(settings)
    receiver.status = 500
    for state in (State.CRIT, State.CRIT, State.OK, State.OK):
        h.cycle(("pc-00", "system.disk", state, "/"))
    assert [op.op for op in h.service.outbox.pending()] == ["open", "resolve"]
    receiver.status = 202
    h.clock.advance(hours=1)
    assert h.service.drain_outbox() == 2
    assert [e["event_action"] for e in receiver.json()] == ["trigger", "resolve"]


def test_events_after_a_restart_still_name_target_and_check(make_harness, receiver, tmp_path):
    settings = settings_with(backend="webhook", webhook={"url": receiver.url})
    h = make_harness(settings)
    h.cycle(("pc-00", "system.disk", State.CRIT, "/"))
    h.cycle(("pc-00", "system.disk", State.CRIT, "/"))
    restarted = make_harness(settings, db=tmp_path / "patrol.sqlite", clock=h.clock)  # a new process
    restarted.cycle(("pc-00", "system.disk", State.OK, "/"))
    restarted.cycle(("pc-00", "system.disk", State.OK, "/"))
    resolve = receiver.json()[-1]
    assert resolve["event_action"] == "resolve"
    assert (resolve["payload"]["component"], resolve["payload"]["class"]) == ("pc-00", "system.disk")
