"""A lean BER codec for SNMPv2c messages: GET/GETBULK requests out, Response PDUs in.

Why not pysnmp/pyasn1 on this path: profiling a 48-port switch poll showed ~63% of
pysnmp's client CPU in pyasn1 decoding (generic, schema-driven, one Python object per
TLV), about 100 us per varbind against net-snmp's 8 us. A site collector polls every
switch every few minutes, so the response decoder is the hot path. SNMP responses use
a handful of universal and application types (RFC 3416 / RFC 2578), which a direct,
bounds-checked decoder handles in a few microseconds per varbind. SNMPv3 messages wrap
the same PDUs (collectors/snmp/usm.py builds and opens them around ``encode_pdu`` and
``decode_pdu``).

Decoded values are plain Python: INTEGER and the unsigned application types
(Counter32, Gauge32, TimeTicks, Counter64, UInteger32) -> int; OCTET STRING and Opaque
-> bytes; OBJECT IDENTIFIER -> dotted str; IpAddress -> dotted str; NULL -> None; the
v2 exceptions noSuchObject / noSuchInstance / endOfMibView -> the markers below.
OIDs of varbinds stay BER-encoded bytes: for minimal encodings, byte order equals OID
order, and a column's rows are exactly the OIDs that start with the column's bytes, so
walks compare and slice bytes instead of building tuples.
"""

from __future__ import annotations

from typing import Any


class BerError(ValueError):
    """A datagram that is not a well-formed SNMP message of the kind expected."""


class Marker:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


NO_SUCH_OBJECT = Marker("noSuchObject")
NO_SUCH_INSTANCE = Marker("noSuchInstance")
END_OF_MIB_VIEW = Marker("endOfMibView")
EXCEPTIONS = (NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW)

# PDU tags (RFC 3416, context-specific constructed)
GET = 0xA0
GETNEXT = 0xA1
RESPONSE = 0xA2
GETBULK = 0xA5
REPORT = 0xA8  # SNMPv3: an engine's answer to a message it could not process (RFC 3416, 3412)

ERROR_STATUS = {0: "noError", 1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr",
                6: "noAccess", 7: "wrongType", 8: "wrongLength", 9: "wrongEncoding", 10: "wrongValue",
                11: "noCreation", 12: "inconsistentValue", 13: "resourceUnavailable", 14: "commitFailed",
                15: "undoFailed", 16: "authorizationError", 17: "notWritable", 18: "inconsistentName"}


# ---------------------------------------------------------------- encoding

def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _len(len(body)) + body


def encode_int(value: int) -> bytes:
    return tlv(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def encode_oid(oid: str) -> bytes:
    """The BER content octets (no tag/length) of a dotted OID such as '1.3.6.1.2.1.1.3.0'."""
    try:
        parts = [int(p) for p in oid.strip().lstrip(".").split(".")]
    except ValueError:
        raise ValueError(f"not a numeric OID: {oid!r}") from None
    if len(parts) < 2 or parts[0] > 2 or (parts[0] < 2 and parts[1] > 39) or min(parts) < 0:
        raise ValueError(f"not a valid OID: {oid!r}")
    out = bytearray()
    for sub in [parts[0] * 40 + parts[1], *parts[2:]]:
        if sub < 0x80:
            out.append(sub)
            continue
        chunk = []
        while sub:
            chunk.append(sub & 0x7F)
            sub >>= 7
        chunk.reverse()
        out.extend(b | 0x80 for b in chunk[:-1])
        out.append(chunk[-1])
    return bytes(out)


_MAX_SUBID = 1 << 28  # an accumulator at or above this before the last octet: more than 5 octets


def subids(content: bytes) -> list[int]:
    """The sub-identifiers of BER OID content octets (first two still combined)."""
    subs: list[int] = []
    acc = 0
    pending = False
    for b in content:
        acc = (acc << 7) | (b & 0x7F)
        if b < 0x80:
            subs.append(acc)
            acc, pending = 0, False
        else:
            pending = True
            # SNMP sub-identifiers are 32-bit (RFC 2578; the combined first one a little
            # more): a longer one is malformed, and a 2,000-byte one made a number too big
            # for str() (Python's integer-digits limit) instead of a decode error.
            if acc >= _MAX_SUBID:
                raise BerError("OBJECT IDENTIFIER sub-identifier longer than 5 octets")
    if pending:
        raise BerError("truncated OBJECT IDENTIFIER")
    return subs


def decode_oid(content: bytes) -> str:
    """Dotted string of BER OID content octets."""
    subs = subids(content)
    if not subs:
        raise BerError("empty OBJECT IDENTIFIER")
    first = subs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    return ".".join(map(str, (*head, *subs[1:])))


def decode_suffix(content: bytes) -> str:
    """Dotted string of the sub-identifiers in ``content`` (a row index after a column prefix)."""
    if content and max(content) < 0x80:  # the usual case: every sub-identifier below 128
        return ".".join(map(str, content))
    return ".".join(map(str, subids(content)))


_NULL_VB_TAIL = b"\x05\x00"
# SEQUENCE and OBJECT IDENTIFIER headers of a request varbind (OID, NULL) by OID length, for
# every length whose SEQUENCE still fits a one-octet length (OID + 4 header/NULL octets < 128).
# Why: a walk sends ~60 OIDs per request, and two tlv() calls per OID (each joining three
# bytes objects) were most of the encoder's time; three prebuilt parts joined once are ~10x cheaper.
_NULL_VB_HEAD = tuple(bytes((0x30, n + 4, 0x06, n)) for n in range(124))


def _null_varbinds(oids: list[bytes]) -> bytes:
    """The content of a request's varbind list: (oid, NULL) for each of ``oids``."""
    parts: list[bytes] = []
    extend, heads = parts.extend, _NULL_VB_HEAD
    for oid in oids:
        n = len(oid)
        if n < 124:
            extend((heads[n], oid, _NULL_VB_TAIL))
        else:
            parts.append(tlv(0x30, tlv(0x06, oid) + _NULL_VB_TAIL))
    return b"".join(parts)


def encode_pdu(pdu: int, request_id: int, oids: list[bytes], non_repeaters: int = 0,
               max_repetitions: int = 0) -> bytes:
    """A GET/GETNEXT/GETBULK PDU for BER-encoded ``oids`` (the same in v2c and v3 messages)."""
    vbs = _null_varbinds(oids)
    body = encode_int(request_id) + encode_int(non_repeaters) + encode_int(max_repetitions) + tlv(0x30, vbs)
    return tlv(pdu, body)


def encode_request(pdu: int, request_id: int, community: bytes, oids: list[bytes],
                   non_repeaters: int = 0, max_repetitions: int = 0) -> bytes:
    """An SNMPv2c message carrying a GET/GETNEXT/GETBULK PDU for BER-encoded ``oids``."""
    return tlv(0x30, encode_int(1) + tlv(0x04, community)
               + encode_pdu(pdu, request_id, oids, non_repeaters, max_repetitions))


# ---------------------------------------------------------------- decoding

_UNSIGNED = frozenset((0x41, 0x42, 0x43, 0x46, 0x47))  # Counter32 Gauge32 TimeTicks Counter64 UInteger32
_SIGNED_OCTET = tuple(b - 256 if b > 0x7F else b for b in range(256))  # a one-octet INTEGER's value


def read_len(buf: bytes, i: int) -> tuple[int, int]:
    n = buf[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    if k == 0 or k > 4:
        raise BerError("unsupported BER length form")
    return int.from_bytes(buf[i + 1:i + 1 + k], "big"), i + 1 + k


def expect(buf: bytes, i: int, tag: int, what: str) -> tuple[int, int]:
    if buf[i] != tag:
        raise BerError(f"expected {what} (tag 0x{tag:02x}), got tag 0x{buf[i]:02x}")
    n, j = read_len(buf, i + 1)
    if j + n > len(buf):
        raise BerError(f"{what} runs past the end of the datagram")
    return n, j


def read_int(buf: bytes, i: int, what: str) -> tuple[int, int]:
    n, j = expect(buf, i, 0x02, what)
    if n == 0 or n > 9:
        raise BerError(f"{what}: bad INTEGER length {n}")
    return int.from_bytes(buf[j:j + n], "big", signed=True), j + n


def peek_request_id(buf: bytes) -> int | None:
    """The request-id of a v2c message, or None when the datagram is not one we can read.

    Lenient on purpose: a reply cut short after its request-id still belongs to its
    request, and the full decode then says what is wrong with it.
    """
    try:
        if buf[0] != 0x30:
            return None
        _, i = read_len(buf, 1)
        _, i = read_int(buf, i, "version")
        n, i = expect(buf, i, 0x04, "community")
        i += n
        _, i = read_len(buf, i + 1)
        return read_int(buf, i, "request-id")[0]
    except (IndexError, BerError):
        return None


def decode_response(buf: bytes) -> tuple[int, int, int, list[tuple[bytes, Any]]]:
    """(request_id, error_status, error_index, [(oid_bytes, value), ...]) of a v2c Response.

    Raises ``BerError`` with a short reason on anything malformed: wrong tags, lengths past
    the end, unknown value types, a PDU that is not a Response.
    """
    try:
        return _decode_response(buf)
    except IndexError:
        raise BerError("truncated SNMP message") from None


def _decode_response(buf: bytes) -> tuple[int, int, int, list[tuple[bytes, Any]]]:
    n, i = expect(buf, 0, 0x30, "message")
    end = i + n
    version, i = read_int(buf, i, "version")
    if version != 1:
        raise BerError(f"not an SNMPv2c message (version field {version})")
    n, i = expect(buf, i, 0x04, "community")
    i += n
    _, request_id, error_status, error_index, out = decode_pdu(buf, i, (RESPONSE,))
    return request_id, error_status, error_index, out


def decode_pdu(buf: bytes, i: int, tags: tuple[int, ...]) -> tuple[int, int, int, int, list[tuple[bytes, Any]]]:
    """(pdu_tag, request_id, error_status, error_index, varbinds) of the PDU at ``buf[i]``.

    The PDU layout is the same in v2c messages and v3 scoped PDUs (RFC 3416); ``tags``
    are the PDU types accepted (a Response; v3 also a Report). IndexError on truncation.
    """
    pdu_tag = buf[i]
    if pdu_tag not in tags:
        what = "Response-PDU" if tags == (RESPONSE,) else "Response- or Report-PDU"
        raise BerError(f"expected {what} (tag 0x{tags[0]:02x}), got tag 0x{pdu_tag:02x}")
    n, i = expect(buf, i, pdu_tag, "PDU")
    request_id, i = read_int(buf, i, "request-id")
    error_status, i = read_int(buf, i, "error-status")
    error_index, i = read_int(buf, i, "error-index")
    n, i = expect(buf, i, 0x30, "varbind list")
    end = i + n
    out: list[tuple[bytes, Any]] = []
    append = out.append
    unsigned, signed_octet = _UNSIGNED, _SIGNED_OCTET
    from_bytes = int.from_bytes
    while i < end:
        if buf[i] != 0x30:
            raise BerError("varbind is not a SEQUENCE")
        n = buf[i + 1]
        i = i + 2 if n < 0x80 else read_len(buf, i + 1)[1]
        if buf[i] != 0x06:
            raise BerError("varbind name is not an OBJECT IDENTIFIER")
        n = buf[i + 1]
        if n < 0x80:
            j = i + 2
        else:
            n, j = read_len(buf, i + 1)
        oid = buf[j:j + n]
        i = j + n
        tag = buf[i]
        n = buf[i + 1]
        if n < 0x80:
            j = i + 2
        else:
            n, j = read_len(buf, i + 1)
        i = j + n
        if i > end:
            raise BerError("varbind value runs past the end of the list")
        # One-octet integers (statuses, types, small gauges: most of a switch walk's values)
        # are read straight from the buffer: no slice, no from_bytes call.
        if tag in unsigned:
            if n == 1:
                value: Any = buf[j]
            elif n > 9:
                raise BerError(f"unsigned value of {n} octets")
            else:
                value = from_bytes(buf[j:i], "big")
        elif tag == 0x02:
            if n == 1:
                value = signed_octet[buf[j]]
            elif n > 9:
                raise BerError(f"INTEGER of {n} octets")
            else:
                value = from_bytes(buf[j:i], "big", signed=True)
        elif tag == 0x04:
            value = buf[j:i]
        elif tag == 0x06:
            value = decode_oid(buf[j:i])
        elif tag == 0x40:
            if n != 4:
                raise BerError(f"IpAddress of {n} octets")
            value = ".".join(map(str, buf[j:i]))
        elif tag == 0x05:
            value = None
        elif tag == 0x82:
            value = END_OF_MIB_VIEW
        elif tag == 0x80:
            value = NO_SUCH_OBJECT
        elif tag == 0x81:
            value = NO_SUCH_INSTANCE
        elif tag == 0x44:
            value = buf[j:i]  # Opaque: left to the caller
        else:
            raise BerError(f"unknown value type tag 0x{tag:02x}")
        append((oid, value))
    return pdu_tag, request_id, error_status, error_index, out
