"""Console accounts, sessions and login throttling against a real SQLite store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from agent.serve.console.accounts import SESSION_LIFETIME, AccountError, Accounts
from agent.serve.console.schema import CONSOLE
from agent.serve.console.throttle import FREE_FAILURES, Throttle
from agent.store import Store

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def accounts(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'patrol.sqlite'}", "acme", [CONSOLE])
    clock = Clock()
    yield Accounts(store.engine, clock), clock, store
    store.close()


def test_password_is_stored_as_argon2id_and_verified(accounts):
    acc, _clock, store = accounts
    acc.add("alice", "correct horse battery", "engineer", None)
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM console_users").scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert acc.verify("alice", "correct horse battery").role == "engineer"
    assert acc.verify("alice", "wrong horse battery") is None
    assert acc.verify("nobody", "correct horse battery") is None


@pytest.mark.parametrize("args, message", [
    (("bob", "short", "admin", None), "at least 10"),
    (("bob", "long enough pw", "root", None), "unknown role"),
    (("bob", "long enough pw", "viewer", None), "give --site"),
    (("b b", "long enough pw", "admin", None), "without spaces"),
], ids=["short-password", "bad-role", "viewer-without-site", "space-in-name"])
def test_bad_user_is_refused_with_the_reason(accounts, args, message):
    acc, _clock, _store = accounts
    with pytest.raises(AccountError, match=message):
        acc.add(*args)


def test_session_survives_reopen_until_it_expires(accounts, tmp_path):
    acc, clock, store = accounts
    user = acc.add("alice", "correct horse battery", "viewer", "acme")
    token, session = acc.open_session(user, "127.0.0.1")
    again = Accounts(Store(store.engine, "acme").engine, clock)  # as after a restart: only the database
    assert again.session(token).user == user and again.session(token).csrf == session.csrf
    clock.now += SESSION_LIFETIME + timedelta(seconds=1)
    assert again.session(token) is None
    assert again.session("made-up") is None and again.session(None) is None


def test_password_change_and_removal_end_sessions(accounts):
    acc, _clock, _store = accounts
    user = acc.add("alice", "correct horse battery", "admin", None)
    token, _ = acc.open_session(user, None)
    acc.passwd("alice", "another long password")
    assert acc.session(token) is None
    token, _ = acc.open_session(user, None)
    acc.remove("alice")
    assert acc.session(token) is None
    with pytest.raises(AccountError):
        acc.remove("alice")


def test_throttle_per_user_and_per_address():
    clock = Clock()
    throttle = Throttle(clock)
    for _ in range(FREE_FAILURES["user"]):
        assert throttle.wait_s("alice", "10.0.0.1") == 0
        throttle.failed("alice", "10.0.0.1")
    assert throttle.wait_s("alice", "10.0.0.9") == 30  # the user name is held, from any address
    assert throttle.wait_s("bob", "10.0.0.9") == 0
    clock.now += timedelta(seconds=31)
    assert throttle.wait_s("ALICE", "10.0.0.9") == 0
    throttle.failed("alice", "10.0.0.1")
    assert throttle.wait_s("alice", "10.0.0.1") == 60  # doubles with each further failure
    for i in range(FREE_FAILURES["address"]):  # many names from one address
        throttle.failed(f"user{i}", "10.0.0.2")
    assert throttle.wait_s("carol", "10.0.0.2") > 0
    throttle.succeeded("alice")
    assert throttle.wait_s("alice", "10.0.0.3") == 0
