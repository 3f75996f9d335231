"""Bad answers from a backend: a clear error in the log and the outbox, and the agent carries on.

The RT backend is pointed at a local HTTP server that answers what each case scripts.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from agent.ticketing import schema
from agent.ticketing.backends.rt import RtBackend
from collectors.base import State
from tests.ticketing.conftest import settings_with

DISK = ("pc-00", "system.disk", State.CRIT, "/")

CASES = [
    ("garbage", (200, b"<html>It works!</html>"), "RT GET /tickets: the answer is not JSON (is rt.url an RT 5 server?)"),
    ("json-without-items", (200, b'{"total": 0}'), "RT GET /tickets: the answer has no 'items' list"),
    ("unauthorized", (401, b'{"message":"Unauthorized"}'), "RT GET /tickets: HTTP 401, the token was refused (check rt.token)"),
    ("not-found", (404, b'{"message":"Not Found"}'), "RT GET /tickets: HTTP 404, not found (wrong rt.url, or the ticket was deleted)"),
    ("server-error", (503, b"busy"), "RT GET /tickets: server error HTTP 503"),
    ("timeout", "hang", "RT GET /tickets: no complete answer within 0.5 s"),
]


@pytest.mark.parametrize("answer, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_answers_are_reported_and_kept(make_harness, receiver, caplog, answer, message):
    receiver.script = [answer] * 50
    backend = RtBackend(receiver.url, "secret-token-value", timeout_s=0.5)
    h = make_harness(settings_with(), backend=backend)
    caplog.set_level(logging.WARNING)
    h.cycle(DISK)
    summary = h.cycle(DISK)
    assert summary.opened and summary.outbox_waiting == 1  # decided, kept, not lost
    [op] = h.service.outbox.pending()
    assert (op.op, op.attempts, op.last_error) == ("open", 1, message)
    assert message in caplog.text
    assert "secret-token-value" not in caplog.text and "secret-token-value" not in op.last_error
    # Later cycles keep working and do not hammer the backend before the backoff is over.
    for _ in range(3):
        h.cycle(DISK, minutes=0.1)
    assert h.service.outbox.pending()[0].attempts == 1


def test_connection_refused_backs_off_and_then_delivers(make_harness, receiver):
    receiver.script = [(503, b"")] * 2
    receiver.body = b'{"id": "7", "_url": "x"}'
    backend = RtBackend(receiver.url, "t", timeout_s=2)
    h = make_harness(settings_with(outbox={"retry_base_s": 60}), backend=backend)
    h.cycle(DISK)
    h.cycle(DISK)
    assert h.service.outbox.pending()[0].attempts == 1
    h.clock.advance(seconds=61)
    h.service.drain_outbox()
    [op] = h.service.outbox.pending()
    assert op.attempts == 2 and op.next_attempt_at == h.clock.now + timedelta(seconds=120)
    h.clock.advance(seconds=121)
    receiver.status = 200
    receiver.body = b'{"items": []}'
    # find() answers "none", then the POST creates ticket 7 (the receiver answers the same body).
    receiver.script = [(200, b'{"items": []}'), (201, b'{"id": "7"}')]
    assert h.service.drain_outbox() == 1
    assert not h.service.outbox.pending()


def test_one_refused_fingerprint_does_not_block_the_others(make_harness, receiver):
    # First ticket's find gets a 404, the second one goes through.
    receiver.script = [(404, b"{}"), (200, b'{"items": []}'), (201, b'{"id": "8"}')]
    backend = RtBackend(receiver.url, "t", timeout_s=2)
    h = make_harness(settings_with(), backend=backend)
    two = (DISK, ("pc-01", "system.disk", State.CRIT, "/"))
    h.cycle(*two)
    summary = h.cycle(*two)
    assert len(summary.opened) == 2 and summary.outbox_sent == 1 and summary.outbox_waiting == 1


def test_two_processes_draining_at_once_send_each_call_once(make_harness, receiver):
    """`patrol run` and `patrol tickets outbox --drain` may drain together: each row is claimed once."""
    receiver.script = [(200, b'{"items": []}'), (201, b'{"id": "9"}')]
    settings = settings_with(outbox={"drain_each_cycle": False})
    h = make_harness(settings, backend=RtBackend(receiver.url, "t", timeout_s=2))
    h.cycle(DISK)
    h.cycle(DISK)
    [op] = h.service.outbox.pending()
    mine = h.service.outbox  # two Outbox objects over one store, as two processes would have
    other = type(mine)(h.store.engine, h.store.site, mine.backend, clock=h.clock)
    with h.store.engine.connect() as conn:
        raw = conn.execute(sa.select(schema.outbox).where(schema.outbox.c.id == op.id)).one()
    assert mine._claim(raw, h.clock.now) is True
    assert other._claim(raw, h.clock.now) is False
    assert other.drain() == 0  # leased by the first: not sent twice
    h.clock.advance(minutes=6)  # the first "died"; the lease ran out
    assert other.drain() == 1


def test_escalation_notice_goes_out_while_the_ticket_backend_is_down(make_harness):
    from tests.ticketing.test_properties import FlakyBackend

    notices: list[dict] = []
    settings = settings_with(escalation={"webhook_url": "http://127.0.0.1:9/unused"})
    h = make_harness(settings, backend=FlakyBackend, notify=notices.append)
    h.cycle(DISK)
    h.cycle(DISK)
    h.service.backend.mode = "down"
    h.clock.advance(hours=1)  # the serious tier's response deadline passes
    summary = h.cycle(DISK)
    assert summary.escalated and [n["missed"] for n in notices] == ["response"]
    assert {op.op for op in h.service.outbox.pending()} == {"comment", "priority"}  # waiting for the backend


def test_a_missing_token_is_an_outbox_error_naming_the_reference(make_harness, monkeypatch):
    monkeypatch.delenv("PATROL_TEST_NO_SUCH_TOKEN", raising=False)
    settings = settings_with(backend="rt", rt={"url": "http://127.0.0.1:9", "token": "env:PATROL_TEST_NO_SUCH_TOKEN"})
    h = make_harness(settings)  # building the service does not need the secret yet
    h.cycle(DISK)
    summary = h.cycle(DISK)
    assert summary.opened and summary.outbox_waiting == 1
    [op] = h.service.outbox.pending()
    assert op.last_error == ("RT: rt.token: environment variable PATROL_TEST_NO_SUCH_TOKEN is not set "
                             "(secret env:PATROL_TEST_NO_SUCH_TOKEN)")
