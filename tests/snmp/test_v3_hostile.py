"""SNMPv3 replies a real agent does not send on demand: a clock that stays out of the
window after a resync, forged or replayed replies, an unauthenticated answer to an
authenticated request, a reply that does not decrypt. A small responder on a loopback
port (one behaviour per user name, keys from the test passwords) plays the agent; each
case must be one SnmpError naming the cause, never a key and never a traceback."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Iterator

import pytest

from collectors.snmp import ber, usm, v3
from collectors.snmp.client import SnmpError, open_client
from config.secrets import resolve_secret
from inventory.models import SnmpCredentials
from tests.snmp.conftest import V3_AUTH, V3_PRIV

ENGINE = b"\x80\x00\x1f\x88\x04hostile"
BOOTS, TIME = 5, 1000
SYS_NAME = ber.encode_oid("1.3.6.1.2.1.1.5.0")
NOT_IN_TIME_WINDOW = ber.encode_oid("1.3.6.1.6.3.15.1.1.2.0")


def _user(name: bytes) -> usm.User:
    return usm.User(name, usm.AUTH["SHA"], V3_AUTH.encode(), usm.PRIV["AES"], V3_PRIV.encode())


def _pdu(tag: int, rid: int, varbind: bytes) -> bytes:
    return ber.tlv(tag, ber.encode_int(rid) + ber.encode_int(0) + ber.encode_int(0) + ber.tlv(0x30, varbind))


def _reply(user: usm.User, msg_id: int, pdu: bytes, *, flags: int, boots: int = BOOTS, time: int = TIME,
           mac: bytes | None = None, priv_password: bytes | None = None) -> bytes:
    keys = user.keys(ENGINE)
    scoped = ber.tlv(0x30, ber.tlv(0x04, ENGINE) + ber.tlv(0x04, b"") + pdu)
    priv_params = b""
    if flags & usm.FLAG_PRIV:
        priv_params = os.urandom(8)
        key = keys.priv_key if priv_password is None else usm.priv_key(user.auth, user.priv, priv_password, ENGINE)
        scoped = ber.tlv(0x04, usm.encrypt(user.priv, key, boots, time, priv_params, scoped))
    mac_len = user.auth.mac_len if flags & usm.FLAG_AUTH else 0
    message, at = usm.encode_message(msg_id=msg_id, flags=flags, engine_id=ENGINE, boots=boots, time=time,
                                     user=user.name, mac_len=mac_len, priv_params=priv_params, msg_data=scoped)
    if mac_len:
        message = message[:at] + (mac or usm.mac(user.auth, keys.auth_key, message)) + message[at + mac_len:]
    return message


def _answer(data: bytes) -> bytes | None:
    msg = usm.parse_message(data)
    if not msg.user:  # discovery probe
        return _reply(usm.User(b""), msg.msg_id, _pdu(ber.REPORT, 0, b""), flags=0)
    user = _user(msg.user)
    plain = usm.decrypt(user.priv, user.keys(ENGINE).priv_key, msg.boots, msg.time, msg.priv_params, msg.data)
    _, i = ber.expect(plain, 0, 0x30, "scopedPDU")
    for what in ("contextEngineID", "contextName"):
        n, i = ber.expect(plain, i, 0x04, what)
        i += n
    _, i = ber.expect(plain, i, plain[i], "PDU")
    rid = ber.read_int(plain, i, "request-id")[0]
    response = _pdu(ber.RESPONSE, rid, ber.tlv(0x30, ber.tlv(0x06, SYS_NAME) + ber.tlv(0x04, b"hostile")))
    authpriv = usm.FLAG_AUTH | usm.FLAG_PRIV
    behaviour = msg.user.decode()
    if behaviour == "stale":  # the agent's clock never lets us in
        report = _pdu(ber.REPORT, rid, ber.tlv(0x30, ber.tlv(0x06, NOT_IN_TIME_WINDOW) + ber.tlv(0x41, b"\x01")))
        return _reply(user, msg.msg_id, report, flags=usm.FLAG_AUTH, time=TIME + 100_000)
    if behaviour == "forged":
        return _reply(user, msg.msg_id, response, flags=authpriv, mac=b"\x00" * 12)
    if behaviour == "replayed":  # an old message: an earlier boot
        return _reply(user, msg.msg_id, response, flags=authpriv, boots=BOOTS - 1)
    if behaviour == "plain":  # no authentication on the answer to an authPriv request
        return _reply(user, msg.msg_id, response, flags=0)
    if behaviour == "garbled":  # authenticated, but encrypted with another key
        return _reply(user, msg.msg_id, response, flags=authpriv, priv_password=b"another-priv-key")
    if behaviour == "good":
        return _reply(user, msg.msg_id, response, flags=authpriv)
    return None


@pytest.fixture(scope="module")
def agent() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(65535)
            except OSError:
                continue
            out = _answer(data)
            if out is not None:
                sock.sendto(out, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        sock.close()
        v3.forget_engines()


def _get(port: int, user: str) -> dict:
    os.environ["PATROL_TEST_V3_AUTH"], os.environ["PATROL_TEST_V3_PRIV"] = V3_AUTH, V3_PRIV
    c = SnmpCredentials(version="3", port=port, user=user, auth_protocol="SHA", auth_key="env:PATROL_TEST_V3_AUTH",
                        priv_protocol="AES", priv_key="env:PATROL_TEST_V3_PRIV", timeout_s=0.5, retries=0)

    async def go() -> dict:
        async with open_client("127.0.0.1", c, resolve_secret) as snmp:
            return await snmp.get(["1.3.6.1.2.1.1.5.0"])

    return asyncio.run(go())


def test_the_responder_itself_answers_correctly(agent: int) -> None:
    assert _get(agent, "good") == {"1.3.6.1.2.1.1.5.0": b"hostile"}


@pytest.mark.parametrize("user,cause", [
    ("stale", "outside the agent's time window (usmStatsNotInTimeWindows) after resynchronising once"),
    ("forged", "the reply failed authentication"),
    ("replayed", "outside the time window (a replayed or delayed message?)"),
    ("plain", "an unauthenticated Response to an authenticated request"),
    ("garbled", "does not decrypt to a scoped PDU (wrong privacy key or protocol?)"),
])
def test_hostile_replies_are_named(agent: int, user: str, cause: str) -> None:
    with pytest.raises(SnmpError) as err:
        _get(agent, user)
    text = str(err.value)
    assert cause in text and f"user '{user}'" in text
    assert V3_AUTH not in text and V3_PRIV not in text
