"""SNMPv3 on the lean codec against net-snmp's snmpd (a real agent): every auth/priv
combination gives what pysnmp gives; each failure is one clear error naming its cause;
a rebooted or replaced agent is resynchronised / rediscovered by itself."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest

from collectors.base import State
from collectors.snmp import ber, usm, v3
from collectors.snmp.client import SnmpError, SnmpTimeout, open_client
from config.secrets import resolve_secret
from inventory.models import NetworkDevice, SnmpCredentials
from tests.snmp.conftest import (V3_AUTH, V3_AUTH_ONLY, V3_AUTHS, V3_NOAUTH, V3_PRIV, V3_PRIVS, Agent, by_key,
                                 start_snmpd, v3_user_name)
from tests.support.proc import free_port

SYS_NAME = "1.3.6.1.2.1.1.5.0"
COLUMNS = ["1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.3", "1.3.6.1.2.1.25.2.3.1.3"]  # ifDescr ifType hrStorageDescr
COMBINATIONS = [(a, p) for a in V3_AUTHS for p in V3_PRIVS]


def creds(port: int, user: str, auth: str | None = None, priv: str | None = None, *, auth_key: str = V3_AUTH,
          priv_key: str = V3_PRIV, timeout_s: float = 1.0, retries: int = 0) -> SnmpCredentials:
    os.environ["PATROL_TEST_V3_AUTH"], os.environ["PATROL_TEST_V3_PRIV"] = auth_key, priv_key
    return SnmpCredentials(version="3", port=port, user=user, timeout_s=timeout_s, retries=retries,
                           auth_protocol=auth, auth_key="env:PATROL_TEST_V3_AUTH" if auth else None,
                           priv_protocol=priv, priv_key="env:PATROL_TEST_V3_PRIV" if priv else None)


async def read(c: SnmpCredentials, backend: str = "lean") -> tuple[dict, dict]:
    async with open_client("127.0.0.1", c, resolve_secret, backend=backend) as snmp:
        return await snmp.get([SYS_NAME]), await snmp.walk(COLUMNS)


def fails(c: SnmpCredentials) -> str:
    with pytest.raises(SnmpError) as err:
        asyncio.run(read(c))
    text = str(err.value)
    assert V3_AUTH not in text and V3_PRIV not in text and "wrong-" not in text  # no key in any message
    return text


@pytest.mark.parametrize("auth,priv", COMBINATIONS, ids=[v3_user_name(a, p) for a, p in COMBINATIONS])
def test_every_combination_equals_pysnmp(snmpd: Agent, auth: str, priv: str | None) -> None:
    c = creds(snmpd.port, v3_user_name(auth, priv), auth, priv)
    lean = asyncio.run(read(c))
    assert lean[0] == {SYS_NAME: b"patrol-test-snmpd"}
    assert b"lo" in lean[1][COLUMNS[0]].values() and b"Physical memory" in lean[1][COLUMNS[2]].values()
    assert asyncio.run(read(c, "pysnmp")) == lean  # the independent implementation reads the same


def test_no_auth_no_priv(snmpd: Agent) -> None:
    assert asyncio.run(read(creds(snmpd.port, V3_NOAUTH)))[0] == {SYS_NAME: b"patrol-test-snmpd"}


def test_unknown_user(snmpd: Agent) -> None:
    text = fails(creds(snmpd.port, "nobody", "SHA", "AES"))
    assert "usmStatsUnknownUserNames" in text and "'nobody'" in text and "does not know this user" in text


@pytest.mark.parametrize("auth,priv", [("SHA", "AES"), ("SHA512", None)], ids=["sha-aes", "sha512-nopriv"])
def test_wrong_auth_key(snmpd: Agent, auth: str, priv: str | None) -> None:
    text = fails(creds(snmpd.port, v3_user_name(auth, priv), auth, priv, auth_key="wrong-auth-key"))
    assert "usmStatsWrongDigests" in text and "wrong auth key" in text


def test_wrong_auth_protocol(snmpd: Agent) -> None:
    assert "usmStatsWrongDigests" in fails(creds(snmpd.port, v3_user_name("SHA", "AES"), "SHA256", "AES"))


@pytest.mark.parametrize("priv,configured", [("AES", "AES"), ("AES192", "AES192C"), ("DES", "DES")],
                         ids=["wrong-aes-key", "blumenthal-vs-reeder", "wrong-des-key"])
def test_wrong_privacy_key_or_protocol(snmpd: Agent, priv: str, configured: str) -> None:
    key = "wrong-priv-key" if configured == priv else V3_PRIV
    with pytest.raises(SnmpError) as err:
        asyncio.run(read(creds(snmpd.port, v3_user_name("SHA", priv), "SHA", configured, priv_key=key)))
    assert not isinstance(err.value, SnmpTimeout)  # the device is up: UNKNOWN, not "unreachable"
    # net-snmp drops what it cannot decrypt; the discovery probe tells this from a dead host
    assert "answers engine discovery" in str(err.value) and "could not decrypt" in str(err.value)
    assert "wrong privacy key or privacy protocol" in str(err.value)


def test_unsupported_security_level(snmpd: Agent) -> None:
    text = fails(creds(snmpd.port, V3_AUTH_ONLY, "SHA", "AES"))
    assert "usmStatsUnsupportedSecLevels" in text and "(authPriv)" in text


def test_decryption_error_report_from_the_agent(snmpd: Agent) -> None:
    """Privacy parameters that are not 8 octets: net-snmp answers usmStatsDecryptionErrors."""
    engine = asyncio.run(_discover(snmpd.port))
    user = usm.User(v3_user_name("SHA", "AES").encode(), usm.AUTH["SHA"], V3_AUTH.encode(), usm.PRIV["AES"],
                    V3_PRIV.encode())
    keys = user.keys(engine.engine_id)
    scoped = ber.tlv(0x30, ber.tlv(0x04, engine.engine_id) + ber.tlv(0x04, b"")
                     + ber.encode_pdu(ber.GET, 9, [ber.encode_oid(SYS_NAME)]))
    sealed = usm.encrypt(user.priv, keys.priv_key, engine.boots, engine.time, b"\x00" * 8, scoped)
    message, at = usm.encode_message(msg_id=31, flags=user.flags, engine_id=engine.engine_id, boots=engine.boots,
                                     time=engine.time, user=user.name, mac_len=12, priv_params=b"\x00" * 4,
                                     msg_data=ber.tlv(0x04, sealed))
    message = message[:at] + usm.mac(user.auth, keys.auth_key, message) + message[at + 12:]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(message, ("127.0.0.1", snmpd.port))
        reply = usm.parse_message(sock.recv(65535))
    _, _, (tag, *_, varbinds) = usm.open_scoped(user, reply)
    assert tag == ber.REPORT and usm.report_reason(varbinds)[0] == "usmStatsDecryptionErrors"


async def _discover(port: int) -> usm.EngineClock:
    t = v3.V3Transport("127.0.0.1", port, usm.User(b"x"), timeout=1.0, retries=0)
    try:
        return await t.discover()
    finally:
        t.close()


def test_silent_host_names_discovery() -> None:
    port = free_port("udp")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:  # bound, never answers
        sink.bind(("127.0.0.1", port))
        with pytest.raises(SnmpTimeout, match="engine ID discovery failed"):
            asyncio.run(read(creds(port, "patrol", "SHA", "AES", timeout_s=0.3)))


def test_short_key_refused_before_sending(snmpd: Agent) -> None:
    assert "shorter than 8 characters" in fails(creds(snmpd.port, v3_user_name("SHA", "AES"), "SHA", "AES",
                                                      priv_key="short"))


def test_forged_clock_is_resynchronised_once(snmpd: Agent) -> None:
    """Our idea of the agent's time is 1,000 s behind: the agent's authenticated
    notInTimeWindow Report resynchronises it and the request is sent again."""
    c = creds(snmpd.port, v3_user_name("SHA256", "AES"), "SHA256", "AES")
    asyncio.run(read(c))
    real = v3._engines[("127.0.0.1", snmpd.port)]
    v3._engines[("127.0.0.1", snmpd.port)] = usm.EngineClock(real.engine_id, real.boots, max(0, real.time - 1000), real.at)
    assert asyncio.run(read(c))[0] == {SYS_NAME: b"patrol-test-snmpd"}
    assert abs(v3._engines[("127.0.0.1", snmpd.port)].now(real.at)[1] - real.time) < 5


def test_restarted_and_replaced_agent(tmp_path) -> None:
    """snmpd restarted in the same state directory (boots + 1: resync) and then replaced by
    a fresh one on the same port (a new engine ID: rediscovery), with no error either time."""
    port = free_port("udp")
    c = creds(port, v3_user_name("SHA", "AES"), "SHA", "AES")
    key = ("127.0.0.1", port)
    proc = start_snmpd(tmp_path / "a", port, tmp_path / "persist")
    try:
        asyncio.run(read(c))
        first = v3._engines[key]
    finally:
        proc.stop()
    proc = start_snmpd(tmp_path / "a", port, tmp_path / "persist")
    try:
        asyncio.run(read(c))
        again = v3._engines[key]
        assert (again.engine_id, again.boots) == (first.engine_id, first.boots + 1)
    finally:
        proc.stop()
    proc = start_snmpd(tmp_path / "b", port, tmp_path / "persist-new")
    try:
        assert asyncio.run(read(c))[0] == {SYS_NAME: b"patrol-test-snmpd"}
        assert v3._engines[key].engine_id != first.engine_id
    finally:
        proc.stop()


def test_switch_check_over_every_privacy_protocol(snmpd: Agent, poll) -> None:
    for priv in V3_PRIVS[1:]:
        target = NetworkDevice(name="linux-router", address="127.0.0.1",
                               snmp=creds(snmpd.port, v3_user_name("SHA", priv), "SHA", priv))
        got = by_key(poll(target))
        assert got[("switch.reachability", "")].state is State.OK, (priv, got[("switch.reachability", "")].summary)
        assert got[("switch.uptime", "")].state is State.OK


@pytest.mark.parametrize("auth_key,priv_key,cause", [("wrong-auth-key", V3_PRIV, "usmStatsWrongDigests"),
                                                      (V3_AUTH, "wrong-priv-key", "could not decrypt")],
                         ids=["wrong-auth-key", "wrong-priv-key"])
def test_wrong_key_is_one_clear_unknown_from_the_runner(snmpd: Agent, poll, auth_key: str, priv_key: str,
                                                        cause: str) -> None:
    target = NetworkDevice(name="linux-router", address="127.0.0.1",
                           snmp=creds(snmpd.port, v3_user_name("SHA", "AES"), "SHA", "AES", auth_key=auth_key,
                                      priv_key=priv_key))
    results = poll(target)
    assert [(r.state, cause in r.summary) for r in results] == [(State.UNKNOWN, True)], \
        [(r.check, r.state, r.summary) for r in results]
    assert "wrong-" not in results[0].summary and V3_AUTH not in results[0].summary


def test_pysnmp_backend_selected_per_device(snmpd: Agent) -> None:
    from collectors.snmp.pysnmp_backend import PysnmpTransport

    c = creds(snmpd.port, v3_user_name("SHA", "AES256C"), "SHA", "AES256C").model_copy(update={"backend": "pysnmp"})
    client = open_client("127.0.0.1", c, resolve_secret)
    assert isinstance(client.transport, PysnmpTransport)
    client.close()
    assert asyncio.run(read(c, backend=None))[0] == {SYS_NAME: b"patrol-test-snmpd"}
