"""SNMPv3 (USM) on the lean codec: engine discovery, time-window resync, and every failure
named. The message work is pure and lives in collectors/snmp/usm.py.

One exchange, as RFC 3414 describes the non-authoritative (requesting) side:
1. Engine discovery, once per agent per process: an empty-user probe; the agent's Report
   carries its engine ID, boots and time. What we learnt is kept per (host, port), so
   the next poll of the device starts at step 2.
2. The request, authenticated with the user's keys localised to that engine ID (cached:
   localisation from a password is a megabyte of hashing) and encrypted when asked.
3. A Report instead of a Response: usmStatsNotInTimeWindows (the agent rebooted, or our
   clock estimate drifted) -> take boots/time from that authenticated Report and resend
   once; usmStatsUnknownEngineIDs (the device was replaced) -> discover again, resend
   once; anything else (unknown user, wrong digest, decryption error, unsupported
   security level, unknown context) -> SnmpError naming the counter and its meaning.
4. The Response is checked: its MAC (a forged or corrupted reply is refused), its time
   window, its request-id; then decrypted and decoded like a v2c one.

Agents drop a request they cannot decrypt without a word (net-snmp 5.9 does), so an
authPriv request that times out after a successful discovery is probed once more: an
agent that answers discovery but not the request is named as having a wrong privacy key
or protocol (or no access for the user), instead of "host down".
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable
from typing import Any

from collectors.snmp import ber, usm
from collectors.snmp.client import SnmpError, SnmpTimeout, UdpExchange

# What we know of each agent's engine (ID, boots, time) by (host, port): a site poll every
# few minutes then costs no discovery round trip. Small: one entry per v3 device.
_engines: dict[tuple[str, int], usm.EngineClock] = {}
# Salts (AES: 64-bit, DES: 32-bit) must not repeat under one key: one process-wide counter
# from a random start (RFC 3826 3.1.2.1).
_salts = itertools.count(random.getrandbits(63))


class V3Transport(UdpExchange):
    kind = "SNMPv3"
    silent_hint = "host down, not an SNMPv3 agent, or ACL?"

    def __init__(self, host: str, port: int, user: usm.User, *, context: str = "", timeout: float, retries: int,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(host, port, timeout=timeout, retries=retries, peek=usm.peek_msg_id)
        self.user = user
        self.context = context.encode()
        self.clock = clock
        self.name = f"{host}:{port}"

    def _fail(self, what: str) -> SnmpError:
        return SnmpError(f"SNMPv3 {self.name} user {self.user.name.decode(errors='replace')!r} "
                         f"({self.user.level}): {what}")

    async def discover(self, retries: int | None = None) -> usm.EngineClock:
        """The agent's engine ID, boots and time (RFC 3414 section 4)."""
        msg_id, rid = random.randrange(1, 2**31 - 1), random.randrange(1, 2**31 - 1)
        reply = await self.exchange(msg_id, usm.discovery_request(msg_id, rid), retries=retries,
                                    hint="SNMPv3 engine ID discovery failed: host down, not an SNMPv3 agent, or ACL?")
        try:
            msg = usm.parse_message(reply)
            _, _, (tag, _, _, _, varbinds) = usm.open_scoped(self.user, msg)
        except ber.BerError as exc:
            raise self._fail(f"engine ID discovery failed: malformed reply: {exc}") from None
        if not msg.engine_id or not 5 <= len(msg.engine_id) <= 32:  # SnmpEngineID is 5..32 octets
            raise self._fail(f"engine ID discovery failed: the agent's Report carried an engine ID of "
                             f"{len(msg.engine_id)} octets")
        if tag != ber.REPORT:
            raise self._fail("engine ID discovery failed: the agent answered the probe without a Report")
        engine = usm.EngineClock(msg.engine_id, msg.boots, msg.time, self.clock())
        _engines[(self.host, self.port)] = engine
        return engine

    async def request(self, pdu: int, oids: list[bytes], non_repeaters: int = 0,
                      max_repetitions: int = 0) -> tuple[int, int, list[tuple[bytes, Any]]]:
        engine = _engines.get((self.host, self.port)) or await self.discover()
        resynced = rediscovered = False
        while True:
            rid, msg_id = random.randrange(1, 2**31 - 1), random.randrange(1, 2**31 - 1)
            boots, etime = engine.now(self.clock())
            try:
                message = usm.request_message(self.user, msg_id=msg_id, engine_id=engine.engine_id, boots=boots,
                                              time=etime, context=self.context,
                                              pdu=ber.encode_pdu(pdu, rid, oids, non_repeaters, max_repetitions),
                                              salt_counter=next(_salts))
            except ValueError as exc:  # a key the protocols cannot use
                raise self._fail(str(exc)) from None
            try:
                reply = await self.exchange(msg_id, message)
            except SnmpTimeout:
                raise await self._silence() from None
            msg, (tag, reply_rid, status, index, varbinds) = self._open_reply(reply)
            at = self.clock()
            if tag == ber.REPORT:
                counter, meaning = usm.report_reason(varbinds)
                if counter == usm.NOT_IN_TIME_WINDOW and not resynced and msg.flags & usm.FLAG_AUTH:
                    # an authenticated Report: its boots/time are the agent's (RFC 3414 3.2 step 7b)
                    engine = _engines[(self.host, self.port)] = usm.EngineClock(engine.engine_id, msg.boots,
                                                                                msg.time, at)
                    resynced = True
                    continue
                if counter == usm.UNKNOWN_ENGINE_ID and not rediscovered:
                    _engines.pop((self.host, self.port), None)
                    engine, rediscovered = await self.discover(), True
                    continue
                after = " after resynchronising once" if counter == usm.NOT_IN_TIME_WINDOW and resynced else ""
                raise self._fail(f"{meaning} ({counter}){after}")
            if msg.engine_id != engine.engine_id:
                raise self._fail("the reply came from another engine ID than the one discovered")
            if self.user.auth:
                if not engine.timely(msg.boots, msg.time, at):
                    raise self._fail("the reply is outside the time window (a replayed or delayed message?)")
                _engines[(self.host, self.port)] = engine.synced(msg.boots, msg.time, at)
            if reply_rid != rid:
                raise self._fail(f"the reply's request-id {reply_rid} does not match the request's")
            return status, index, varbinds

    def _open_reply(self, reply: bytes) -> tuple[usm.Incoming, usm.Pdu]:
        try:
            msg = usm.parse_message(reply)
            authenticated = bool(msg.flags & usm.FLAG_AUTH)
            if authenticated and not usm.authentic(self.user, reply, msg):
                raise self._fail("the reply failed authentication (its MAC is not ours: a forged or "
                                 "corrupted message, or a wrong auth key on our side)")
            _, _, pdu = usm.open_scoped(self.user, msg)
        except usm.UsmError as exc:
            raise self._fail(str(exc)) from None
        except ber.BerError as exc:
            raise SnmpError(f"malformed SNMPv3 reply from {self.name}: {exc}") from None
        if pdu[0] == ber.RESPONSE and self.user.auth and not authenticated:
            # RFC 3412 7.2 step 13: a response must come at the request's security level
            raise self._fail("an unauthenticated Response to an authenticated request")
        return msg, pdu

    async def _silence(self) -> SnmpError:
        """Why the agent did not answer a request: probe discovery once to tell a dead host
        from an agent that drops what it cannot decrypt."""
        what = f"within {self.timeout:g} s x {self.retries + 1} tries"
        try:
            await self.discover(retries=0)
        except SnmpError:
            return SnmpTimeout(f"no SNMP answer from {self.name} {what}: {self.silent_hint}")
        # SnmpError, not SnmpTimeout: the device is up (it answered discovery), so this is a
        # credentials problem (UNKNOWN), not an unreachable device (CRIT)
        if self.user.priv:
            return SnmpError(f"SNMPv3 {self.name}: the agent answers engine discovery but not the authPriv "
                             f"requests of user {self.user.name.decode(errors='replace')!r} {what}: the agent "
                             f"could not decrypt them (wrong privacy key or privacy protocol; agents drop such "
                             f"messages without a report) or the user has no access")
        return SnmpError(f"SNMPv3 {self.name}: the agent answers engine discovery but not the requests of user "
                         f"{self.user.name.decode(errors='replace')!r} {what}: no access for the user?")


MIN_PASSWORD = 8  # RFC 3414 11.2: passwords of at least 8 characters (net-snmp refuses shorter)


def usm_user(creds: Any, resolve_secret: Callable[[Any], str]) -> usm.User:
    """The USM user of inventory ``SnmpCredentials``, secrets resolved (never put in a message)."""
    def password(ref: Any, what: str) -> bytes:
        value = resolve_secret(ref).encode()
        if len(value) < MIN_PASSWORD:
            raise SnmpError(f"SNMPv3 user {creds.user!r}: the {what} key is shorter than {MIN_PASSWORD} characters "
                            "(RFC 3414 requires at least 8; agents refuse shorter ones)")
        return value

    auth = usm.AUTH[creds.auth_protocol] if creds.auth_protocol else None
    priv = usm.PRIV[creds.priv_protocol] if creds.priv_protocol else None
    return usm.User(name=creds.user.encode(), auth=auth, priv=priv,
                    auth_password=password(creds.auth_key, "auth") if auth else b"",
                    priv_password=password(creds.priv_key, "privacy") if priv else b"")


def forget_engines() -> None:
    """Drop what we know of agents' engines (tests: a restarted agent on the same port)."""
    _engines.clear()
