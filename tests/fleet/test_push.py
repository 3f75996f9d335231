"""Pushing batches to a real HTTPS server on 127.0.0.1 that answers as each test tells it."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from agent.fleet.protocol import RESULTS_PATH, ResultBatch
from agent.run.push import REFUSED_LINE, backoff_s
from collectors.base import CheckResult, CheckRun, Metric, State
from tests.support.proc import free_port

from tests.fleet.conftest import CREDENTIAL, T0, Clock


def check_run(n: int = 2, collector: str = "system", summary: str = "fine") -> CheckRun:
    at = datetime(2026, 12, 6, 5, 0, tzinfo=timezone.utc)
    return CheckRun(collector=collector, target="pc-0412", started_at=at, duration_s=0.25, results=tuple(
        CheckResult(check=f"{collector}.disk", target="pc-0412", item=f"/d{i}", state=State.WARN, summary=summary,
                    metrics=(Metric("disk_used_ratio", 0.5, "ratio"),), observed_at=at) for i in range(n)))


def test_batches_arrive_in_order_as_valid_gzipped_result_batches(collector, make_pusher):
    pusher = make_pusher(collector.url)
    pusher.set_interval(120)
    seqs = [pusher.enqueue([check_run(i + 1)])[0] for i in range(3)]
    outcome = pusher.send()
    assert (outcome.sent, outcome.stopped, outcome.stats.pending) == (3, None, 0)
    seen = collector.requests_to(RESULTS_PATH)
    assert [s.body["seq"] for s in seen] == seqs == sorted(seqs)
    for s in seen:
        assert s.headers["authorization"] == f"Bearer {CREDENTIAL}"
        assert s.headers["content-encoding"] == "gzip" and s.raw[:2] == b"\x1f\x8b"
        batch = ResultBatch.model_validate(s.body)  # the collector's own model accepts it
        assert batch.hostname == "pc-0412" and batch.interval_s == 120 and batch.dropped == 0
        assert batch.sent_at == datetime.fromtimestamp(T0, timezone.utc)
    assert [len(s.body["runs"][0]["results"]) for s in seen] == [1, 2, 3]
    assert outcome.stats.last_success == T0


def test_a_batch_the_collector_already_has_is_removed(collector, make_pusher):
    pusher = make_pusher(collector.url)
    (seq,) = pusher.enqueue([check_run()])
    collector.script.push(RESULTS_PATH, (200, {"batch_id": "x" * 32, "seq": seq, "stored": False, "results": 2}, {}))
    assert pusher.send().stats.pending == 0


def test_a_server_error_stops_sending_and_backs_off_for_every_worker(collector, make_pusher, caplog):
    clock = Clock()
    pusher = make_pusher(collector.url, clock=clock)
    pusher.enqueue([check_run()])
    pusher.enqueue([check_run()])
    collector.script.push(RESULTS_PATH, (500, {"detail": "database is locked"}, {}))
    with caplog.at_level(logging.INFO):
        outcome = pusher.send()
    assert (outcome.sent, outcome.stopped, outcome.stats.pending) == (0, "HTTP 500", 2)
    assert len(collector.requests_to(RESULTS_PATH)) == 1  # stopped at the first failure
    assert outcome.stats.next_attempt_at == T0 + backoff_s(0, 5, 600, 0.5)
    assert "database is locked" in caplog.text
    # Another worker (a new Pusher on the same outbox file) respects the wait ...
    other = make_pusher(collector.url, clock=clock)
    assert other.send().stopped == "backing off" and len(collector.requests_to(RESULTS_PATH)) == 1
    # ... and sends once it has passed.
    clock.now = outcome.stats.next_attempt_at + 0.1
    assert other.send().sent == 2


@pytest.mark.parametrize("retry_after, expected_wait", [
    ("120", 120.0),                                       # longer than the first backoff (5 s): honoured
    ("1", backoff_s(0, 5, 600, 0.5)),                     # shorter: the backoff still applies
    ("86400", 600.0),                                     # past collector.retry_max_s: capped
    ("Fri, 15 Jan 2027 08:03:20 GMT", 200.0),             # an HTTP date, 200 s after T0
    ("soon", backoff_s(0, 5, 600, 0.5)),                  # unreadable: the backoff alone
], ids=["seconds", "shorter-than-backoff", "capped", "http-date", "unreadable"])
def test_a_503_with_retry_after_waits_at_least_that_long(collector, make_pusher, retry_after, expected_wait):
    """What a collector whose database is unreachable answers (agent/serve/app.py)."""
    clock = Clock()
    pusher = make_pusher(collector.url, clock=clock)
    pusher.enqueue([check_run()])
    collector.script.push(RESULTS_PATH, (503, {"detail": "the collector's database cannot be reached"},
                                         {"Retry-After": retry_after}))
    outcome = pusher.send()
    assert (outcome.sent, outcome.stopped, outcome.stats.pending) == (0, "HTTP 503", 1)
    assert outcome.stats.next_attempt_at == pytest.approx(T0 + expected_wait)
    clock.now = T0 + expected_wait - 1
    assert pusher.send().stopped == "backing off"
    clock.now = T0 + expected_wait + 0.1
    assert pusher.send().sent == 1


def test_refused_credential_logs_one_line_per_episode_and_keeps_the_outbox(collector, make_pusher, caplog):
    clock = Clock()
    pusher = make_pusher(collector.url, clock=clock)
    pusher.enqueue([check_run()])
    collector.script.push(RESULTS_PATH, (401, {"detail": "unknown agent credential"}, {}),
                          (403, {"detail": "this agent was revoked"}, {}))
    with caplog.at_level(logging.INFO):
        assert pusher.send().stopped == "refused"
        assert pusher.send(force=True).stopped == "refused"
    assert sum(REFUSED_LINE in r.message for r in caplog.records) == 1
    assert pusher.outbox.stats().pending == 1
    assert CREDENTIAL not in caplog.text
    # Re-enrolled (the collector takes the same credential again here): delivered, episode over.
    clock.now += 3600
    assert pusher.send().sent == 1
    pusher.enqueue([check_run()])
    collector.script.push(RESULTS_PATH, (403, {"detail": "revoked again"}, {}))
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        pusher.send()
    assert sum(REFUSED_LINE in r.message for r in caplog.records) == 1


def test_413_cuts_the_batch_in_two_and_keeps_the_order(collector, make_pusher):
    pusher = make_pusher(collector.url)
    (first,) = pusher.enqueue([check_run(collector="a"), check_run(collector="b"), check_run(collector="c")])
    (second,) = pusher.enqueue([check_run(collector="d")])
    collector.script.push(RESULTS_PATH, (413, {"detail": "body larger than 10 MB"}, {}))
    assert pusher.send().sent == 3
    seen = [(s.body["seq"], [r["collector"] for r in s.body["runs"]]) for s in collector.requests_to(RESULTS_PATH)]
    assert seen == [(first, ["a", "b", "c"]), (first, ["a"]), (first + 1, ["b", "c"]), (second + 1, ["d"])]
    assert collector.stored_seqs == [first, first + 1, second + 1]


def test_413_for_a_single_run_drops_it_and_tells_the_collector(collector, make_pusher, caplog):
    pusher = make_pusher(collector.url)
    pusher.enqueue([check_run(5)])
    pusher.enqueue([check_run(1)])
    collector.script.push(RESULTS_PATH, (413, {"detail": "too large"}, {}))
    with caplog.at_level(logging.ERROR):
        assert pusher.send().sent == 1
    assert "it can never be sent" in caplog.text
    last = collector.requests_to(RESULTS_PATH)[-1].body
    assert last["dropped"] == 5 and pusher.outbox.dropped_unreported() == 0
    assert pusher.outbox.stats().dropped_total == 5


def test_a_validation_error_sets_the_batch_aside_and_sends_the_next(collector, make_pusher, caplog):
    pusher = make_pusher(collector.url)
    (bad,) = pusher.enqueue([check_run()])
    (good,) = pusher.enqueue([check_run()])
    collector.script.push(RESULTS_PATH, (422, {"detail": [{"loc": ["body", "runs", 0, "collector"],
                                                           "msg": "String should have at most 128 characters"}]}, {}))
    with caplog.at_level(logging.ERROR):
        outcome = pusher.send()
    assert outcome.sent == 1 and (outcome.stats.pending, outcome.stats.held) == (0, 1)
    assert "body.runs.0.collector: String should have at most 128 characters" in caplog.text
    assert collector.stored_seqs == [good]
    assert pusher.send(force=True).sent == 0  # the held one is not retried


def test_unreachable_collector_backs_off_and_logs_once(make_pusher, caplog):
    clock = Clock()
    pusher = make_pusher(f"https://127.0.0.1:{free_port()}", clock=clock)
    pusher.enqueue([check_run()])
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            outcome = pusher.send(force=True)
            assert outcome.stopped == "unreachable"
    assert sum("not taking results" in r.message for r in caplog.records) == 1
    assert pusher.outbox.failures() == 3
    assert outcome.stats.next_attempt_at == T0 + backoff_s(2, 5, 600, 0.5)


def test_drops_past_the_bound_are_reported_in_the_next_batch(collector, make_pusher):
    clock = Clock()
    pusher = make_pusher(f"https://127.0.0.1:{free_port()}", clock=clock)
    pusher.enqueue([check_run(3)])
    clock.now += 3601  # older than max_age_s
    pusher.enqueue([check_run(1)])
    pusher.close()
    pusher = make_pusher(collector.url, clock=clock)
    assert pusher.send().sent == 1
    (seen,) = collector.requests_to(RESULTS_PATH)
    assert seen.body["dropped"] == 3 and len(seen.body["runs"][0]["results"]) == 1


def test_not_enrolled_waits_with_one_error(collector, make_pusher, caplog):
    pusher = make_pusher(collector.url, credential=None)
    pusher.enqueue([check_run()])
    with caplog.at_level(logging.ERROR):
        pusher.send()
        pusher.send()
    assert sum("not enrolled" in r.message for r in caplog.records) == 1
    assert collector.requests_to(RESULTS_PATH) == [] and pusher.outbox.stats().pending == 1


def test_a_wrong_ca_is_a_tls_failure_not_a_send(collector, make_pusher, tmp_path):
    from tests.fleet.recording_collector import make_pki

    pusher = make_pusher(collector.url)
    pusher.link.ca_file.write_bytes(make_pki(tmp_path / "other").ca_pem)
    pusher.enqueue([check_run()])
    outcome = pusher.send()
    assert outcome.stopped == "unreachable" and collector.requests_to(RESULTS_PATH) == []


@pytest.mark.parametrize("failures, rand, expected", [
    (0, 0.0, 5.0), (0, 1.0, 5.0), (1, 1.0, 10.0), (3, 0.0, 20.0), (3, 1.0, 40.0), (20, 1.0, 600.0), (20, 0.0, 300.0),
])
def test_backoff_doubles_with_jitter_and_a_cap(failures, rand, expected):
    assert backoff_s(failures, 5, 600, rand) == expected


def test_device_text_past_the_protocol_bounds_is_cut_not_refused(collector, make_pusher):
    from agent.fleet.protocol import RunIn

    at = datetime(2026, 12, 6, 5, 0, tzinfo=timezone.utc)
    huge = CheckRun(collector="switch", target="sw-1", started_at=at, duration_s=1.0, error="e" * 9000, results=(
        CheckResult(check="switch.port", target="sw-1", item="Gi1/0/" + "9" * 400, state=State.CRIT,
                    summary="链路断开 " * 2000, details="x" * 70000, observed_at=at,
                    metrics=tuple(Metric(f"port_errors_{i}_total", 1.0, "", (("ifName", "Gi" * 200),))
                                  for i in range(300))),))
    pusher = make_pusher(collector.url)
    pusher.enqueue([huge])
    assert pusher.send().sent == 1
    (seen,) = collector.requests_to(RESULTS_PATH)
    (run,) = seen.body["runs"]
    RunIn.model_validate(run)  # within every bound of the protocol
    result = run["results"][0]
    assert result["summary"].endswith("...") and len(result["summary"]) == 4096
    assert len(result["metrics"]) == 256 and len(result["metrics"][0]["labels"]["ifName"]) == 256


def test_the_pinned_ca_wins_over_requests_ca_bundle(collector, make_pusher, monkeypatch, tmp_path):
    from tests.fleet.recording_collector import make_pki

    other = tmp_path / "other-ca.pem"
    other.write_bytes(make_pki(tmp_path / "other").ca_pem)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))  # would fail the handshake if it replaced the pin
    pusher = make_pusher(collector.url)
    pusher.enqueue([check_run()])
    assert pusher.send().sent == 1
