"""A misbehaving SNMP agent on a loopback UDP port, for the broken-reply tests.

Real devices do all of this: answer with garbage or truncated datagrams, go silent in the
middle of a walk, loop on one OID (old Cisco and printer firmware), never end a table,
send strings where numbers belong, answer genErr or tooBig. snmpsim cannot be made to
misbehave like that, so this small responder does, one behaviour per community (the part
of the community before the first '-'; the rest plays the secret no result may show).
"""

from __future__ import annotations

import random
import socket
import threading

from collectors.snmp import ber

SYS = {"1.3.6.1.2.1.1.1.0": (0x04, b"hostile test agent"),
       "1.3.6.1.2.1.1.2.0": (0x06, ber.encode_oid("1.3.6.1.4.1.8072.3.2.10")),
       "1.3.6.1.2.1.1.3.0": (0x43, (12345678).to_bytes(4, "big")),
       "1.3.6.1.2.1.1.5.0": (0x04, b"hostile")}


def parse_request(data: bytes) -> tuple[bytes, int, int, int, list[bytes]]:
    """(community, pdu tag, request id, max repetitions, [oid bytes]) of a v2c request."""
    _, i = ber.expect(data, 0, 0x30, "message")
    _, i = ber.read_int(data, i, "version")
    n, i = ber.expect(data, i, 0x04, "community")
    community, i = data[i:i + n], i + n
    pdu = data[i]
    _, i = ber.read_len(data, i + 1)
    rid, i = ber.read_int(data, i, "request-id")
    _, i = ber.read_int(data, i, "non-repeaters")
    reps, i = ber.read_int(data, i, "max-repetitions")
    n, i = ber.expect(data, i, 0x30, "varbinds")
    end, oids = i + n, []
    while i < end:
        n, j = ber.expect(data, i, 0x30, "varbind")
        m, k = ber.expect(data, j, 0x06, "name")
        oids.append(data[k:k + m])
        i = j + n
    return community, pdu, rid, reps, oids


def response(community: bytes, rid: int, varbinds: list[tuple[bytes, int, bytes]], status: int = 0,
             index: int | None = None) -> bytes:
    vbs = b"".join(ber.tlv(0x30, ber.tlv(0x06, oid) + ber.tlv(tag, content)) for oid, tag, content in varbinds)
    index = index if index is not None else (1 if status else 0)
    body = ber.encode_int(rid) + ber.encode_int(status) + ber.encode_int(index) + ber.tlv(0x30, vbs)
    return ber.tlv(0x30, ber.encode_int(1) + ber.tlv(0x04, community) + ber.tlv(ber.RESPONSE, body))


class HostileAgent:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hostile-snmp", daemon=True)

    def start(self) -> "HostileAgent":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                continue
            try:
                reply = self._answer(*parse_request(data))
            except (ber.BerError, IndexError):
                continue
            if reply is not None:
                self.sock.sendto(reply, peer)

    def _answer(self, community: bytes, pdu: int, rid: int, reps: int, oids: list[bytes]) -> bytes | None:
        mode = community.split(b"-")[0].decode()
        if mode == "silent" or (mode == "walksilent" and pdu == ber.GETBULK) or mode == "wrongid":
            if mode == "wrongid":
                return response(community, rid + 1, [])
            return None
        if mode == "garbage":
            return random.Random(rid).randbytes(60)
        if pdu == ber.GET and mode == "nosuchname":  # SNMPv1 habit: one absent object fails the whole GET
            names = [ber.decode_oid(o) for o in oids]
            if "1.3.6.1.2.1.1.3.0" in names:
                return response(community, rid, [(o, 0x05, b"") for o in oids], status=2,
                                index=names.index("1.3.6.1.2.1.1.3.0") + 1)
        if pdu == ber.GET:
            vbs = []
            for oid in oids:
                tag, content = SYS.get(ber.decode_oid(oid), (0x81, b""))
                if mode == "wrongtype" and ber.decode_oid(oid) == "1.3.6.1.2.1.1.3.0":
                    tag, content = 0x04, b"12345678"
                vbs.append((oid, tag, content))
            reply = response(community, rid, vbs)
            return reply[:-5] if mode == "truncated" else reply
        # GETBULK
        if mode == "genErr":
            return response(community, rid, [(o, 0x05, b"") for o in oids], status=5)
        if mode == "empty":
            return response(community, rid, [])
        if mode == "loop":  # answers the request's own OIDs again: never increasing
            return response(community, rid, [(o, 0x02, b"\x01") for o in oids])
        if mode == "endless":  # every column goes on forever: o.1, o.1.1, o.1.1.1, ...
            vbs = [(o + b"\x01" * (k + 1), 0x02, b"\x01") for k in range(max(1, reps)) for o in oids]
            return response(community, rid, vbs)
        if mode == "fat":  # one 60 KB row per reply, for ever: the walk's memory must stay bounded
            return response(community, rid, [(oids[0] + b"\x01", 0x04, b"x" * 60_000)])
        if mode == "toobig" and len(oids) * max(1, reps) > 10:
            return response(community, rid, [], status=1)
        return response(community, rid, [(o, 0x82, b"") for o in oids])  # endOfMibView: empty tables
