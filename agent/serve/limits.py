"""Request bodies within bounds, before any route sees them (a pure ASGI middleware).

- a Content-Length over the limit is refused (413) without keeping the body (it is read and
  dropped first, so the client hears the 413 rather than a reset connection);
- a body is read with a total deadline (a client trickling bytes gets 408, not a held slot);
- ``Content-Encoding: gzip`` is inflated here with the same limit on the inflated size, so a
  10 kB gzip bomb is a 413 too, and routes always see plain JSON;
- any other content encoding is 415.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(Exception):
    pass


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def inflate(body: bytes, limit: int) -> bytes:
    """gunzip ``body``; raises BodyTooLarge past ``limit`` bytes, ValueError when it is not gzip."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"the body is not valid gzip ({exc})") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge()
    if not inflater.eof:
        raise ValueError("the gzip body is truncated")
    return out


class BodyLimits:
    def __init__(self, app: ASGIApp, max_bytes: int, read_deadline_s: float = 30.0):
        self.app = app
        self.max_bytes = max_bytes
        self.read_deadline_s = read_deadline_s
        # A refused body up to this size is read and dropped before the 413: a client still
        # sending when the connection closes gets a reset (over TLS: "EOF occurred in violation
        # of protocol") instead of our answer, and an agent would retry the same batch
        # forever rather than split it.
        self.drain_max_bytes = max(4 * max_bytes, 64 * 1024 * 1024)

    async def _drain(self, receive: Receive) -> None:
        async def drop() -> None:
            seen = 0
            while seen <= self.drain_max_bytes:
                message = await receive()
                if message["type"] == "http.disconnect" or not message.get("more_body", False):
                    return
                seen += len(message.get("body", b""))

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(drop(), self.read_deadline_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        limit_text = f"{self.max_bytes / 1048576:g} MB (serve.max_body_mb)"
        length = headers.get(b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                await _reply(send, 400, "Content-Length is not a number")
                return
            if int(length) > self.max_bytes:
                if int(length) <= self.drain_max_bytes:
                    await self._drain(receive)
                await _reply(send, 413, f"request body larger than {limit_text}")
                return
        encoding = headers.get(b"content-encoding", b"identity").strip().lower()
        if encoding not in (b"identity", b"gzip", b""):
            await _reply(send, 415, "only gzip or no Content-Encoding is accepted")
            return
        try:
            body = await asyncio.wait_for(self._read(receive), self.read_deadline_s)
        except asyncio.TimeoutError:
            await _reply(send, 408, f"the request body did not arrive within {self.read_deadline_s:g} s")
            return
        except BodyTooLarge:
            await self._drain(receive)
            await _reply(send, 413, f"request body larger than {limit_text}")
            return
        if body is None:  # the client went away
            return
        if encoding == b"gzip" and body:
            try:
                body = inflate(body, self.max_bytes)
            except BodyTooLarge:
                await _reply(send, 413, f"inflated request body larger than {limit_text}")
                return
            except ValueError as exc:
                await _reply(send, 400, str(exc))
                return
        new_headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"content-encoding", b"content-length")]
        new_headers.append((b"content-length", str(len(body)).encode()))
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(dict(scope, headers=new_headers), replay, send)

    async def _read(self, receive: Receive) -> bytes | None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                raise BodyTooLarge()
            if not message.get("more_body", False):
                return bytes(body)
