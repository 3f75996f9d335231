"""Pure USM parts (collectors/snmp/usm.py): key localisation against published vectors and
net-snmp's own keys, recorded net-snmp replies opened, tampering refused, the time window."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.snmp import ber, usm
from tests.snmp.conftest import V3_AUTH, V3_PRIV

V3_DATA = Path(__file__).parent / "data" / "v3"
ENGINE_A3 = bytes.fromhex("000000000000000000000002")


# RFC 3414 appendix A.3.1 (MD5) and A.3.2 (SHA): password "maplesyrup", engine ID 00..02.
# RFC 7860 publishes no vectors for SHA-2; net-snmp's keys below cover those.
@pytest.mark.parametrize("auth,ku,kul", [
    ("MD5", "9faf3283884e92834ebc9847d8edd963", "526f5eed9fcce26f8964c2930787d82b"),
    ("SHA", "9fb5cc0381497b3793528939ff788d5d79145211", "6695febc9288e36282235fc7151f128497b38f3f"),
], ids=["rfc3414-A.3.1-md5", "rfc3414-A.3.2-sha"])
def test_rfc3414_key_vectors(auth: str, ku: str, kul: str) -> None:
    proto = usm.AUTH[auth]
    assert usm.password_key(proto.hash, b"maplesyrup").hex() == ku
    assert usm.localize(proto.hash, bytes.fromhex(ku), ENGINE_A3).hex() == kul


def _netsnmp_text(field: str) -> str:
    return bytes.fromhex(field[2:]).decode() if field.startswith("0x") else field.strip('"')


def _netsnmp_users() -> list[tuple[str, bytes, str, bytes, str, bytes]]:
    """(user, engine ID, auth OID, auth key, priv OID, priv key) of net-snmp's persisted usmUser
    lines (net-snmp writes names with a '-' in hex)."""
    out = []
    for line in (V3_DATA / "netsnmp-usmUser.conf").read_text().splitlines():
        f = line.split()
        if line.startswith("usmUser ") and _netsnmp_text(f[4]).startswith("u-"):
            out.append((_netsnmp_text(f[4]), bytes.fromhex(f[3][2:]), f[7], bytes.fromhex(f[8][2:]), f[9],
                        bytes.fromhex(f[10][2:]) if f[10].startswith("0x") else b""))
    return out


NETSNMP_USERS = _netsnmp_users()
# net-snmp's protocol OIDs (RFC 3414/7860 usm*AuthProtocol; AES192/AES256 are the Blumenthal
# draft's (14832), AES192C/AES256C Cisco's, whose keys are extended the Reeder way)
NETSNMP_OIDS = {"MD5": ".1.3.6.1.6.3.10.1.1.2", "SHA": ".1.3.6.1.6.3.10.1.1.3", "SHA224": ".1.3.6.1.6.3.10.1.1.4",
                "SHA256": ".1.3.6.1.6.3.10.1.1.5", "SHA384": ".1.3.6.1.6.3.10.1.1.6", "SHA512": ".1.3.6.1.6.3.10.1.1.7",
                "NOPRIV": ".1.3.6.1.6.3.10.1.2.1", "DES": ".1.3.6.1.6.3.10.1.2.2", "AES": ".1.3.6.1.6.3.10.1.2.4",
                "AES192": ".1.3.6.1.4.1.14832.1.3", "AES256": ".1.3.6.1.4.1.14832.1.4",
                "AES192C": ".1.3.6.1.4.1.9.12.6.1.1", "AES256C": ".1.3.6.1.4.1.9.12.6.1.2"}


def _protocols(user: str) -> tuple[usm.AuthProtocol, usm.PrivProtocol | None]:
    _, auth, priv = user.split("-")
    return usm.AUTH[auth.upper()], None if priv == "nopriv" else usm.PRIV[priv.upper()]


@pytest.mark.parametrize("user,engine_id,auth_oid,auth_key,priv_oid,priv_key", NETSNMP_USERS,
                         ids=[u[0] for u in NETSNMP_USERS])
def test_localised_keys_equal_net_snmps(user: str, engine_id: bytes, auth_oid: str, auth_key: bytes, priv_oid: str,
                                        priv_key: bytes) -> None:
    auth, priv = _protocols(user)
    # the user's protocols are the ones net-snmp names by these OIDs: Patrol's names mean what net-snmp's do
    assert (auth_oid, priv_oid) == (NETSNMP_OIDS[auth.name], NETSNMP_OIDS[priv.name if priv else "NOPRIV"])
    keys = usm.local_keys(auth, V3_AUTH.encode(), priv, V3_PRIV.encode(), engine_id)
    assert keys.auth_key == auth_key
    assert keys.priv_key == (priv_key[:priv.key_len] if priv else b"")


def test_every_combination_recorded() -> None:
    assert len(NETSNMP_USERS) == len(usm.AUTH) * (len(usm.PRIV) + 1)


def _replies() -> list[list[str]]:
    return [line.split() for line in (V3_DATA / "replies.txt").read_text().splitlines() if not line.startswith("#")]


REPLIES = _replies()


def _user(name: str, auth: str, priv: str, *, auth_pw: str = V3_AUTH, priv_pw: str = V3_PRIV) -> usm.User:
    return usm.User(name.encode(), usm.AUTH[auth], auth_pw.encode(), None if priv == "-" else usm.PRIV[priv],
                    b"" if priv == "-" else priv_pw.encode())


@pytest.mark.parametrize("row", REPLIES, ids=[r[0] for r in REPLIES])
def test_recorded_net_snmp_reply_opens(row: list[str]) -> None:
    name, auth, priv, engine_hex, msg_id, rid, reply_hex = row
    reply = bytes.fromhex(reply_hex)
    user = _user(name, auth, priv)
    assert usm.peek_msg_id(reply) == int(msg_id)
    msg = usm.parse_message(reply)
    assert (msg.engine_id.hex(), msg.user, msg.encrypted) == (engine_hex, name.encode(), priv != "-")
    assert msg.flags & usm.FLAG_AUTH and usm.authentic(user, reply, msg)
    context_engine, context, (tag, got_rid, status, index, varbinds) = usm.open_scoped(user, msg)
    assert (context_engine.hex(), context, tag, got_rid, status, index) == (engine_hex, b"", ber.RESPONSE, int(rid), 0, 0)
    assert varbinds == [(ber.encode_oid("1.3.6.1.2.1.1.5.0"), b"patrol-test-snmpd")]


@pytest.mark.parametrize("row", REPLIES, ids=[r[0] for r in REPLIES])
def test_tampered_reply_fails_authentication(row: list[str]) -> None:
    name, auth, priv, *_, reply_hex = row
    reply = bytearray(bytes.fromhex(reply_hex))
    reply[-3] ^= 0x01  # one bit of the (encrypted) scoped PDU
    msg = usm.parse_message(bytes(reply))
    assert not usm.authentic(_user(name, auth, priv), bytes(reply), msg)
    assert not usm.authentic(_user(name, auth, priv, auth_pw="wrong-auth-key"), bytes.fromhex(reply_hex),
                             usm.parse_message(bytes.fromhex(reply_hex)))


@pytest.mark.parametrize("row", [r for r in REPLIES if r[2] != "-"], ids=[r[0] for r in REPLIES if r[2] != "-"])
def test_wrong_privacy_key_is_a_decryption_error(row: list[str]) -> None:
    name, auth, priv, *_, reply_hex = row
    reply = bytes.fromhex(reply_hex)
    with pytest.raises(usm.UsmError, match="does not decrypt"):
        usm.open_scoped(_user(name, auth, priv, priv_pw="wrong-priv-key"), usm.parse_message(reply))


def test_request_round_trip_through_the_decoder() -> None:
    """Our request, opened by our own parser with the same keys (the agent-side checks are in test_v3.py)."""
    user = _user("u-sha256-aes256", "SHA256", "AES256")
    engine = bytes.fromhex("80001f888008f5606f7c18156b00000000")
    pdu = ber.encode_pdu(ber.GETBULK, 77, [ber.encode_oid("1.3.6.1.2.1.2.2.1.2")], 0, 25)
    message = usm.request_message(user, msg_id=5, engine_id=engine, boots=3, time=1000, context=b"ctx", pdu=pdu,
                                  salt_counter=2**64 + 9)  # wraps to 9: salts are 64-bit
    msg = usm.parse_message(message)
    assert (msg.msg_id, msg.flags, msg.boots, msg.time, msg.priv_params) == (5, 7, 3, 1000, (9).to_bytes(8, "big"))
    assert usm.authentic(user, message, msg)
    plain = usm.decrypt(user.priv, user.keys(engine).priv_key, 3, 1000, msg.priv_params, msg.data)
    assert plain == ber.tlv(0x30, ber.tlv(0x04, engine) + ber.tlv(0x04, b"ctx") + pdu)


def test_des_pads_to_blocks_and_refuses_a_partial_block() -> None:
    user = _user("u-md5-des", "MD5", "DES")
    key = user.keys(b"\x80\x00\x1f\x88\x04test").priv_key
    sealed = usm.encrypt(user.priv, key, 1, 2, usm.salt_for(user.priv, 1, 5), b"x" * 13)
    assert len(sealed) == 16
    assert usm.salt_for(user.priv, 1, 5) == bytes.fromhex("0000000100000005")
    with pytest.raises(usm.UsmError, match="multiple of 8"):
        usm.decrypt(user.priv, key, 1, 2, usm.salt_for(user.priv, 1, 5), sealed[:12])


def test_discovery_probe_and_report_reasons() -> None:
    probe = usm.parse_message(usm.discovery_request(11, 12))
    assert (probe.msg_id, probe.flags, probe.engine_id, probe.user, probe.encrypted) == (11, usm.FLAG_REPORTABLE, b"", b"", False)
    for oid, counter in [("1.3.6.1.6.3.15.1.1.3.0", "usmStatsUnknownUserNames"),
                         ("1.3.6.1.6.3.15.1.1.5.0", "usmStatsWrongDigests"),
                         ("1.3.6.1.6.3.15.1.1.6.0", "usmStatsDecryptionErrors"),
                         ("1.3.6.1.6.3.15.1.1.1.0", "usmStatsUnsupportedSecLevels")]:
        assert usm.report_reason([(ber.encode_oid(oid), 1)])[0] == counter
    assert usm.report_reason([(ber.encode_oid("1.3.6.1.4.1.9.9"), 1)])[1] == "the agent sent a Report (1.3.6.1.4.1.9.9)"


@pytest.mark.parametrize("boots,time,timely", [
    (4, 1000, True),                   # what we expect
    (4, 1000 - 150, True),             # the edge of the 150 s window
    (4, 1000 - 151, False),            # older: a replay
    (3, 5000, False),                  # an earlier boot
    (5, 0, True),                      # the agent rebooted: newer
    (usm.MAX_BOOTS, 1000, False),      # boots latched at 2^31-1 (RFC 3414 2.2.2)
], ids=["now", "edge", "replayed", "earlier-boot", "rebooted", "boots-latched"])
def test_time_window_of_forged_boots_and_time(boots: int, time: int, timely: bool) -> None:
    clock = usm.EngineClock(b"engine", boots=4, time=900, at=100.0)
    assert clock.now(200.0) == (4, 1000)
    assert clock.timely(boots, time, at=200.0) is timely


def test_clock_only_moves_forward() -> None:
    clock = usm.EngineClock(b"engine", boots=4, time=900, at=100.0)
    assert clock.synced(4, 950, 200.0) is clock                       # older than our estimate (1000)
    assert clock.synced(4, 1200, 200.0) == usm.EngineClock(b"engine", 4, 1200, 200.0)
    assert clock.synced(5, 3, 200.0).now(210.0) == (5, 13)


@pytest.mark.parametrize("datagram,reason", [
    (b"\x30\x03\x02\x01\x01", "not an SNMPv3 message"),
    (bytes.fromhex(REPLIES[0][-1])[:40], "past the end"),
    (usm.encode_message(msg_id=1, flags=usm.FLAG_PRIV, engine_id=b"e", boots=0, time=0, user=b"u", mac_len=0,
                        priv_params=b"", msg_data=ber.tlv(0x30, b""))[0], "privacy without authentication"),
], ids=["v2c-version", "cut-short", "priv-without-auth"])
def test_malformed_v3_messages(datagram: bytes, reason: str) -> None:
    with pytest.raises(ber.BerError, match=reason):
        usm.parse_message(datagram)
    assert usm.peek_msg_id(b"\x30\x03\x02\x01\x01") is None


def test_user_repr_hides_passwords() -> None:
    user = _user("u-sha-aes", "SHA", "AES")
    assert V3_AUTH not in repr(user) and V3_PRIV not in repr(user) and "authPriv" in repr(user)
