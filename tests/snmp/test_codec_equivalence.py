"""The lean codec's faster forms give exactly what an independent implementation gives.

The walk loop, the request encoder and the one-octet INTEGER shortcuts of the decoder were
rewritten for CPU (issue 18). Checked here against pysnmp/pyasn1, which share no code with
collectors/snmp/ber.py:
- every reply of a whole walk of each real recording in data/ and data/librenms/ (served by
  the replay responder), decoded by ber.decode_response and by pyasn1;
- the same walks through SnmpClient on the lean transport and on the pysnmp transport;
- odd replies built by hand (noSuchObject, noSuchInstance, endOfMibView, Counter64, negative
  and one-octet integers, long OIDs with long-form lengths);
- requests with OIDs around the one-octet length boundary of the encoder, decoded by pyasn1.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collectors.snmp import ber
from collectors.snmp.client import SnmpClient, SnmpError, open_client
from collectors.snmp.pysnmp_backend import _plain
from inventory.models import SnmpCredentials
from tests.snmp.conftest import DATA, LIBRENMS_DATA
from tests.support import replay_responder

# Roots walked together as one multi-column walk: LLDP (1.0.8802: a multi-octet sub-identifier
# in the prefix), MIB-2 and the enterprises: every object a recording holds under them.
ROOTS = ["1.0.8802", "1.3.6.1.2.1", "1.3.6.1.4.1"]


def _recordings() -> list[Path]:
    """The real recordings the replay responder can serve (two use snmpsim variation modules)."""
    paths = sorted(DATA.glob("*.snmprec")) + sorted(LIBRENMS_DATA.glob("*.snmprec"))
    usable = []
    for path in paths:
        try:
            replay_responder.Recording.load(path)
        except ValueError:  # e.g. "2:numeric|min=0,...": generated values, not a plain recording
            continue
        usable.append(path)
    assert len(usable) >= 30, "the real recordings went missing"
    return usable


RECORDINGS = _recordings()


@pytest.fixture(scope="module")
def responder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    proc, port = replay_responder.start(RECORDINGS, tmp_path_factory.mktemp("replay") / "responder.log")
    try:
        yield port
    finally:
        proc.stop()


def pyasn1_response(datagram: bytes) -> tuple[int, int, int, list[tuple[bytes, Any]]]:
    """(request-id, error-status, error-index, varbinds) of a v2c Response, decoded by pyasn1."""
    from pyasn1.codec.ber import decoder
    from pysnmp.proto import api

    message, rest = decoder.decode(datagram, asn1Spec=api.v2c.Message())
    assert not rest
    pdu = api.v2c.apiMessage.get_pdu(message)
    varbinds = [(ber.encode_oid(str(name)), _plain(value)) for name, value in api.v2c.apiPDU.get_varbinds(pdu)]
    return (int(api.v2c.apiPDU.get_request_id(pdu)), int(api.v2c.apiPDU.get_error_status(pdu)),
            int(api.v2c.apiPDU.get_error_index(pdu)), varbinds)


def creds(port: int, community: str) -> SnmpCredentials:
    var = "PATROL_TEST_EQ_" + "".join(c if c.isalnum() else "_" for c in community).upper()
    os.environ[var] = community
    return SnmpCredentials(version="2c", port=port, community=f"env:{var}", timeout_s=2.0, retries=1)


def raw_walk(port: int, community: str) -> list[bytes]:
    """Every reply datagram of a GETBULK walk of ROOTS (as the client walks: all roots per request)."""
    replies: list[bytes] = []
    prefixes = [ber.encode_oid(r) for r in ROOTS]
    last, active = list(prefixes), list(range(len(ROOTS)))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        sock.connect(("127.0.0.1", port))
        while active:
            request = ber.encode_request(ber.GETBULK, len(replies) + 1, community.encode(), [last[j] for j in active],
                                         0, 20)
            sock.send(request)
            reply = sock.recv(65535)
            replies.append(reply)
            varbinds = ber.decode_response(reply)[3]
            done = set()
            for pos, j in enumerate(active):
                for oid, value in varbinds[pos::len(active)]:
                    if value is ber.END_OF_MIB_VIEW or not oid.startswith(prefixes[j]):
                        done.add(j)
                        break
                    last[j] = oid
            active = [j for j in active if j not in done]
            assert len(replies) < 2000
    return replies


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_every_reply_of_a_real_recording_decodes_as_pyasn1_decodes_it(responder: int, path: Path) -> None:
    replies = raw_walk(responder, path.stem)
    decoded = [ber.decode_response(reply) for reply in replies]
    assert sum(len(d[3]) for d in decoded) > 20
    assert decoded == [pyasn1_response(reply) for reply in replies]


async def _walk(port: int, community: str, backend: str) -> Any:
    try:
        async with open_client("127.0.0.1", creds(port, community), None, backend=backend) as snmp:
            return await snmp.walk(ROOTS)
    except SnmpError as exc:  # a recording the walk refuses must be refused alike
        return f"error: {exc}"


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_a_whole_walk_equals_the_walk_through_pysnmp(responder: int, path: Path) -> None:
    lean = asyncio.run(_walk(responder, path.stem, "lean"))
    recorded = [ber.decode_oid(oid) for oid in replay_responder.Recording.load(path).oids]
    assert isinstance(lean, dict)
    assert {root: set(rows) for root, rows in lean.items()} == {  # every recorded row, nothing else
        root: {oid[len(root) + 1:] for oid in recorded if oid.startswith(root + ".")} for root in ROOTS}
    assert asyncio.run(_walk(responder, path.stem, "pysnmp")) == lean


def _vb(oid: str, tag: int, content: bytes) -> bytes:
    return ber.tlv(0x30, ber.tlv(0x06, ber.encode_oid(oid)) + ber.tlv(tag, content))


def _response(varbinds: bytes) -> bytes:
    body = ber.encode_int(7) + ber.encode_int(0) + ber.encode_int(0) + ber.tlv(0x30, varbinds)
    return ber.tlv(0x30, ber.encode_int(1) + ber.tlv(0x04, b"public") + ber.tlv(ber.RESPONSE, body))


LONG_OID = "1.3.6.1.4.1.2011." + ".".join(str(4_000_000 + i) for i in range(40))  # ~170 octets: long-form lengths
ODD = {
    "noSuchObject": _vb("1.3.6.1.2.1.1.9.0", 0x80, b""),
    "noSuchInstance": _vb("1.3.6.1.2.1.1.9.1", 0x81, b""),
    "endOfMibView": _vb("1.3.6.1.2.1.1.9.2", 0x82, b""),
    "counter64-max": _vb("1.3.6.1.2.1.31.1.1.1.6.1", 0x46, b"\x00" + b"\xff" * 8),
    "counter64-small": _vb("1.3.6.1.2.1.31.1.1.1.6.2", 0x46, b"\x05"),
    "gauge32-zero-octets": _vb("1.3.6.1.2.1.2.2.1.5.1", 0x42, b""),
    "int-minus-1": _vb("1.3.6.1.2.1.1.7.0", 0x02, b"\xff"),
    "int-minus-128": _vb("1.3.6.1.2.1.1.7.1", 0x02, b"\x80"),
    "int-127": _vb("1.3.6.1.2.1.1.7.2", 0x02, b"\x7f"),
    "int-minus-129": _vb("1.3.6.1.2.1.1.7.3", 0x02, b"\xff\x7f"),
    "int-min-32bit": _vb("1.3.6.1.2.1.1.7.4", 0x02, b"\x80\x00\x00\x00"),
    "oid-value": _vb("1.3.6.1.2.1.1.2.0", 0x06, ber.encode_oid("1.3.6.1.4.1.9.1.617")),
    "ipaddress": _vb("1.3.6.1.2.1.4.20.1.1.10.0.0.1", 0x40, b"\x0a\x00\x00\x01"),
    "long-oid-name": _vb(LONG_OID, 0x04, b"x" * 200),
    "long-oid-value": _vb("1.3.6.1.2.1.1.2.0", 0x06, ber.encode_oid(LONG_OID)),
    "timeticks": _vb("1.3.6.1.2.1.1.3.0", 0x43, b"\x00\xff\xff\xff\xff"),
}


@pytest.mark.parametrize("varbinds", [*ODD.values(), b"".join(ODD.values())], ids=[*ODD, "all-together"])
def test_odd_replies_decode_as_pyasn1_decodes_them(varbinds: bytes) -> None:
    reply = _response(varbinds)
    assert ber.decode_response(reply) == pyasn1_response(reply)


def test_an_unsigned_value_without_its_leading_zero_octet_is_read_unsigned() -> None:
    # pyasn1 refuses Counter32 0x80 (-128 as an INTEGER); ber.py always read the content of
    # the unsigned types as unsigned, and the one-octet shortcut keeps that
    reply = _response(_vb("1.3.6.1.2.1.2.2.1.10.1", 0x41, b"\x80") + _vb("1.3.6.1.2.1.2.2.1.5.1", 0x42, b"\xff"))
    assert ber.decode_response(reply)[3] == [(ber.encode_oid("1.3.6.1.2.1.2.2.1.10.1"), 128),
                                             (ber.encode_oid("1.3.6.1.2.1.2.2.1.5.1"), 255)]


@pytest.mark.parametrize("length", [1, 9, 120, 121, 122, 123, 124, 125, 126, 127, 128, 200])
def test_request_oids_of_every_length_encode_as_pyasn1_reads_them(length: int) -> None:
    from pyasn1.codec.ber import decoder
    from pyasn1.type import univ
    from pysnmp.proto import api

    oid = ber.encode_oid("1.3" + ".6" * (length - 1))  # `length` content octets
    assert len(oid) == length
    oids = [oid, ber.encode_oid("1.3.6.1.2.1.1.3.0"), oid]
    message, rest = decoder.decode(ber.encode_request(ber.GETBULK, 99, b"public", oids, 0, 5),
                                   asn1Spec=api.v2c.Message())
    assert not rest
    pdu = api.v2c.apiMessage.get_pdu(message)
    got = [(ber.encode_oid(str(name)), type(value)) for name, value in api.v2c.apiPDU.get_varbinds(pdu)]
    assert got == [(o, univ.Null) for o in oids]
    assert int(api.v2c.apiBulkPDU.get_max_repetitions(pdu)) == 5


class _Scripted:
    """A transport answering each request with the next scripted varbind list (no network)."""

    def __init__(self, replies: list[list[tuple[str, Any]]]):
        self.replies = replies
        self.asked: list[list[str]] = []
        self.received_bytes = 0

    async def request(self, pdu: int, oids: list[bytes], non_repeaters: int = 0,
                      max_repetitions: int = 0) -> tuple[int, int, list[tuple[bytes, Any]]]:
        self.asked.append([ber.decode_oid(o) for o in oids])
        return 0, 0, [(ber.encode_oid(o), v) for o, v in self.replies.pop(0)]

    async def connect(self) -> None:
        pass

    def close(self) -> None:
        pass


def _walk_scripted(columns: list[str], replies: list[list[tuple[str, Any]]], **kw: Any) -> Any:
    transport = _Scripted(replies)
    client = SnmpClient(transport, name="sw", bulk_varbinds=4, **kw)
    try:
        return asyncio.run(client.walk(columns)), transport.asked
    except SnmpError as exc:
        return str(exc), transport.asked


A, B = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.8"


def test_walk_keeps_rows_skips_empty_ones_and_ends_each_column_on_its_own() -> None:
    got, asked = _walk_scripted([A, B], [
        [(f"{A}.1", b"Gi0/1"), (f"{B}.1", 1), (f"{A}.200", ber.NO_SUCH_INSTANCE), (f"{B}.200", 2)],
        [(f"{A}.436326400", b"Te1/1"), (f"{B}.300", ber.NO_SUCH_OBJECT),
         (f"{A}.151060481.1", b"x"), ("1.3.6.1.2.1.2.2.1.9.1", 5)],  # 151060481 < 436326400: loops
    ])
    assert got == "sw: agent returned a non-increasing OID in 1.3.6.1.2.1.2.2.1.2 (looping walk)"
    got, asked = _walk_scripted([A, B], [
        [(f"{A}.1", b"Gi0/1"), (f"{B}.1", 1), (f"{A}.200", ber.NO_SUCH_INSTANCE), (f"{B}.200", 2)],
        [(f"{A}.151060481", b"Te1/1"), (f"{B}.300", ber.NO_SUCH_OBJECT),
         (f"{A}.436326400", b"Te1/2"), ("1.3.6.1.2.1.2.2.1.9.1", 5)],  # bytewise smaller, numerically larger
        [("1.3.6.1.2.1.2.2.1.3.1", 6), ("1.3.6.1.2.1.2.2.1.3.2", 6), ("1.3.6.1.2.1.2.2.1.3.3", 6),
         ("1.3.6.1.2.1.2.2.1.3.4", 6)],
    ])
    assert got == {A: {"1": b"Gi0/1", "151060481": b"Te1/1", "436326400": b"Te1/2"}, B: {"1": 1, "200": 2}}
    # each request goes on from the last row seen, a noSuch row included; B ended alone
    assert asked == [[A, B], [f"{A}.200", f"{B}.200"], [f"{A}.436326400"]]


@pytest.mark.parametrize("reply, error", [
    ([(A, b"the column itself")], "non-increasing OID"),
    ([(f"{A}.5", 1), (f"{A}.5", 1)], "non-increasing OID"),
    ([(f"{A}.5", 1), (f"{A}.4", 1)], "non-increasing OID"),
    ([(f"{A}.1.1", 1), (f"{A}.1", 1)], "non-increasing OID"),
    ([(f"{A}.1", 1), (f"{A}.2", 1), (f"{A}.3", 1)], "more than 2 rows"),
], ids=["equal-to-column", "repeated", "decreasing", "shorter-is-smaller", "endless"])
def test_walk_errors(reply: list[tuple[str, Any]], error: str) -> None:
    got, _ = _walk_scripted([A], [reply], max_rows=2)
    assert isinstance(got, str) and error in got


def test_walk_ends_on_end_of_mib_view_and_decodes_multi_octet_indexes() -> None:
    got, asked = _walk_scripted([A, B], [
        [(f"{A}.128.300", b"a"), (f"{B}.1", 1), (f"{A}.129", b"b"), (f"{B}.1", ber.END_OF_MIB_VIEW)],
        [(f"{A}.4294967295", b"c"), ("1.3.6.1.2.1.2.2.1.3.1", 6), (f"{A}.4294967295", b"c"), ("1.3.6.1.2.1.2.2.1.3.1", 6)],
    ])
    assert got == {A: {"128.300": b"a", "129": b"b", "4294967295": b"c"}, B: {"1": 1}}
    assert asked == [[A, B], [f"{A}.129"]]
