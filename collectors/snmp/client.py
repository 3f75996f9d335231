"""The SNMP client every SNMP check uses: ``get`` and multi-column ``walk``, v2c and v3.

Usage (inside an ``async def fetch``)::

    from collectors.snmp.client import open_client

    async with open_client(device.address, device.snmp, io.resolve_secret) as snmp:
        scalars = await snmp.get(["1.3.6.1.2.1.1.3.0"])            # {"1.3.6.1.2.1.1.3.0": 12345}
        table = await snmp.walk(["1.3.6.1.2.1.2.2.1.8",             # ifOperStatus
                                 "1.3.6.1.2.1.31.1.1.1.1"])         # ifName
        # {"1.3.6.1.2.1.2.2.1.8": {"1": 1, "2": 2}, "1.3.6.1.2.1.31.1.1.1.1": {"1": b"Gi0/1", ...}}

Values are plain Python (see collectors/snmp/ber.py): int for INTEGER/Counter/Gauge/
TimeTicks, bytes for OCTET STRING, dotted str for OBJECT IDENTIFIER and IpAddress, None
for NULL. ``get`` leaves out OIDs the agent does not have (noSuchObject/noSuchInstance, or a
noSuchName error naming one of them: that one is dropped and the rest asked again);
``walk`` returns every column asked for, empty when the agent has no rows. Only the
columns asked for are walked (GETBULK, never past the column: no lexicographic mode),
OIDs stay numeric (no MIB lookups).

Failures raise ``SnmpError`` (a ``FetchError``: the runner turns it into UNKNOWN with the
message): no answer within timeout x (retries + 1), a malformed reply, an agent error,
a walk whose OIDs do not increase (a looping agent) or that never ends (more than
``max_rows`` rows in a column). No secret ever appears in a message.

Requests in flight are capped site-wide by one semaphore per event loop
(``set_site_limit``), so a site poll of a thousand devices does not flood the network.
v2c uses the lean codec in ber.py; v3 (USM auth/priv) the same codec wrapped by usm.py
(transport in v3.py); pysnmp stays selectable (``backend: pysnmp``).
"""

from __future__ import annotations

import asyncio
import functools
import random
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from collectors.base import FetchError
from collectors.snmp import ber

Value = int | bytes | str | None
DEFAULT_MAX_REPETITIONS = 25
DEFAULT_MAX_ROWS = 20_000
# Bytes of replies one client (one device's poll) may receive. A 1,000-port chassis walks
# well under 2 MiB; an agent sending a 64 KB row per reply drove `patrol check switch` to
# 1.36 GB before this cap (max_rows alone allows 20,000 such rows). Counted by the transport
# as datagram bytes (len(reply)): summing the decoded OIDs and values instead cost a pass
# over every varbind, ~5% of a switch poll's client CPU.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
DEFAULT_SITE_LIMIT = 64
# Varbinds per GETBULK response we aim for; agents truncate bigger ones to fit their PDU size.
DEFAULT_BULK_VARBINDS = 60


class SnmpError(FetchError):
    """An SNMP exchange that failed; the message is one line and safe to show."""


class SnmpTimeout(SnmpError):
    pass


class SnmpWalkError(SnmpError):
    """A walk that could not finish sanely (non-increasing OIDs, endless column)."""


# ---------------------------------------------------------------- site-wide limit

_site_limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()
_site_limit_size = DEFAULT_SITE_LIMIT


def set_site_limit(size: int) -> None:
    """How many SNMP requests may be in flight at once across the site (per event loop)."""
    global _site_limit_size
    size = max(1, int(size))
    if size != _site_limit_size:
        _site_limit_size = size
        _site_limits.clear()


def site_limiter() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    sem = _site_limits.get(loop)
    if sem is None:
        sem = _site_limits[loop] = asyncio.Semaphore(_site_limit_size)
    return sem


# ---------------------------------------------------------------- transports

class Transport(Protocol):
    """One request/response exchange; OIDs are BER content bytes, values plain Python."""

    received_bytes: int  # bytes of replies received so far (the per-poll cap reads it)

    async def request(self, pdu: int, oids: list[bytes], non_repeaters: int = 0,
                      max_repetitions: int = 0) -> tuple[int, int, list[tuple[bytes, Any]]]:
        """(error_status, error_index, varbinds)."""
        ...

    async def connect(self) -> None:
        """Set up the socket (and SNMP engine) without sending anything."""
        ...

    def close(self) -> None: ...


class _Datagram(asyncio.DatagramProtocol):
    """Hands each reply to the request waiting for its id (``peek``: request-id or v3 msgID)."""

    def __init__(self, peek: Callable[[bytes], int | None], kind: str) -> None:
        self.peek, self.kind = peek, kind
        self.pending: dict[int, asyncio.Future[bytes | None]] = {}
        self.garbage: str | None = None
        self.error: str | None = None

    def datagram_received(self, data: bytes, addr: Any) -> None:
        rid = self.peek(data)
        if rid is None:
            self.garbage = f"a reply that is not an {self.kind} message ({len(data)} bytes)"
            return
        fut = self.pending.get(rid)
        if fut is not None and not fut.done():
            fut.set_result(data)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable and friends
        self.error = exc.strerror or type(exc).__name__ if isinstance(exc, OSError) else str(exc)


def _time_up(fut: asyncio.Future[bytes | None]) -> None:
    """A try's timer: wake the request with None (no reply) unless its reply came first."""
    if not fut.done():
        fut.set_result(None)


class UdpExchange:
    """A connected UDP socket: one datagram out (resent on timeout), the reply with its id back.

    Shared by the v2c transport below and the v3 one (collectors/snmp/v3.py).
    """

    kind = "SNMPv2c"
    silent_hint = "host down, wrong community or ACL?"

    def __init__(self, host: str, port: int, *, timeout: float, retries: int,
                 peek: Callable[[bytes], int | None] = ber.peek_request_id):
        self.host, self.port = host, port
        self.timeout, self.retries = timeout, retries
        self._peek = peek
        self._proto: _Datagram | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self.received_bytes = 0

    async def connect(self) -> None:
        await self._open()

    async def _open(self) -> _Datagram:
        if self._proto is None:
            loop = asyncio.get_running_loop()
            try:
                self._transport, self._proto = await loop.create_datagram_endpoint(
                    lambda: _Datagram(self._peek, self.kind), remote_addr=(self.host, self.port))
            except OSError as exc:
                raise SnmpError(f"cannot open UDP to {self.host}:{self.port}: {exc.strerror or exc}") from None
        return self._proto

    async def exchange(self, key: int, message: bytes, *, retries: int | None = None, hint: str | None = None) -> bytes:
        """The reply whose id (request-id or msgID) is ``key``; SnmpTimeout naming ``hint``."""
        proto = await self._open()
        tries = (self.retries if retries is None else retries) + 1
        loop = asyncio.get_running_loop()
        pending = proto.pending
        reply: bytes | None = None
        try:
            async with site_limiter():
                for _ in range(tries):
                    assert self._transport is not None
                    # One future per try, resolved by the reply or by its own timer with None.
                    # Why not asyncio.wait(timeout=): per request it adds a waiter future, a
                    # done-callback and its own timer (py-spy: asyncio.wait was ~9 % of a poll).
                    # The same id on every try: a late answer to an earlier try counts.
                    fut: asyncio.Future[bytes | None] = loop.create_future()
                    pending[key] = fut
                    self._transport.sendto(message)
                    timer = loop.call_later(self.timeout, _time_up, fut)
                    try:
                        reply = await fut
                    finally:
                        timer.cancel()
                    if reply is not None:
                        self.received_bytes += len(reply)
                        break
        finally:
            pending.pop(key, None)
        if reply is None:
            if proto.garbage:
                raise SnmpError(f"{self.host}:{self.port} sent {proto.garbage}")
            why = f" ({proto.error})" if proto.error else f": {hint or self.silent_hint}"
            raise SnmpTimeout(f"no SNMP answer from {self.host}:{self.port} within {self.timeout:g} s "
                              f"x {tries} tries{why}")
        return reply

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
            self._proto = None


class V2cTransport(UdpExchange):
    """SNMPv2c over a connected UDP socket, encoded and decoded by collectors/snmp/ber.py."""

    def __init__(self, host: str, port: int, community: str, *, timeout: float, retries: int):
        super().__init__(host, port, timeout=timeout, retries=retries)
        self._community = community.encode()

    async def request(self, pdu: int, oids: list[bytes], non_repeaters: int = 0,
                      max_repetitions: int = 0) -> tuple[int, int, list[tuple[bytes, Any]]]:
        rid = random.randrange(1, 2**31 - 1)
        message = ber.encode_request(pdu, rid, self._community, oids, non_repeaters, max_repetitions)
        reply = await self.exchange(rid, message)
        try:
            _, status, index, varbinds = ber.decode_response(reply)
        except ber.BerError as exc:
            raise SnmpError(f"malformed SNMP reply from {self.host}:{self.port}: {exc}") from None
        return status, index, varbinds


# ---------------------------------------------------------------- the client

class SnmpClient:
    """``get`` and ``walk`` over a transport; see the module doc for the contract."""

    def __init__(self, transport: Transport, *, name: str, max_repetitions: int = DEFAULT_MAX_REPETITIONS,
                 max_rows: int = DEFAULT_MAX_ROWS, bulk_varbinds: int = DEFAULT_BULK_VARBINDS,
                 max_bytes: int = DEFAULT_MAX_BYTES):
        self.transport = transport
        self.max_bytes = max_bytes
        self.bulk_varbinds = max(1, bulk_varbinds)
        self.name = name
        self.max_repetitions = max_repetitions
        self.max_rows = max_rows
        self.requests = 0  # exchanges made (for benchmarks and debugging)
        self.varbinds = 0  # varbinds received

    async def __aenter__(self) -> SnmpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()

    async def connect(self) -> None:
        """Open the socket (v3: build the SNMP engine) now, e.g. before timing a request."""
        await self.transport.connect()

    async def _request(self, pdu: int, oids: list[bytes], non_rep: int = 0,
                       max_rep: int = 0) -> tuple[int, int, list[tuple[bytes, Any]]]:
        self.requests += 1
        status, index, varbinds = await self.transport.request(pdu, oids, non_rep, max_rep)
        self.varbinds += len(varbinds)
        if self.transport.received_bytes > self.max_bytes:
            raise SnmpWalkError(f"{self.name}: the device sent more than {self.max_bytes // 2**20} MiB of SNMP data "
                                "in one poll; stopped (a runaway agent?)")
        return status, index, varbinds

    async def get(self, oids: Sequence[str]) -> dict[str, Value]:
        """Values of the given instance OIDs; absent ones are left out."""
        wanted = {_encoded_oid(oid): oid.strip().lstrip(".") for oid in oids}
        out: dict[str, Value] = {}
        keys = list(wanted)
        chunk = 32
        i = 0
        while i < len(keys):
            part = keys[i:i + chunk]
            status, index, varbinds = await self._request(ber.GET, part)
            if status == 1 and chunk > 1:  # tooBig: ask for fewer at a time
                chunk = max(1, chunk // 2)
                continue
            if status == 2 and 1 <= index <= len(part):
                # noSuchName: an SNMPv1-style agent refusing the whole GET for one absent
                # object (a partial agent); leave that object out and ask for the rest.
                del keys[i + index - 1]
                continue
            if status != 0:
                raise SnmpError(f"{self.name}: agent answered GET with "
                                f"{ber.ERROR_STATUS.get(status, status)} (index {index})")
            for oid, value in varbinds:
                if value in ber.EXCEPTIONS:
                    continue
                out[wanted.get(oid) or ber.decode_oid(oid)] = value
            i += len(part)
        return out

    async def walk(self, columns: Sequence[str], *, max_rows: int | None = None) -> dict[str, dict[str, Value]]:
        """Rows of each column: ``{column: {index_suffix: value}}``, walked together by GETBULK."""
        limit = max_rows or self.max_rows
        cols = [c.strip().lstrip(".") for c in columns]
        prefixes = [_encoded_oid(c) for c in cols]
        rows: list[dict[str, Value]] = [{} for _ in cols]
        last = list(prefixes)
        last_key: list[tuple[int, ...]] = [() for _ in cols]
        active = list(range(len(cols)))
        budget = self.bulk_varbinds
        eom, no_such_instance, no_such_object = ber.END_OF_MIB_VIEW, ber.NO_SUCH_INSTANCE, ber.NO_SUCH_OBJECT
        index_keys = _index_keys
        while active:
            # About ``budget`` varbinds per exchange: all columns together, fewer rows each.
            group = active[:budget]
            n = len(group)
            r = max(1, min(self.max_repetitions, budget // n))
            status, index, varbinds = await self._request(ber.GETBULK, [last[j] for j in group], 0, r)
            if status == 1 and budget > 1:  # tooBig
                budget = max(1, budget // 2)
                continue
            if status != 0:
                raise SnmpError(f"{self.name}: agent answered GETBULK with "
                                f"{ber.ERROR_STATUS.get(status, status)} (index {index})")
            if not varbinds:
                raise SnmpWalkError(f"{self.name}: empty GETBULK response while walking {cols[group[0]]}")
            finished: set[int] = set()
            progressed = False
            for pos, j in enumerate(group):
                prefix, table, prev_key = prefixes[j], rows[j], last_key[j]
                plen = len(prefix)
                prev: bytes | None = None
                # This column's varbinds are every n-th from its position (GETBULK order);
                # iterating the slice, markers held in locals, and the suffix cache's get:
                # this loop runs once per varbind, so each saved lookup counts.
                for oid, value in varbinds[pos::n]:
                    if value is eom or not oid.startswith(prefix):
                        finished.add(j)
                        break
                    cached = index_keys.get(oid[plen:])
                    if cached is None:
                        cached = _index_key(oid[plen:], cols[j], self.name)
                    key, numbers = cached
                    # Sub-identifier tuples, not BER bytes: multi-byte sub-identifiers of
                    # different lengths do not sort bytewise (436326400 vs 151060481).
                    if numbers <= prev_key:
                        raise SnmpWalkError(f"{self.name}: agent returned a non-increasing OID in "
                                            f"{cols[j]} (looping walk)")
                    prev, prev_key = oid, numbers
                    if value is no_such_instance or value is no_such_object:  # no value for this row
                        continue
                    table[key] = value
                if prev is not None:  # at least one row taken: it is where this column goes on
                    progressed = True
                    last[j], last_key[j] = prev, prev_key
                if len(table) > limit:
                    raise SnmpWalkError(f"{self.name}: column {cols[j]} has more than {limit} rows "
                                        f"(endless walk?)")
            if not progressed and not finished:
                raise SnmpWalkError(f"{self.name}: GETBULK made no progress walking {cols[group[0]]}")
            active = [j for j in active if j not in finished]
        return {col: rows[j] for j, col in enumerate(cols)}


# Row indexes already decoded, by their BER suffix: the same ifIndex suffixes come back in
# every column of every switch, so one process-wide table decodes each once (was: per walk).
# Bounded (~350 bytes an entry with 7-part indexes, ~7 MB full): emptied when full, so
# endless distinct indexes (a hostile agent, a huge table) cost a re-decode, never memory.
_index_keys: dict[bytes, tuple[str, tuple[int, ...]]] = {}
_INDEX_KEYS_MAX = 20_000
# Column and scalar OIDs are the same strings in every poll: encode each once.
_encoded_oid = functools.lru_cache(maxsize=4096)(ber.encode_oid)


def _index_key(suffix: bytes, column: str, name: str) -> tuple[str, tuple[int, ...]]:
    """The row index of a column OID's suffix as dotted text and as numbers (for ordering),
    remembered in ``_index_keys``."""
    try:
        if suffix and max(suffix) < 0x80:
            numbers = tuple(suffix)
        else:
            numbers = tuple(ber.subids(suffix))
    except ber.BerError as exc:
        raise SnmpError(f"{name}: malformed OID in {column}: {exc}") from None
    if len(_index_keys) >= _INDEX_KEYS_MAX:
        _index_keys.clear()
    entry = _index_keys[suffix] = ".".join(map(str, numbers)), numbers
    return entry


def open_client(address: str, creds: Any, resolve_secret: Callable[[Any], str] | None, *,
                max_repetitions: int = DEFAULT_MAX_REPETITIONS, max_rows: int = DEFAULT_MAX_ROWS,
                bulk_varbinds: int = DEFAULT_BULK_VARBINDS, backend: str | None = None) -> SnmpClient:
    """A client for ``address`` with inventory ``SnmpCredentials`` (secrets resolved now).

    ``backend`` overrides the credentials' ``backend``: "lean" (ber.py, and usm.py for v3)
    or "pysnmp" (stock pysnmp 7: the cross-check in tests and benchmarks, and a way out
    for an agent the lean codec cannot talk to). Nothing is sent until the first request.
    """
    if resolve_secret is None:
        from config.secrets import resolve_secret as default_resolve

        resolve_secret = default_resolve
    name = f"{address}:{creds.port}"
    backend = backend or getattr(creds, "backend", "lean")
    try:
        transport: Transport
        if backend == "pysnmp":
            from collectors.snmp.pysnmp_backend import PysnmpTransport

            transport = PysnmpTransport(address, creds, resolve_secret)
        elif creds.version == "2c":
            transport = V2cTransport(address, creds.port, resolve_secret(creds.community),
                                     timeout=creds.timeout_s, retries=creds.retries)
        else:
            from collectors.snmp.v3 import V3Transport, usm_user

            transport = V3Transport(address, creds.port, usm_user(creds, resolve_secret), context=creds.context,
                                    timeout=creds.timeout_s, retries=creds.retries)
    except FetchError:
        raise
    except Exception as exc:  # SecretUnavailable names the reference, never the value
        raise SnmpError(f"{name}: SNMP credentials unavailable: {exc}") from None
    return SnmpClient(transport, name=name, max_repetitions=max_repetitions, max_rows=max_rows,
                      bulk_varbinds=bulk_varbinds)
