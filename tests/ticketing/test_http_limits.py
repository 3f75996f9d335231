"""Webhook and RT calls against misbehaving servers on loopback: a redirect is a failure (the call stays
queued, nothing reaches the redirect target), a trickling server cannot hold a call past its deadline, and an
oversized reply is never read into memory.

The servers are raw sockets so each can misbehave exactly: ``requests``' own test servers cannot trickle.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from agent.ticketing.backends.base import BackendRejected, BackendUnavailable, NewTicket
from agent.ticketing.backends.rt import MAX_REPLY_BYTES, RtBackend
from agent.ticketing.backends.webhook import WebhookBackend
from collectors.base import State
from tests.ticketing.conftest import settings_with

DISK = ("pc-00", "system.disk", State.CRIT, "/")
NEW = NewTicket(fingerprint="ab" * 16, subject="s", body="b", tier="urgent", level=90, severity="crit", site="acme",
                target="pc-00", check="system.disk", item="/")


class RawServer:
    """A loopback TCP server that hands each connection to ``behave`` (in its own thread)."""

    def __init__(self, behave: Callable[[socket.socket], None]):
        self.behave = behave
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                self.requests.append(_read_request(conn))
                self.behave(conn)
            except OSError:
                pass  # the client gave up: that is what these tests want

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
            while len(body) < length:
                body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(behave: Callable[[socket.socket], None]) -> RawServer:
        servers.append(RawServer(behave))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def answer(status: str, body: bytes = b"", headers: str = "") -> Callable[[socket.socket], None]:
    def behave(conn: socket.socket) -> None:
        conn.sendall(f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n{headers}\r\n"
                     .encode() + body)
    return behave


def trickle(prefix: bytes) -> Callable[[socket.socket], None]:
    """Send ``prefix`` then one byte every 0.4 s, for as long as the client listens."""
    def behave(conn: socket.socket) -> None:
        conn.sendall(prefix)
        for _ in range(200):
            time.sleep(0.4)
            conn.sendall(b"x")
    return behave


def endless(head: bytes) -> Callable[[socket.socket], None]:
    """``head``, then a body of 1 MiB blocks until the client hangs up (100 MB and more)."""
    def behave(conn: socket.socket) -> None:
        conn.sendall(head)
        block = b"y" * (1 << 20)
        for _ in range(100):
            conn.sendall(block)
    return behave


# --- redirects ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "307 Temporary Redirect",
                                    "308 Permanent Redirect"])
def test_a_redirected_webhook_call_stays_queued_and_nothing_reaches_the_target(make_harness, serve, status):
    elsewhere = serve(answer("200 OK", b"{}"))
    redirecting = serve(answer(status, headers=f"Location: {elsewhere.url}/collect\r\n"))
    h = make_harness(settings_with(backend="webhook", webhook={"url": redirecting.url, "secret": "env:HOME",
                                                              "timeout_s": 2}))
    h.cycle(DISK)
    summary = h.cycle(DISK)
    assert summary.opened and summary.outbox_waiting == 1
    [op] = h.service.outbox.pending()
    assert op.op == "open" and f"HTTP {status.split()[0]} redirect to {elsewhere.url}/collect: not followed" in op.last_error
    assert len(redirecting.requests) == 1 and elsewhere.requests == []  # neither body nor signature went there


def test_a_redirected_rt_call_is_refused(serve):
    elsewhere = serve(answer("200 OK", b'{"id": 8}'))
    redirecting = serve(answer("302 Found", headers=f"Location: {elsewhere.url}/REST/2.0/ticket\r\n"))
    with pytest.raises(BackendRejected, match="RT POST /ticket: HTTP 302 redirect to .* not followed"):
        RtBackend(redirecting.url, "token", timeout_s=2).open(NEW)
    assert elsewhere.requests == []


# --- a total deadline ---------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", [b"HTTP/1.1 200 OK\r\nX-Slow: ", b"HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n"],
                         ids=["trickled-headers", "trickled-body"])
def test_a_trickling_server_cannot_hold_a_call_past_its_deadline(serve, prefix):
    slow = serve(trickle(prefix))
    for call in (lambda: WebhookBackend(slow.url, timeout_s=1.5).open(NEW),
                 lambda: RtBackend(slow.url, "token", timeout_s=1.5).find(NEW.fingerprint, resolved_since=None)):
        started = time.monotonic()
        with pytest.raises(BackendUnavailable, match="no complete answer within 1.5 s"):
            call()
        assert time.monotonic() - started < 3  # one byte every 0.4 s would otherwise go on for 80 s


def test_a_trickling_webhook_does_not_hang_a_cycle(make_harness, serve):
    slow = serve(trickle(b"HTTP/1.1 200 OK\r\nX-Slow: "))
    h = make_harness(settings_with(backend="webhook", webhook={"url": slow.url, "timeout_s": 1}))
    h.cycle(DISK)
    started = time.monotonic()
    summary = h.cycle(DISK)
    assert time.monotonic() - started < 5 and summary.outbox_waiting == 1
    assert "no complete answer within 1 s" in h.service.outbox.pending()[0].last_error


# --- capped replies -------------------------------------------------------------------------------------

def test_an_oversized_rt_reply_is_refused_without_reading_it(serve):
    declared = serve(endless(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"))
    with pytest.raises(BackendRejected, match="the answer is 104857600 bytes, more than the 1048576 accepted"):
        RtBackend(declared.url, "token", timeout_s=5).find(NEW.fingerprint, resolved_since=None)
    undeclared = serve(endless(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"))
    with pytest.raises(BackendRejected, match=f"longer than the {MAX_REPLY_BYTES} bytes accepted"):
        RtBackend(undeclared.url, "token", timeout_s=5).find(NEW.fingerprint, resolved_since=None)


def test_an_oversized_webhook_reply_is_cut_and_the_event_counts_as_delivered(serve):
    """A 2xx is all a webhook needs; the 100 MB after it are not read."""
    huge = serve(endless(b"HTTP/1.1 202 Accepted\r\nContent-Length: 104857600\r\n\r\n"))
    started = time.monotonic()
    assert WebhookBackend(huge.url, timeout_s=5).open(NEW).key == NEW.fingerprint
    assert time.monotonic() - started < 3 and len(huge.requests) == 1


def test_connection_refused_names_the_origin_without_credentials():
    with pytest.raises(BackendUnavailable, match=r"cannot connect to http://127.0.0.1:9 \(Connection refused\)") as err:
        WebhookBackend("http://user:pa55word@127.0.0.1:9/hook?token=t0k3n", timeout_s=1).open(NEW)
    assert "pa55word" not in str(err.value) and "t0k3n" not in str(err.value)
