"""SNMPv3 messages with the User-based Security Model (USM), pure: keys, HMAC, ciphers, BER.

Why not pysnmp: its USM path costs ~200 us of client CPU per varbind, 20x the lean v2c
codec (ber.py), and security-minded sites poll everything over v3. A v3 message is the
v2c PDU in a scoped PDU, wrapped in a header and USM parameters, authenticated by one
HMAC and encrypted by one AES-CFB (or DES-CBC) pass: a few microseconds per message on
top of the v2c work, with the cryptography done by OpenSSL (hashlib/hmac, cryptography).

What is implemented, and from where:
- RFC 3412 section 6: the SNMPv3 message (msgGlobalData, msgSecurityParameters, scopedPDU).
- RFC 3414: password to key (A.2: 1 MB of the repeated password hashed, then localised
  with the engine ID), HMAC-MD5-96 and HMAC-SHA-96, DES-CBC privacy (8.1.1), discovery
  (4: an empty-user probe answered by a Report with the engine ID, boots and time) and
  timeliness (3.2 step 7: the 150 s window, resynchronised from an authenticated Report).
- RFC 7860: HMAC-SHA-224/256/384/512 truncated to 16/24/32/48 octets.
- RFC 3826: AES-128 in CFB128 mode, IV = boots || time || 64-bit salt.
- AES-192/256: draft-blumenthal-aes-usm-04 key extension (Kul || H(Kul) || ...), which is
  what net-snmp 5.9 calls AES192/AES256 and pysnmp USM_PRIV_CFB*_AES_BLUMENTHAL; and the
  Reeder extension (draft-reeder-snmpv3-usm-3desede-00: the localised key is hashed again
  as a password), which Cisco and many vendors use, net-snmp calls AES192C/AES256C and
  pysnmp USM_PRIV_CFB*_AES. Checked against net-snmp 5.9.3 snmpd in tests/snmp/test_v3.py.

Nothing here does I/O; collectors/snmp/v3.py sends and receives.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from collectors.snmp import ber

try:  # cryptography >= 47 files CFB under "decrepit" (SNMP has no other AES mode)
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    CFB = modes.CFB  # type: ignore[misc]
try:  # cryptography >= 43 files Triple DES under "decrepit"
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - older cryptography
    TripleDES = algorithms.TripleDES  # type: ignore[misc]

FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE = 0x01, 0x02, 0x04
USM = 3  # msgSecurityModel of USM
MAX_SIZE = 65507  # msgMaxSize: the largest UDP payload over IPv4
TIME_WINDOW_S = 150  # RFC 3414 section 2.2.3
MAX_BOOTS = 2**31 - 1


@dataclass(frozen=True)
class AuthProtocol:
    name: str  # as in the inventory: MD5, SHA, SHA224 ...
    hash: str  # hashlib name
    mac_len: int  # octets of the truncated HMAC in msgAuthenticationParameters


@dataclass(frozen=True)
class PrivProtocol:
    name: str  # as in the inventory: DES, AES, AES192, AES192C ...
    cipher: str  # "des" or "aes"
    key_len: int  # octets of localised key used (DES: 8 key + 8 pre-IV)
    extension: str  # how a localised key shorter than key_len is extended: "", "blumenthal", "reeder"


AUTH = {p.name: p for p in (
    AuthProtocol("MD5", "md5", 12), AuthProtocol("SHA", "sha1", 12),                 # RFC 3414
    AuthProtocol("SHA224", "sha224", 16), AuthProtocol("SHA256", "sha256", 24),      # RFC 7860
    AuthProtocol("SHA384", "sha384", 32), AuthProtocol("SHA512", "sha512", 48))}
PRIV = {p.name: p for p in (
    PrivProtocol("DES", "des", 16, ""), PrivProtocol("AES", "aes", 16, ""),          # RFC 3414, 3826
    PrivProtocol("AES192", "aes", 24, "blumenthal"), PrivProtocol("AES256", "aes", 32, "blumenthal"),
    PrivProtocol("AES192C", "aes", 24, "reeder"), PrivProtocol("AES256C", "aes", 32, "reeder"))}


class UsmError(ber.BerError):
    """A v3 message we cannot accept (bad MAC, undecryptable, outside the time window)."""


# ---------------------------------------------------------------- keys (RFC 3414 A.2)

@lru_cache(maxsize=256)
def password_key(hash_name: str, password: bytes) -> bytes:
    """Ku: the hash of 1,048,576 octets of the password repeated (RFC 3414 A.2.1/A.2.2).

    Cached: it is a megabyte of hashing, and every device of a site shares the password.
    """
    if not password:
        raise ValueError("empty SNMPv3 password")
    data = password * (1_048_576 // len(password) + 1)
    return hashlib.new(hash_name, data[:1_048_576]).digest()


def localize(hash_name: str, ku: bytes, engine_id: bytes) -> bytes:
    """Kul = H(Ku || engineID || Ku) (RFC 3414 A.2)."""
    return hashlib.new(hash_name, ku + engine_id + ku).digest()


def priv_key(auth: AuthProtocol, priv: PrivProtocol, password: bytes, engine_id: bytes) -> bytes:
    """The localised privacy key (with the auth protocol's hash, RFC 3414/3826), extended to
    the cipher's key length by the protocol's extension."""
    key = localize(auth.hash, password_key(auth.hash, password), engine_id)
    while len(key) < priv.key_len:
        if priv.extension == "blumenthal":  # draft-blumenthal-aes-usm-04 section 3.1.2.1
            key += hashlib.new(auth.hash, key).digest()
        elif priv.extension == "reeder":  # draft-reeder-snmpv3-usm-3desede-00 section 2.1
            key += localize(auth.hash, password_key(auth.hash, key), engine_id)
        else:
            raise ValueError(f"{priv.name} needs {priv.key_len} key octets; {auth.name} gives {len(key)}")
    return key[:priv.key_len]


@dataclass(frozen=True)
class LocalKeys:
    auth_key: bytes
    priv_key: bytes


@lru_cache(maxsize=4096)
def local_keys(auth: AuthProtocol | None, auth_password: bytes, priv: PrivProtocol | None, priv_password: bytes,
               engine_id: bytes) -> LocalKeys:
    """Both keys of a user localised to one engine (cached per password and engine ID)."""
    if auth is None:
        return LocalKeys(b"", b"")
    auth_key = localize(auth.hash, password_key(auth.hash, auth_password), engine_id)
    return LocalKeys(auth_key, priv_key(auth, priv, priv_password, engine_id) if priv else b"")


# ---------------------------------------------------------------- HMAC and ciphers

def mac(auth: AuthProtocol, key: bytes, message: bytes) -> bytes:
    """The truncated HMAC of a whole message whose MAC field holds zeros (RFC 3414 6.3.1, 7.3.1)."""
    return hmac.digest(key, message, auth.hash)[:auth.mac_len]


def _cipher(priv: PrivProtocol, key: bytes, boots: int, time: int, salt: bytes) -> Cipher:
    if priv.cipher == "aes":  # RFC 3826 3.1.2.1: IV = boots || time || salt, CFB128
        return Cipher(algorithms.AES(key), CFB(boots.to_bytes(4, "big") + time.to_bytes(4, "big") + salt))
    # RFC 3414 8.1.1.1: DES key = first 8 octets, IV = last 8 octets (pre-IV) XOR salt.
    # Triple DES with K1 = K2 = K3 is single DES (OpenSSL 3 keeps plain DES in its legacy provider).
    iv = bytes(a ^ b for a, b in zip(key[8:16], salt))
    return Cipher(TripleDES(key[:8] * 3), modes.CBC(iv))


def salt_for(priv: PrivProtocol, boots: int, counter: int) -> bytes:
    """msgPrivacyParameters: AES a 64-bit counter (RFC 3826 3.1.2.1), DES boots || 32-bit counter."""
    if priv.cipher == "aes":
        return (counter & 0xFFFF_FFFF_FFFF_FFFF).to_bytes(8, "big")
    return boots.to_bytes(4, "big") + (counter & 0xFFFF_FFFF).to_bytes(4, "big")


def encrypt(priv: PrivProtocol, key: bytes, boots: int, time: int, salt: bytes, plain: bytes) -> bytes:
    if priv.cipher == "des" and len(plain) % 8:
        plain += b"\x00" * (8 - len(plain) % 8)  # padding the receiver ignores (RFC 3414 8.1.1.2)
    enc = _cipher(priv, key, boots, time, salt).encryptor()
    return enc.update(plain) + enc.finalize()


def decrypt(priv: PrivProtocol, key: bytes, boots: int, time: int, salt: bytes, data: bytes) -> bytes:
    if len(salt) != 8:
        raise UsmError(f"privacy parameters of {len(salt)} octets, not 8")
    if priv.cipher == "des" and len(data) % 8:
        raise UsmError("DES-encrypted data not a multiple of 8 octets")
    dec = _cipher(priv, key, boots, time, salt).decryptor()
    return dec.update(data) + dec.finalize()


# ---------------------------------------------------------------- outgoing messages

def _os(value: bytes) -> bytes:
    return ber.tlv(0x04, value)


@lru_cache(maxsize=1024)
def _fixed_parts(flags: int, engine_id: bytes, user: bytes, mac_len: int) -> tuple[bytes, bytes, bytes]:
    """The parts of a message that stay the same for one user and engine: encoded once."""
    return (ber.encode_int(MAX_SIZE) + _os(bytes((flags,))) + ber.encode_int(USM), _os(engine_id),
            _os(user) + _os(b"\x00" * mac_len))


def encode_message(*, msg_id: int, flags: int, engine_id: bytes, boots: int, time: int, user: bytes,
                   mac_len: int, priv_params: bytes, msg_data: bytes) -> tuple[bytes, int]:
    """An SNMPv3 message with ``mac_len`` zero octets as its MAC, and where they start."""
    header_tail, engine_os, user_and_mac = _fixed_parts(flags, engine_id, user, mac_len)
    header = ber.tlv(0x30, ber.encode_int(msg_id) + header_tail)
    tail = _os(priv_params)
    params = ber.tlv(0x30, engine_os + ber.encode_int(boots) + ber.encode_int(time) + user_and_mac + tail)
    message = ber.tlv(0x30, b"\x02\x01\x03" + header + _os(params) + msg_data)  # version 3
    return message, len(message) - len(msg_data) - len(tail) - mac_len


def discovery_request(msg_id: int, request_id: int) -> bytes:
    """The engine-discovery probe (RFC 3414 section 4): reportable, noAuthNoPriv, empty
    engine ID and user, a GET with no varbinds. The agent answers with a Report
    (usmStatsUnknownEngineIDs) carrying its engine ID, boots and time."""
    scoped = ber.tlv(0x30, _os(b"") + _os(b"") + ber.encode_pdu(ber.GET, request_id, []))
    return encode_message(msg_id=msg_id, flags=FLAG_REPORTABLE, engine_id=b"", boots=0, time=0, user=b"",
                          mac_len=0, priv_params=b"", msg_data=scoped)[0]


@dataclass(frozen=True)
class User:
    """One USM user's security settings (passwords as bytes; never printed)."""

    name: bytes
    auth: AuthProtocol | None = None
    auth_password: bytes = b""
    priv: PrivProtocol | None = None
    priv_password: bytes = b""
    # engine ID -> keys: a dict lookup per message instead of hashing five arguments
    _keys: dict[bytes, LocalKeys] = field(default_factory=dict, compare=False, hash=False)

    def __repr__(self) -> str:  # no passwords in tracebacks or logs
        return f"User({self.name!r}, {self.level})"

    @property
    def level(self) -> str:
        return "authPriv" if self.priv else "authNoPriv" if self.auth else "noAuthNoPriv"

    @property
    def flags(self) -> int:
        return FLAG_REPORTABLE | (FLAG_AUTH if self.auth else 0) | (FLAG_PRIV if self.priv else 0)

    def keys(self, engine_id: bytes) -> LocalKeys:
        keys = self._keys.get(engine_id)
        if keys is None:
            keys = self._keys[engine_id] = local_keys(self.auth, self.auth_password, self.priv, self.priv_password,
                                                      engine_id)
        return keys


def request_message(user: User, *, msg_id: int, engine_id: bytes, boots: int, time: int, context: bytes,
                    pdu: bytes, salt_counter: int) -> bytes:
    """A request (``pdu`` from ber.encode_pdu) at the user's security level to one engine."""
    scoped = ber.tlv(0x30, _os(engine_id) + _os(context) + pdu)
    keys = user.keys(engine_id)
    priv_params = b""
    if user.priv:
        priv_params = salt_for(user.priv, boots, salt_counter)
        scoped = _os(encrypt(user.priv, keys.priv_key, boots, time, priv_params, scoped))
    mac_len = user.auth.mac_len if user.auth else 0
    message, at = encode_message(msg_id=msg_id, flags=user.flags, engine_id=engine_id, boots=boots, time=time,
                                 user=user.name, mac_len=mac_len, priv_params=priv_params, msg_data=scoped)
    if user.auth:
        message = message[:at] + mac(user.auth, keys.auth_key, message) + message[at + mac_len:]
    return message


# ---------------------------------------------------------------- incoming messages

@dataclass(frozen=True)
class Incoming:
    """An SNMPv3 message's header and USM parameters; ``data`` is still sealed."""

    msg_id: int
    flags: int
    engine_id: bytes
    boots: int
    time: int
    user: bytes
    mac: bytes
    mac_at: int  # offset of the MAC in the datagram
    priv_params: bytes
    data: bytes  # the scopedPDU TLV, or the encrypted octets when ``encrypted``
    encrypted: bool


def peek_msg_id(buf: bytes) -> int | None:
    """msgID of an SNMPv3 message, or None (lenient, like ber.peek_request_id)."""
    try:
        if buf[0] != 0x30:
            return None
        _, i = ber.read_len(buf, 1)
        version, i = ber.read_int(buf, i, "version")
        if version != 3:
            return None
        _, i = ber.expect(buf, i, 0x30, "msgGlobalData")
        return ber.read_int(buf, i, "msgID")[0]
    except (IndexError, ber.BerError):
        return None


def parse_message(buf: bytes) -> Incoming:
    """The header of an SNMPv3/USM message; BerError naming what is malformed."""
    try:
        return _parse_message(buf)
    except IndexError:
        raise ber.BerError("truncated SNMPv3 message") from None


def _octets(buf: bytes, i: int, what: str) -> tuple[bytes, int, int]:
    n, j = ber.expect(buf, i, 0x04, what)
    return buf[j:j + n], j, j + n


def _parse_message(buf: bytes) -> Incoming:
    n, i = ber.expect(buf, 0, 0x30, "message")
    version, i = ber.read_int(buf, i, "version")
    if version != 3:
        raise ber.BerError(f"not an SNMPv3 message (version field {version})")
    _, i = ber.expect(buf, i, 0x30, "msgGlobalData")
    msg_id, i = ber.read_int(buf, i, "msgID")
    _, i = ber.read_int(buf, i, "msgMaxSize")
    flags_octets, _, i = _octets(buf, i, "msgFlags")
    if len(flags_octets) != 1:
        raise ber.BerError(f"msgFlags of {len(flags_octets)} octets")
    model, i = ber.read_int(buf, i, "msgSecurityModel")
    if model != USM:
        raise ber.BerError(f"security model {model}, not USM (3)")
    n, i = ber.expect(buf, i, 0x04, "msgSecurityParameters")
    params_end = i + n
    _, i = ber.expect(buf, i, 0x30, "UsmSecurityParameters")
    engine_id, _, i = _octets(buf, i, "msgAuthoritativeEngineID")
    boots, i = ber.read_int(buf, i, "msgAuthoritativeEngineBoots")
    time, i = ber.read_int(buf, i, "msgAuthoritativeEngineTime")
    user, _, i = _octets(buf, i, "msgUserName")
    mac_value, mac_at, i = _octets(buf, i, "msgAuthenticationParameters")
    priv_params, _, i = _octets(buf, i, "msgPrivacyParameters")
    if i != params_end:
        raise ber.BerError("UsmSecurityParameters do not fill msgSecurityParameters")
    flags = flags_octets[0]
    if flags & FLAG_PRIV and not flags & FLAG_AUTH:
        raise ber.BerError("msgFlags privacy without authentication")
    if buf[i] == 0x04:
        data, _, _ = _octets(buf, i, "encryptedPDU")
        encrypted = True
    else:
        n, j = ber.expect(buf, i, 0x30, "scopedPDU")
        data, encrypted = buf[i:j + n], False
    return Incoming(msg_id, flags, engine_id, boots, time, user, mac_value, mac_at, priv_params, data, encrypted)


def authentic(user: User, buf: bytes, msg: Incoming) -> bool:
    """Whether the message's MAC is the user's HMAC of it (RFC 3414 6.3.2 / 7.3.2)."""
    if user.auth is None or len(msg.mac) != user.auth.mac_len:
        return False
    zeroed = buf[:msg.mac_at] + b"\x00" * len(msg.mac) + buf[msg.mac_at + len(msg.mac):]
    return hmac.compare_digest(mac(user.auth, user.keys(msg.engine_id).auth_key, zeroed), msg.mac)


Pdu = tuple[int, int, int, int, list[tuple[bytes, Any]]]  # tag, request-id, error-status, error-index, varbinds


def open_scoped(user: User, msg: Incoming) -> tuple[bytes, bytes, Pdu]:
    """(contextEngineID, contextName, PDU) of a message, decrypting it with the user's key.

    UsmError when it does not decrypt to a scoped PDU (wrong privacy key or protocol).
    """
    data = msg.data
    if msg.encrypted:
        if user.priv is None:
            raise UsmError("an encrypted reply to a request without privacy")
        data = decrypt(user.priv, user.keys(msg.engine_id).priv_key, msg.boots, msg.time, msg.priv_params, data)
    try:
        _, i = ber.expect(data, 0, 0x30, "scopedPDU")
        context_engine, _, i = _octets(data, i, "contextEngineID")
        context_name, _, i = _octets(data, i, "contextName")
        return context_engine, context_name, ber.decode_pdu(data, i, (ber.RESPONSE, ber.REPORT))
    except (IndexError, ber.BerError) as exc:
        if msg.encrypted:
            raise UsmError("the reply does not decrypt to a scoped PDU (wrong privacy key or protocol?)") from None
        if isinstance(exc, IndexError):
            raise ber.BerError("truncated scoped PDU") from None
        raise


# ---------------------------------------------------------------- reports (RFC 3414 / 3412 / 3411 counters)

_REPORTS = {
    "1.3.6.1.6.3.15.1.1.1.0": ("usmStatsUnsupportedSecLevels", "the agent does not allow this security level for the user"),
    "1.3.6.1.6.3.15.1.1.2.0": ("usmStatsNotInTimeWindows", "the request was outside the agent's time window"),
    "1.3.6.1.6.3.15.1.1.3.0": ("usmStatsUnknownUserNames", "the agent does not know this user"),
    "1.3.6.1.6.3.15.1.1.4.0": ("usmStatsUnknownEngineIDs", "the agent did not accept the engine ID"),
    "1.3.6.1.6.3.15.1.1.5.0": ("usmStatsWrongDigests", "the agent rejected the authentication digest: wrong auth key "
                                                        "or auth protocol"),
    "1.3.6.1.6.3.15.1.1.6.0": ("usmStatsDecryptionErrors", "the agent could not decrypt the request: wrong privacy "
                                                            "key or protocol"),
    "1.3.6.1.6.3.11.2.1.1.0": ("snmpUnknownSecurityModels", "the agent does not support USM"),
    "1.3.6.1.6.3.11.2.1.2.0": ("snmpInvalidMsgs", "the agent found the message invalid"),
    "1.3.6.1.6.3.11.2.1.3.0": ("snmpUnknownPDUHandlers", "the agent has no handler for the request"),
    "1.3.6.1.6.3.12.1.4.0": ("snmpUnavailableContexts", "the context is unavailable"),
    "1.3.6.1.6.3.12.1.5.0": ("snmpUnknownContexts", "the agent does not know the context"),
}
NOT_IN_TIME_WINDOW = "usmStatsNotInTimeWindows"
UNKNOWN_ENGINE_ID = "usmStatsUnknownEngineIDs"


def report_reason(varbinds: list[tuple[bytes, Any]]) -> tuple[str, str]:
    """(counter name, what it means) of a Report PDU's first varbind."""
    if not varbinds:
        return "report", "the agent sent a Report with no varbind"
    oid = ber.decode_oid(varbinds[0][0])
    return _REPORTS.get(oid, (oid, f"the agent sent a Report ({oid})"))


# ---------------------------------------------------------------- timeliness (RFC 3414 2.3, 3.2 step 7)

@dataclass(frozen=True)
class EngineClock:
    """What we know of an authoritative engine: its ID, and its boots/time at ``at`` (monotonic s)."""

    engine_id: bytes
    boots: int
    time: int
    at: float

    def now(self, at: float) -> tuple[int, int]:
        """(boots, time) to put in a request sent at ``at``."""
        return self.boots, min(self.time + int(at - self.at), MAX_BOOTS)

    def timely(self, boots: int, time: int, at: float) -> bool:
        """Whether an authenticated message claiming ``boots``/``time`` is inside the window."""
        local_boots, local_time = self.now(at)
        if boots == MAX_BOOTS or boots < local_boots:
            return False
        return not (boots == local_boots and time < local_time - TIME_WINDOW_S)

    def synced(self, boots: int, time: int, at: float) -> EngineClock:
        """Updated from an authenticated message if it is newer (RFC 3414 3.2 step 7b)."""
        local_boots, local_time = self.now(at)
        if boots > local_boots or (boots == local_boots and time > local_time):
            return EngineClock(self.engine_id, boots, time, at)
        return self
