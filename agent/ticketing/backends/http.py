"""HTTP calls to ticket systems with hard limits: no redirect followed, a total deadline, a capped reply.

``requests`` alone gives none of the three:

- it follows redirects, so a 301/302 turned a webhook POST into a bodiless GET whose 200
  marked the call done, and a 307 re-sent the body and its HMAC signature to whatever host
  the ``Location`` named. Here a 3xx is a failure: the call stays in the outbox.
- its ``timeout`` bounds each socket read, not the call: a server sending one byte every
  two seconds held `patrol inspect` for as long as it liked. Here a watchdog timer shuts
  the call's sockets down when the deadline passes, whatever phase the call is in.
- it reads the whole reply into memory. Here at most ``max_bytes`` are read.

The watchdog finds the call's sockets through the connection class of a mounted adapter,
which registers each socket it connects or reuses with the call running in its thread.
(Proxies configured through the environment are not used by these sessions.)
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from agent.ticketing.backends.base import BackendRejected, BackendUnavailable

_CHUNK = 65536
_local = threading.local()


class _Watch:
    """The sockets of one call; ``expire`` (from the timer thread) shuts them down, unblocking any read."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self.expired = False
        self._lock = threading.Lock()

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self.sockets.append(sock)
            if self.expired:
                _shutdown(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self.sockets:
                _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed: nothing left to unblock
        pass


def _register(sock: Any) -> None:
    watch = getattr(_local, "watch", None)
    if watch is not None:
        watch.add(sock)


class _Watched:
    """Mixed into urllib3's connections: new and reused sockets join the running call's watch."""

    sock: Any

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _register(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        if self.sock is not None:  # a kept-alive connection: connect() is not called again
            _register(self.sock)
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _Conn(_Watched, HTTPConnection):
    pass


class _TlsConn(_Watched, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Conn


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = _TlsConn


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}


def bounded_session() -> requests.Session:
    """A session whose calls ``bounded_request`` can cut off at their deadline."""
    session = requests.Session()
    session.trust_env = False  # no environment proxies: their connections would escape the watchdog
    adapter = _Adapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    reason: str
    body: bytes
    location: str | None  # of a redirect

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def bounded_request(session: requests.Session, method: str, url: str, *, what: str, deadline_s: float,
                    max_bytes: int, truncate: bool = False, **kwargs: Any) -> Reply:
    """One call, finished within ``deadline_s`` (else ``BackendUnavailable``), never redirected (a 3xx is
    ``BackendRejected``), reading at most ``max_bytes`` of the reply: a longer one is ``BackendRejected``, or
    cut there when ``truncate`` (the caller only needs the status)."""
    watch = _Watch()
    timer = threading.Timer(deadline_s, watch.expire)
    timer.daemon = True
    _local.watch = watch
    timer.start()
    try:
        reply = session.request(method, url, timeout=(deadline_s, deadline_s), allow_redirects=False, stream=True,
                                **kwargs)
        try:
            body = _read(reply, what, max_bytes, truncate)
        finally:
            reply.close()
    except BackendRejected:
        raise
    except (requests.RequestException, OSError) as exc:
        if watch.expired or isinstance(exc, requests.Timeout):
            raise BackendUnavailable(f"{what}: no complete answer within {deadline_s:g} s") from None
        raise BackendUnavailable(f"{what}: cannot connect to {_origin(url)} ({_reason(exc)})") from None
    finally:
        timer.cancel()
        _local.watch = None
    if watch.expired:
        # Cut off mid-answer: http.client may take the shut socket for the end of the headers or body and
        # hand over a truncated "200". A call that needed the watchdog failed, whatever it seemed to return.
        raise BackendUnavailable(f"{what}: no complete answer within {deadline_s:g} s")
    if 300 <= reply.status_code < 400:
        target = reply.headers.get("Location") or "nowhere"
        raise BackendRejected(f"{what}: HTTP {reply.status_code} redirect to {target[:200]}: not followed (it would "
                              "drop the body or send it elsewhere); put the final URL in the settings")
    return Reply(reply.status_code, reply.reason or "", body, reply.headers.get("Location"))


def _read(reply: requests.Response, what: str, max_bytes: int, truncate: bool) -> bytes:
    declared = reply.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes and not truncate:
        raise BackendRejected(f"{what}: the answer is {int(declared)} bytes, more than the {max_bytes} accepted")
    body = bytearray()
    for chunk in reply.iter_content(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            if truncate:
                return bytes(body[:max_bytes])
            raise BackendRejected(f"{what}: the answer is longer than the {max_bytes} bytes accepted")
    return bytes(body)


def _origin(url: str) -> str:
    """scheme://host[:port] of ``url``: never its user info (a password) or path and query."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host", "timed out",
                   "Connection reset"):
        if marker in text:
            return marker
    return type(exc).__name__
