"""Pure pieces of the collector: Alertmanager mapping, silence, reachability probes, TLS, body limits."""

from __future__ import annotations

import asyncio
import gzip
import socket
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509

from agent.serve.alerts import AmWebhook, alert_runs, alert_tiers
from agent.serve.limits import BodyLimits, BodyTooLarge, inflate
from agent.serve.registry import AgentRecord
from agent.serve.tls import ensure_tls, fingerprint, normalise_fingerprint
from agent.serve.watch import probe, silence_result
from collectors.base import State

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)

# The body Alertmanager 0.25 POSTs to a webhook receiver (its notify/webhook package), two alerts.
AM_SAMPLE = {
    "receiver": "patrol", "status": "firing", "version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}",
    "truncatedAlerts": 0, "externalURL": "http://127.0.0.1:19093",
    "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {"alertname": "DiskFull"}, "commonAnnotations": {},
    "alerts": [
        {"status": "firing", "labels": {"alertname": "DiskFull", "instance": "pc-7:9100", "mountpoint": "/",
                                        "severity": "critical", "tier": "P1"},
         "annotations": {"summary": "disk / is 97% full"}, "startsAt": "2026-12-06T07:55:00Z",
         "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom/graph", "fingerprint": "a1b2c3d4"},
        {"status": "resolved", "labels": {"alertname": "DiskFull", "instance": "[::1]:9100", "mountpoint": "/var",
                                          "severity": "warning", "site": "branch"},
         "annotations": {}, "startsAt": "2026-12-06T07:00:00Z", "endsAt": "2026-12-06T07:50:00Z",
         "fingerprint": "e5f6"},
    ],
}


def test_alertmanager_alerts_become_results_with_a_stable_identity():
    payload = AmWebhook.model_validate(AM_SAMPLE)
    runs = alert_runs(payload, default_site="hq", default_target="prometheus",
                      target_labels=("target", "host", "instance", "job"), severity_label="severity",
                      severity_map={"critical": "crit", "warning": "warn"}, tier_label="tier", now=NOW)
    firing = runs["hq"][0].results[0]
    assert (firing.check, firing.target, firing.item, firing.state) == ("alert.DiskFull", "pc-7", "mountpoint=/",
                                                                        State.CRIT)
    assert firing.summary == "disk / is 97% full" and "tier=P1" in firing.details
    resolved = runs["branch"][0].results[0]
    assert (resolved.target, resolved.item, resolved.state) == ("0000-0000-0000-0000-0000-0000-0000-0001",
                                                                "mountpoint=/var", State.OK)
    assert alert_tiers(payload, "tier", {"P1": "urgent"}) == {"alert.DiskFull": "urgent"}


def test_hostile_alert_labels_cannot_make_odd_check_or_target_names():
    payload = AmWebhook.model_validate({"alerts": [{"status": "firing", "labels": {
        "alertname": "<script>x</script>", "instance": "../../etc/passwd:80"}}]})
    result = alert_runs(payload, default_site="hq", default_target="prometheus", target_labels=("instance",),
                        severity_label="severity", severity_map={}, tier_label="tier", now=NOW)["hq"][0].results[0]
    assert result.check == "alert._script_x_script_"
    assert "/" not in result.target and ".." not in result.target.strip(".")


def _agent(last_seen, interval_s=60.0) -> AgentRecord:
    return AgentRecord("a" * 32, "hq", "pc-1", False, "pc-1", "m", None, "", "0.2", NOW - timedelta(days=1),
                       last_seen, "127.0.0.9", 3, interval_s, 0.0, 0, 0, None)


@pytest.mark.parametrize(("quiet_s", "interval_s", "state"), [
    (300, 60, State.OK),      # 5 min quiet: under the 10-minute floor
    (601, 60, State.CRIT),    # past the floor (3 x 60 s is less)
    (1700, 600, State.OK),    # 3 x 600 s = 30 min
    (1801, 600, State.CRIT),
])
def test_silence_is_max_of_intervals_and_the_floor(quiet_s, interval_s, state):
    result = silence_result(_agent(NOW - timedelta(seconds=quiet_s), interval_s), NOW, after_intervals=3, min_s=600)
    assert result.state is state
    assert "last seen 2026-12-06" in result.summary


def test_an_agent_that_never_pushed_says_so():
    result = silence_result(_agent(None), NOW, after_intervals=3, min_s=600)
    assert result.state is State.CRIT and "never pushed" in result.summary


def test_reachability_by_tcp_open_refused_and_silent():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    open_port = listener.getsockname()[1]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    try:
        up = asyncio.run(probe("127.0.0.1", icmp=False, tcp_ports=(open_port,), timeout_s=1))
        refused = asyncio.run(probe("127.0.0.1", icmp=False, tcp_ports=(closed_port,), timeout_s=1))
        none = asyncio.run(probe("127.0.0.1", icmp=False, tcp_ports=(), timeout_s=1))
    finally:
        listener.close()
    assert up.up and up.method == f"tcp/{open_port} open"
    assert refused.up and "refused" in refused.method  # the host's stack answered: it is up
    assert not none.up and none.detail == "nothing to try"


def test_icmp_echo_to_loopback_where_ping_sockets_are_allowed():
    outcome = asyncio.run(probe("127.0.0.1", icmp=True, tcp_ports=(), timeout_s=1))
    # Either the kernel lets us open a ping socket (then loopback answers) or we fell back to
    # TCP with nothing to try: never a crash, never a guessed "up".
    assert outcome.up == (outcome.method == "icmp")


def test_tls_files_are_made_once_pinned_by_fingerprint_and_kept_private(tmp_path):
    files, created = ensure_tls(tmp_path / "tls", "hq", ["collector.example"], now=NOW)
    again, created_again = ensure_tls(tmp_path / "tls", "hq", ["collector.example"], now=NOW)
    assert created and not created_again and files.ca_fingerprint() == again.ca_fingerprint()
    assert oct((tmp_path / "tls" / "ca-key.pem").stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "tls").stat().st_mode & 0o777) == "0o700"
    cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "collector.example" in names.get_values_for_type(x509.DNSName)
    ca = x509.load_pem_x509_certificate(files.ca_pem())
    assert cert.issuer == ca.subject and fingerprint(ca) == files.ca_fingerprint()
    # a new name asked for: the server certificate is renewed, the CA (what agents pinned) is not
    renewed, _ = ensure_tls(tmp_path / "tls", "hq", ["collector.example", "10.1.2.3"], now=NOW)
    assert renewed.ca_fingerprint() == files.ca_fingerprint()
    assert x509.load_pem_x509_certificate(renewed.cert_file.read_bytes()).serial_number != cert.serial_number


@pytest.mark.parametrize("text", ["AB:" * 31 + "AB", "ab" * 32, "sha256:" + "AB" * 32, " ".join(["ab"] * 32)])
def test_fingerprints_in_any_common_spelling(text):
    assert normalise_fingerprint(text) == "AB:" * 31 + "AB"


def test_a_wrong_fingerprint_is_refused():
    with pytest.raises(ValueError, match="64 hex digits"):
        normalise_fingerprint("AB:CD")


def test_gzip_bombs_and_broken_gzip_are_refused():
    assert inflate(gzip.compress(b"x" * 1000), 1000) == b"x" * 1000
    with pytest.raises(BodyTooLarge):
        inflate(gzip.compress(b"0" * 50_000_000), 10 * 1024 * 1024)  # 49 kB on the wire
    with pytest.raises(ValueError, match="not valid gzip"):
        inflate(b"not gzip at all", 1000)
    with pytest.raises(ValueError, match="truncated"):
        inflate(gzip.compress(b"y" * 5000)[:-12], 10_000)


def _call(app, headers, chunks, deadline_s=5.0):
    """Drive the ASGI middleware directly: what it answers and what the app received."""
    got: dict = {}
    sent: list = []

    async def inner(scope, receive, send):
        message = await receive()
        got["body"], got["headers"] = message["body"], dict(scope["headers"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def run():
        queue = list(chunks)

        async def receive():
            if not queue:
                await asyncio.sleep(3600)
            delay, body, more = queue.pop(0)
            await asyncio.sleep(delay)
            return {"type": "http.request", "body": body, "more_body": more}

        async def send(message):
            sent.append(message)

        await BodyLimits(inner, 1000, read_deadline_s=deadline_s)(
            {"type": "http", "headers": headers}, receive, send)

    asyncio.run(run())
    return sent[0]["status"], got


def test_body_limits_before_any_route():
    assert _call(None, [(b"content-length", b"5000")], [])[0] == 413
    assert _call(None, [], [(0, b"x" * 600, True), (0, b"x" * 600, False)])[0] == 413
    assert _call(None, [(b"content-encoding", b"br")], [(0, b"{}", False)])[0] == 415
    status, got = _call(None, [(b"content-encoding", b"gzip")], [(0, gzip.compress(b'{"a": 1}'), False)])
    assert status == 200 and got["body"] == b'{"a": 1}' and b"content-encoding" not in got["headers"]
    assert _call(None, [], [(0, b"{", True), (0.5, b"}", False)], deadline_s=0.2)[0] == 408


def test_batch_integers_fit_the_database():
    """The fuzz test found a `dropped` past 2**63: a 500 from SQLite instead of a 422."""
    from pydantic import ValidationError

    from agent.fleet.protocol import ResultBatch

    body = {"batch_id": "b" * 16, "seq": 1, "sent_at": NOW.isoformat(), "hostname": "pc-1", "runs": []}
    assert ResultBatch.model_validate({**body, "dropped": 2**40}).dropped == 2**40
    for field, value in (("dropped", 2**63), ("seq", 2**63)):
        with pytest.raises(ValidationError, match=field):
            ResultBatch.model_validate({**body, field: value})


@pytest.mark.parametrize(("name", "unit", "kept"), [
    ("disk_used_ratio", "ratio", True), ("signature_age_days", "days", True), ("uptime_seconds", "seconds", True),
    ("b", "", False), ("latency_ms", "", False), ("uptime_hours", "", False), ("free_gb", "", False),
])
def test_pushed_metric_names_the_prometheus_linter_refuses_are_dropped(name, unit, kept):
    """The fuzz test pushed metrics named `b`, `d`, `gb`: the collector's /metrics then failed promtool."""
    from agent.fleet.protocol import lint_clean

    assert lint_clean(name, unit) is kept
