"""Faults that need no DC: a server that accepts connections and says nothing, nothing
listening at all, and a missing kinit. Each ends in a clear result after its timeout."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from agent.runner import CheckJob, Runner
from collectors.base import CollectorIO, State
from collectors.commands import run_command
from collectors.domain import DomainCollector
from config.checks.domain import DomainParams
from config.secrets import resolve_secret
from inventory.models import Host
from tests.support.proc import SilentServer, free_port

PASSWORD = "Fault!Test-Pw-5521"


def run(params: DomainParams, monkeypatch) -> dict:
    monkeypatch.setenv("PATROL_TEST_FAULT_PW", PASSWORD)
    runner = Runner(CollectorIO(run=run_command, resolve_secret=resolve_secret), concurrency=1)
    try:
        run = asyncio.run(runner.run_job(CheckJob(DomainCollector(), Host(name="pc-01", local=True), params)))
    finally:
        runner.close()
    assert PASSWORD not in repr(run)
    return {r.check: r for r in run.results}


def params_on(port: int, **extra) -> DomainParams:
    return DomainParams.model_validate({
        "realm": "EX.TEST", "dc": "127.0.0.1", "kdc_port": port, "smb_port": port, "ldap": {"security": "plain", "port": port},
        "account": {"username": "svc", "password": "env:PATROL_TEST_FAULT_PW"}, "shares": [r"\\127.0.0.1\data"],
        "connect_timeout_s": 1, "timeout_s": 30, **extra})


@pytest.fixture()
def silent():
    server = SilentServer()
    yield server
    server.close()


def test_silent_server_gives_unknown_not_a_hang(silent, monkeypatch) -> None:
    results = run(params_on(silent.port), monkeypatch)
    assert results["domain.kerberos"].state is State.UNKNOWN
    assert results["domain.kerberos"].summary == "KDC unreachable: kinit got no answer from 127.0.0.1 within 2 s"
    assert results["domain.ldap"].state is State.UNKNOWN
    assert results["domain.ldap"].summary.startswith(f"LDAP server 127.0.0.1:{silent.port} did not answer")
    assert results["domain.clock_skew"].state is State.UNKNOWN
    assert results["domain.share"].state is State.UNKNOWN
    assert results["domain.share"].summary == r"\\127.0.0.1\data: no answer from 127.0.0.1 during connect"


def test_nothing_listening_is_crit(monkeypatch) -> None:
    results = run(params_on(free_port()), monkeypatch)
    assert results["domain.kerberos"].summary == "KDC unreachable: no answer from 127.0.0.1 for realm EX.TEST"
    assert (results["domain.ldap"].state, results["domain.share"].state) == (State.CRIT, State.CRIT)
    assert results["domain.share"].summary.startswith(r"\\127.0.0.1\data: cannot connect to 127.0.0.1")


def test_missing_kinit_is_unknown_when_required_and_skipped_on_auto(monkeypatch) -> None:
    results = run(params_on(free_port(), kinit="/nonexistent/kinit", kerberos="required", shares=[]), monkeypatch)
    assert results["domain.kerberos"].state is State.UNKNOWN
    assert "Debian: krb5-user" in results["domain.kerberos"].summary
    results = run(params_on(free_port(), kinit="/nonexistent/kinit", shares=[]), monkeypatch)
    assert "domain.kerberos" not in results and "domain.ldap" in results


def test_share_stalling_after_connect_is_cut_off(monkeypatch) -> None:
    """smbprotocol has no timeout after the negotiate: a server stalling in the session
    setup must still end in a result, not a thread held for minutes."""
    import threading

    import collectors.domain.smb as domain
    from collectors.domain import DomainRaw, evaluate, parse
    from collectors.domain.smb import fetch_share

    release = threading.Event()

    def stalls_in_login(unc, params, password, state):
        state["phase"] = "login"
        release.wait(30)
        return domain.ShareRaw(unc, "done", entries=0)

    monkeypatch.setattr(domain, "_open_and_list", stalls_in_login)
    params = params_on(445, connect_timeout_s=0.1)
    try:
        raw = fetch_share(r"\\127.0.0.1\data", params, PASSWORD)
    finally:
        release.set()
    assert (raw.phase, raw.error_type) == ("login", "TimeoutError")
    [result] = evaluate(parse(DomainRaw("EX.TEST", "127.0.0.1", "svc", shares=(raw,))), params, Host(name="pc-01"),
                        datetime(2026, 11, 22, tzinfo=timezone.utc))
    assert (result.state, result.summary) == (State.UNKNOWN, r"\\127.0.0.1\data: no answer from 127.0.0.1 during login")
