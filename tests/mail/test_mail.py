"""The mail family against real servers (dovecot IMAP/LMTP, aiosmtpd submission) and as
pure tables of fetched exchanges -> results."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import pytest

from agent.runner import CheckJob, Runner
from collectors.base import CollectorIO, State
from collectors.commands import run_command
from collectors.mail import Exchange, MailCollector, MailRaw, evaluate, parse
from config.checks.mail import MailParams
from config.secrets import resolve_secret
from inventory.models import Host, Inventory
from tests.mail.conftest import BLACKHOLE_DOMAIN, OTHER, PASSWORD, USER, start_smtp

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=timezone.utc)
LOCAL = Host(name="pc-01", local=True)
COLLECTOR = MailCollector()


def make_params(**overrides) -> MailParams:
    raw = {"account": {"username": USER, "password": "env:PATROL_TEST_MAIL_PW"}, "connect_timeout_s": 3}
    raw.update(overrides)
    return MailParams.model_validate(raw)


def plain(port: int) -> dict:
    return {"host": "127.0.0.1", "port": port, "security": "plain"}


def run_check(params: MailParams, monkeypatch) -> list:
    """The whole check through the real runner, with the password from an env: reference."""
    monkeypatch.setenv("PATROL_TEST_MAIL_PW", PASSWORD)
    io = CollectorIO(run=run_command, resolve_secret=resolve_secret)
    runner = Runner(io, concurrency=1)
    try:
        run = asyncio.run(runner.run_job(CheckJob(COLLECTOR, LOCAL, params)))
    finally:
        runner.close()
    return list(run.results)


def by_check(results) -> dict[str, object]:
    return {r.check: r for r in results}


# ---------------------------------------------------------------- pure: exchanges -> results

CASES = [
    pytest.param(Exchange("smtp", "mx:587", "done", elapsed_s=0.2), State.OK, "ok in 0.20 s", id="smtp-ok"),
    pytest.param(Exchange("smtp", "mx:587", "login", "SMTPAuthenticationError", 535, "5.7.8 Authentication credentials invalid"),
                 State.CRIT, "login refused for probe@example.test", id="smtp-wrong-password"),
    pytest.param(Exchange("imap", "mx:143", "login", "error", None, "b'[AUTHENTICATIONFAILED] Authentication failed.'"),
                 State.CRIT, "login refused for probe@example.test (wrong password, locked or disabled account): "
                             "[AUTHENTICATIONFAILED] Authentication failed.", id="imap-wrong-password"),
    pytest.param(Exchange("smtp", "mx:587", "greeting", "TimeoutError", None, "timed out", timeout_s=3),
                 State.UNKNOWN, "no answer within 3 s while waiting for the greeting reply", id="smtp-silent"),
    pytest.param(Exchange("imap", "mx:143", "connect", "ConnectionRefusedError", None, "[Errno 111] Connection refused"),
                 State.CRIT, "cannot connect ([Errno 111] Connection refused)", id="imap-refused"),
    pytest.param(Exchange("smtp", "mx:587", "tls", "SSLCertVerificationError", None, "self-signed certificate"),
                 State.CRIT, "certificate is not trusted (self-signed certificate); set ca_file", id="smtp-untrusted-cert"),
    pytest.param(Exchange("imap", "mx:993", "greeting", "SSLError", None, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
                 State.CRIT, "TLS failed during greeting ([SSL: WRONG_VERSION_NUMBER]", id="imap-tls-to-plain-port"),
    pytest.param(Exchange("pop3", "mx:110", "login", "error_proto", None, "b'-ERR [AUTH] Authentication failed.'"),
                 State.CRIT, "POP3 mx:110: login refused for probe@example.test", id="pop3-wrong-password"),
    pytest.param(Exchange("imap", "mx:143", "tls", "error", None, "TLS not supported by server"),
                 State.CRIT, "IMAP mx:143: the server does not offer STARTTLS (TLS not supported by server)", id="imap-no-starttls"),
    pytest.param(Exchange("smtp", "mx:25", "login", "NoAuth", None, "no AUTH in the EHLO reply"),
                 State.CRIT, "offers no login (AUTH)", id="smtp-no-auth"),
    pytest.param(Exchange("round_trip", "mx:587", "send", "SMTPRecipientsRefused", 550, "5.1.1 unknown user"),
                 State.CRIT, "refused the probe message: 550 5.1.1 unknown user", id="probe-refused"),
    pytest.param(Exchange("round_trip", "mx:143", "wait", "NotDelivered", None, "no message", 30.2, 30),
                 State.CRIT, "did not arrive within 30 s", id="probe-lost"),
    pytest.param(Exchange("round_trip", "mx:143", "done", elapsed_s=25.0), State.WARN, "slower than 20 s", id="probe-slow"),
    pytest.param(Exchange("round_trip", "mx:143", "done", elapsed_s=0.4), State.OK, "ok in 0.40 s", id="probe-fast"),
    pytest.param(Exchange("imap", "mx:143", "select", "abort", None, "socket error: EOF"),
                 State.UNKNOWN, "unexpected reply during select: abort: socket error: EOF", id="imap-dropped"),
    pytest.param(Exchange("round_trip", "probe@example.test", "send", "Skipped", None, "the SMTP or IMAP login above failed"),
                 State.UNKNOWN, "not attempted", id="probe-skipped"),
]


@pytest.mark.parametrize(("exchange", "state", "text"), CASES)
def test_exchange_to_result(exchange: Exchange, state: State, text: str) -> None:
    model = parse(MailRaw((exchange,), USER, USER))
    [result] = evaluate(model, make_params(round_trip={"warn_s": 20}), LOCAL, NOW)
    assert (result.state, result.target) == (state, "pc-01")
    assert text in result.summary


def test_item_is_the_server_or_the_probe_mailbox() -> None:
    raw = MailRaw((Exchange("smtp", "mx:587", "done", elapsed_s=0.1), Exchange("round_trip", "mx:143", "done", elapsed_s=1)),
                  USER, "box@example.test")
    results = list(evaluate(parse(raw), make_params(), LOCAL, NOW))
    assert [(r.check, r.item) for r in results] == [("mail.submission", "mx:587"), ("mail.round_trip", "box@example.test")]
    assert [m.name for m in results[1].metrics] == ["round_trip_seconds"]


# ---------------------------------------------------------------- settings

def test_unconfigured_family_has_no_targets() -> None:
    inventory = Inventory(hosts=(LOCAL,))
    assert COLLECTOR.targets(MailParams(), inventory) == []
    assert COLLECTOR.targets(make_params(imap=plain(143)), inventory) == [LOCAL]


@pytest.mark.parametrize(("overrides", "message"), [
    pytest.param({"smtp": {"host": "mail.example.com", "security": "plain"}}, "allowed only for a loopback",
                 id="plain-to-remote-refused"),
    pytest.param({"smtp": plain(25), "round_trip": {"enabled": True}}, "needs .smtp. and one of .imap. or .pop3.", id="round-trip-needs-imap"),
    pytest.param({"smtp": plain(25), "imap": plain(143), "round_trip": {"enabled": True, "wait_s": 115}},
                 r"timeout_s \(120\) must exceed round_trip.wait_s", id="round-trip-longer-than-the-check"),
    pytest.param({"account": {"username": USER, "password": "hunter2"}, "smtp": plain(25)}, "plain-text secrets are refused",
                 id="password-in-clear-refused"),
])
def test_bad_settings_are_refused(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_params(**overrides)


def test_default_ports_follow_security() -> None:
    params = make_params(smtp={"host": "mx.example.com"}, imap={"host": "mx.example.com", "security": "tls"})
    assert (params.smtp.port_for("smtp"), params.imap.port_for("imap")) == (587, 993)


# ---------------------------------------------------------------- real servers

def append_probe(dovecot, token: str, age_days: float) -> None:
    """A probe message left in the mailbox by another run, ``age_days`` old."""
    import imaplib
    import time

    imap = imaplib.IMAP4("127.0.0.1", dovecot.imap_port, timeout=5)
    try:
        imap.login(USER, PASSWORD)
        message = f"Subject: Patrol mail probe {token}\r\nX-Patrol-Probe: {token}\r\n\r\nold\r\n".encode()
        imap.append("INBOX", None, imaplib.Time2Internaldate(time.time() - age_days * 86400), message)
    finally:
        imap.logout()


def probes_in(dovecot) -> list[bytes]:
    import imaplib

    imap = imaplib.IMAP4("127.0.0.1", dovecot.imap_port, timeout=5)
    try:
        imap.login(USER, PASSWORD)
        imap.select("INBOX", readonly=True)
        _, data = imap.search(None, "HEADER", "X-Patrol-Probe", '""')
        tokens = []
        for number in data[0].split():
            _, fetched = imap.fetch(number, "(BODY.PEEK[HEADER.FIELDS (X-PATROL-PROBE)])")
            tokens.append(fetched[0][1].split(b":", 1)[1].strip())
        return sorted(tokens)
    finally:
        imap.logout()


def test_login_and_round_trip_succeed(dovecot, smtp, monkeypatch) -> None:
    append_probe(dovecot, "stale-from-last-week", age_days=7)
    append_probe(dovecot, "still-waiting", age_days=0)
    params = make_params(smtp=plain(smtp.port), imap=plain(dovecot.imap_port),
                         round_trip={"enabled": True, "wait_s": 10, "poll_s": 0.2})
    results = by_check(run_check(params, monkeypatch))
    assert {c: r.state for c, r in results.items()} == {
        "mail.submission": State.OK, "mail.imap": State.OK, "mail.round_trip": State.OK}, results
    assert results["mail.round_trip"].metrics[0].name == "round_trip_seconds"
    # The probe was deleted after it was found, and with it the stale probe of an earlier
    # run; the fresh probe of a run still in progress elsewhere was kept.
    assert probes_in(dovecot) == [b"still-waiting"]


def test_message_that_never_arrives_is_crit(dovecot, smtp, monkeypatch) -> None:
    params = make_params(smtp=plain(smtp.port), imap=plain(dovecot.imap_port),
                         round_trip={"enabled": True, "recipient": f"void@{BLACKHOLE_DOMAIN}", "wait_s": 1.5,
                                     "warn_s": 1, "poll_s": 0.3})
    results = by_check(run_check(params, monkeypatch))
    assert results["mail.submission"].state is State.OK
    rt = results["mail.round_trip"]
    assert (rt.state, rt.item) == (State.CRIT, f"void@{BLACKHOLE_DOMAIN}")
    assert "did not arrive within 1.5 s" in rt.summary


@pytest.mark.parametrize("step", ["smtp", "imap"])
def test_silent_server_is_unknown_after_the_timeout(silent_server, monkeypatch, step) -> None:
    params = make_params(**{step: plain(silent_server.port)}, connect_timeout_s=1, timeout_s=20)
    [result] = run_check(params, monkeypatch)
    assert result.state is State.UNKNOWN
    assert "no answer within 1 s while waiting for the greeting reply" in result.summary


def test_nothing_listening_is_crit(monkeypatch) -> None:
    from tests.support.proc import free_port

    params = make_params(smtp=plain(free_port()), imap=plain(free_port()), round_trip={"enabled": True, "wait_s": 2})
    results = by_check(run_check(params, monkeypatch))
    assert results["mail.submission"].state is State.CRIT and "cannot connect" in results["mail.submission"].summary
    assert results["mail.imap"].state is State.CRIT
    assert results["mail.round_trip"].state is State.UNKNOWN and "not attempted" in results["mail.round_trip"].summary


@pytest.fixture(scope="module")
def smtp_for_failures(dovecot_for_failures):
    server = start_smtp(dovecot_for_failures.lmtp_port)
    yield server
    server.controller.stop()


def test_wrong_password_is_crit_and_the_password_never_leaks(dovecot_for_failures, smtp_for_failures, monkeypatch,
                                                             caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    params = make_params(account={"username": OTHER, "password": "env:PATROL_TEST_MAIL_PW"},
                         smtp=plain(smtp_for_failures.port), imap=plain(dovecot_for_failures.imap_port),
                         pop3=plain(dovecot_for_failures.pop3_port),
                         # dovecot delays the second failed login from 127.0.0.1 by a few seconds
                         connect_timeout_s=15)
    monkeypatch.setenv("PATROL_TEST_MAIL_PW", PASSWORD + "-wrong")
    io = CollectorIO(run=run_command, resolve_secret=resolve_secret)
    raw = COLLECTOR.fetch(LOCAL, params, io)
    results = by_check(COLLECTOR.evaluate(COLLECTOR.parse(raw), params, LOCAL, NOW))
    assert results["mail.submission"].state is State.CRIT
    assert "login refused for other@example.test" in results["mail.submission"].summary
    assert results["mail.imap"].state is State.CRIT
    assert "AUTHENTICATIONFAILED" in results["mail.imap"].summary
    assert results["mail.pop3"].state is State.CRIT
    assert results["mail.pop3"].summary.endswith(
        "login refused for other@example.test (wrong password, locked or disabled account): -ERR [AUTH] Authentication failed.")
    out, err = capfd.readouterr()
    for text in [repr(raw), repr(list(results.values())), caplog.text, out, err]:
        assert PASSWORD not in text


def test_good_login_never_leaks_the_password(dovecot, smtp, monkeypatch, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    params = make_params(smtp=plain(smtp.port), imap=plain(dovecot.imap_port), round_trip={"enabled": True, "wait_s": 10})
    results = run_check(params, monkeypatch)
    assert {r.state for r in results} == {State.OK}
    out, err = capfd.readouterr()
    assert PASSWORD not in repr(results) + caplog.text + out + err


# ---------------------------------------------------------------- TLS (self-signed test certificate)

def test_starttls_and_implicit_tls_with_the_ca_file(dovecot, smtp_starttls, monkeypatch) -> None:
    ca = str(dovecot.root / "cert.pem")
    params = make_params(smtp={"host": "127.0.0.1", "port": smtp_starttls.port, "security": "starttls", "ca_file": ca},
                         imap={"host": "127.0.0.1", "port": dovecot.imaps_port, "security": "tls", "ca_file": ca},
                         round_trip={"enabled": True, "wait_s": 10, "poll_s": 0.2})
    results = by_check(run_check(params, monkeypatch))
    assert {c: r.state for c, r in results.items()} == {
        "mail.submission": State.OK, "mail.imap": State.OK, "mail.round_trip": State.OK}, results


def test_untrusted_certificate_is_crit(dovecot, smtp_starttls, monkeypatch) -> None:
    params = make_params(smtp={"host": "127.0.0.1", "port": smtp_starttls.port, "security": "starttls"},
                         imap={"host": "127.0.0.1", "port": dovecot.imap_port, "security": "starttls"})
    results = by_check(run_check(params, monkeypatch))
    for check in ("mail.submission", "mail.imap"):
        assert results[check].state is State.CRIT
        assert "the server certificate is not trusted (self-signed certificate)" in results[check].summary


def test_imap_starttls_without_verification(dovecot, monkeypatch) -> None:
    params = make_params(imap={"host": "127.0.0.1", "port": dovecot.imap_port, "security": "starttls", "verify_tls": False})
    [result] = run_check(params, monkeypatch)
    assert result.state is State.OK


def test_implicit_tls_submission_and_starttls_imap(dovecot, smtp_implicit_tls, monkeypatch) -> None:
    ca = str(dovecot.root / "cert.pem")
    params = make_params(smtp={"host": "127.0.0.1", "port": smtp_implicit_tls.port, "security": "tls", "ca_file": ca},
                         imap={"host": "127.0.0.1", "port": dovecot.imap_port, "security": "starttls", "ca_file": ca},
                         round_trip={"enabled": True, "wait_s": 10, "poll_s": 0.2})
    results = by_check(run_check(params, monkeypatch))
    assert {c: r.state for c, r in results.items()} == {
        "mail.submission": State.OK, "mail.imap": State.OK, "mail.round_trip": State.OK}, results


def test_server_without_starttls_gets_no_password(smtp, monkeypatch) -> None:
    params = make_params(smtp={"host": "127.0.0.1", "port": smtp.port, "security": "starttls"})
    [result] = run_check(params, monkeypatch)
    assert result.state is State.CRIT
    assert result.summary == (f"SMTP submission 127.0.0.1:{smtp.port}: the server does not offer STARTTLS "
                              "(STARTTLS extension not supported by server.); the password would cross the network "
                              "in clear text, so no login was tried")



# ---------------------------------------------------------------- POP3

def test_pop3_login_and_round_trip(dovecot, smtp, monkeypatch) -> None:
    params = make_params(smtp=plain(smtp.port), pop3=plain(dovecot.pop3_port),
                         round_trip={"enabled": True, "wait_s": 10, "poll_s": 0.2})
    results = by_check(run_check(params, monkeypatch))
    assert {c: r.state for c, r in results.items()} == {
        "mail.submission": State.OK, "mail.pop3": State.OK, "mail.round_trip": State.OK}, results
    # Its own probe is gone (only the one test_login_and_round_trip_succeed keeps may remain).
    assert set(probes_in(dovecot)) <= {b"still-waiting"}


def test_pop3_starttls_with_the_ca_file(dovecot, monkeypatch) -> None:
    params = make_params(pop3={"host": "127.0.0.1", "port": dovecot.pop3_port, "security": "starttls",
                               "ca_file": str(dovecot.root / "cert.pem")})
    [result] = run_check(params, monkeypatch)
    assert (result.check, result.state) == ("mail.pop3", State.OK)


def test_inspection_report_never_holds_the_password(dovecot_for_failures, smtp_for_failures, tmp_path) -> None:
    """`patrol inspect` end to end (a wrong password, so server replies reach the report):
    the password is in none of the files written, nor in the command's output."""
    import os
    import subprocess
    import sys

    config = tmp_path / "patrol.yaml"
    config.write_text(f"""
paths: {{state_dir: {tmp_path / 'var'}, reports_dir: {tmp_path / 'reports'}}}
checks:
  mail:
    account: {{username: {OTHER}, password: env:PATROL_TEST_MAIL_PW}}
    smtp: {{host: 127.0.0.1, port: {smtp_for_failures.port}, security: plain}}
    imap: {{host: 127.0.0.1, port: {dovecot_for_failures.imap_port}, security: plain}}
    connect_timeout_s: 15
""")
    out = tmp_path / "report"
    wrong = PASSWORD + "-inspect-wrong"
    env = {**os.environ, "PATROL_TEST_MAIL_PW": wrong}
    proc = subprocess.run([sys.executable, "-m", "agent.cli", "-c", str(config), "--log-level", "DEBUG", "inspect",
                           "--only", "mail", "--no-tickets", "--json", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=120)
    written = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p != config}
    assert any(b"mail.submission" in data for data in written.values()), (proc.returncode, proc.stderr[-2000:])
    assert "login refused for other@example.test" in proc.stdout
    for secret in (wrong, PASSWORD):
        assert secret not in proc.stdout + proc.stderr
        assert [p for p, data in written.items() if secret.encode() in data] == []
