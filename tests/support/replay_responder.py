"""A fast SNMP v2c responder for benchmarks and scale tests: real recordings, pre-encoded replies.

snmpsim answers ~7k varbinds/s per process and keeps 31 recordings open, so a benchmark
of 10,000 switches measured snmpsim, not Patrol. This responder reads ``.snmprec``
recordings once (real devices from snmpsim-data, e.g. tests/snmp/data/), encodes every
varbind once, and answers GET, GETNEXT and GETBULK from them; the varbind list of a reply
is cached per (recording, request) once built, so a repeated request (every device of a
site asks the same walk) costs a parse of the header and one dictionary lookup.

Many devices per process: the community names the recording, ``<recording>`` or
``<recording>@<anything>`` (``cisco-c3560@sw0042``), so 10,000 simulated switches are 10,000
communities over one recording. Several processes share one UDP port (SO_REUSEPORT: the
kernel spreads the clients over them), one per core. Only v2c; a request it cannot parse
or for an unknown community gets no answer, as from a real agent.

    python -m tests.support.replay_responder --port 16100 --processes 2 tests/snmp/data/cisco-c3560.snmprec

SIGTERM stops it; each process then prints ``replay-responder: <pid> requests=<n> cpu_s=<s>``
to stderr (bench/replay_responder.py measures the rate from outside as well).
"""

from __future__ import annotations

import argparse
import bisect
import os
import resource
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from pathlib import Path

from collectors.snmp import ber

# snmprec type tags (snmpsim's format: OID|TAG|VALUE; a trailing x means a hex value)
_TAGS = {"2": 0x02, "4": 0x04, "5": 0x05, "6": 0x06, "64": 0x40, "65": 0x41, "66": 0x42, "67": 0x43,
         "68": 0x44, "70": 0x46}
NO_SUCH_INSTANCE = b"\x81\x00"
END_OF_MIB_VIEW = b"\x82\x00"
MAX_REPLY = 65000  # bytes of varbinds in one reply at most (a UDP datagram's limit)
CACHE_MAX = 200_000  # cached reply bodies per process


def encode_value(tag: str, value: str) -> bytes:
    """One snmprec value as its BER TLV."""
    tag, _, _variant = tag.partition(":")  # "2:numeric" and the like: snmpsim variation modules, plain here
    hexed = tag.endswith("x")
    code = _TAGS[tag.rstrip("x")]
    if hexed:
        content = bytes.fromhex(value)
    elif code == 0x04:
        content = value.encode()
    elif code == 0x05:
        content = b""
    elif code == 0x06:
        content = ber.encode_oid(value)
    elif code == 0x40:
        content = bytes(int(p) for p in value.split("."))
    else:
        number = int(value)
        content = number.to_bytes(max(1, (number.bit_length() + 8) // 8), "big", signed=code == 0x02)
        if code != 0x02 and len(content) > 1 and content[0] == 0 and content[1] < 0x80:
            content = content[1:]  # unsigned types: no needless leading zero
    return ber.tlv(code, content)


@dataclass(frozen=True)
class Recording:
    """A device's walk: encoded OIDs in OID order and their varbinds.

    Ordered by sub-identifiers, not by BER bytes: those differ where sub-identifiers of
    different octet lengths meet (436326400 sorts before 151060481 bytewise), and a replay
    in byte order walked such recordings out of order, which no real agent does.
    """

    name: str
    oids: tuple[bytes, ...]
    numbers: tuple[tuple[int, ...], ...]  # each OID's sub-identifiers (first two combined), same order
    varbinds: tuple[bytes, ...]

    @classmethod
    def load(cls, path: Path) -> "Recording":
        rows: dict[bytes, bytes] = {}
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            try:
                oid, tag, value = line.split("|", 2)
                enc = ber.encode_oid(oid)
                rows[enc] = ber.tlv(0x30, ber.tlv(0x06, enc) + encode_value(tag, value))
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}:{number}: not a snmprec line ({exc}): {line[:80]!r}") from None
        keys = sorted(rows, key=ber.subids)
        return cls(path.name.removesuffix(".snmprec"), tuple(keys), tuple(tuple(ber.subids(k)) for k in keys),
                   tuple(rows[k] for k in keys))

    def get(self, oid: bytes) -> bytes:
        i = bisect.bisect_left(self.numbers, tuple(ber.subids(oid)))
        if i < len(self.oids) and self.oids[i] == oid:
            return self.varbinds[i]
        return ber.tlv(0x30, ber.tlv(0x06, oid) + NO_SUCH_INSTANCE)

    def after(self, oid: bytes) -> int:
        return bisect.bisect_right(self.numbers, tuple(ber.subids(oid)))

    def at(self, i: int, asked: bytes) -> bytes:
        return self.varbinds[i] if i < len(self.oids) else ber.tlv(0x30, ber.tlv(0x06, asked) + END_OF_MIB_VIEW)


def parse(data: bytes) -> tuple[bytes, int, bytes, int, int, bytes] | None:
    """(community, pdu, request-id TLV, non-repeaters, max-repetitions, varbind list TLV) of a
    v2c request, or None."""
    try:
        _, i = ber.expect(data, 0, 0x30, "message")
        version, i = ber.read_int(data, i, "version")
        if version != 1:
            return None
        n, i = ber.expect(data, i, 0x04, "community")
        community, i = data[i:i + n], i + n
        pdu = data[i]
        _, i = ber.read_len(data, i + 1)
        start = i
        _, i = ber.read_int(data, i, "request-id")
        rid = data[start:i]
        nonrep, i = ber.read_int(data, i, "non-repeaters")
        reps, i = ber.read_int(data, i, "max-repetitions")
        n, j = ber.expect(data, i, 0x30, "varbinds")
        return community, pdu, rid, nonrep, reps, data[i:j + n]
    except (ValueError, IndexError):
        return None


def _names(vbl: bytes) -> list[bytes]:
    n, i = ber.expect(vbl, 0, 0x30, "varbinds")
    end, out = i + n, []
    while i < end:
        n, j = ber.expect(vbl, i, 0x30, "varbind")
        m, k = ber.expect(vbl, j, 0x06, "name")
        out.append(vbl[k:k + m])
        i = j + n
    return out


def answer(rec: Recording, pdu: int, nonrep: int, reps: int, vbl: bytes) -> bytes | None:
    """The reply's varbind list TLV for one request."""
    names = _names(vbl)
    out: list[bytes] = []
    if pdu == ber.GET:
        out = [rec.get(o) for o in names]
    elif pdu == ber.GETNEXT:
        out = [rec.at(rec.after(o), o) for o in names]
    elif pdu == ber.GETBULK:
        nonrep = max(0, min(nonrep, len(names)))
        out = [rec.at(rec.after(o), o) for o in names[:nonrep]]
        repeat = names[nonrep:]
        pos = [rec.after(o) for o in repeat]
        size = sum(len(v) for v in out)
        for _ in range(max(1, reps) if repeat else 0):
            for j, o in enumerate(repeat):
                vb = rec.at(pos[j], o)
                size += len(vb)
                if size > MAX_REPLY:
                    break
                out.append(vb)
                pos[j] += 1
            else:
                continue
            break
    else:
        return None
    return ber.tlv(0x30, b"".join(out))


class Responder:
    def __init__(self, recordings: Sequence[Recording]):
        self.recordings = {r.name.encode(): r for r in recordings}
        self.cache: dict[tuple[bytes, int, int, int, bytes], bytes] = {}
        self.requests = 0

    def reply(self, data: bytes) -> bytes | None:
        req = parse(data)
        if req is None:
            return None
        community, pdu, rid, nonrep, reps, vbl = req
        rec = self.recordings.get(community.split(b"@", 1)[0])
        if rec is None:
            return None
        key = (community.split(b"@", 1)[0], pdu, nonrep, reps, vbl)
        body = self.cache.get(key)
        if body is None:
            try:
                body = answer(rec, pdu, nonrep, reps, vbl)
            except (ValueError, IndexError):
                return None
            if body is None:
                return None
            if len(self.cache) >= CACHE_MAX:
                self.cache.clear()
            self.cache[key] = body
        self.requests += 1
        pdu_body = rid + b"\x02\x01\x00\x02\x01\x00" + body
        return ber.tlv(0x30, b"\x02\x01\x01" + ber.tlv(0x04, community) + ber.tlv(ber.RESPONSE, pdu_body))

    def serve(self, sock: socket.socket) -> None:
        recv, send, reply = sock.recvfrom, sock.sendto, self.reply
        while True:
            data, peer = recv(65535)
            out = reply(data)
            if out is not None:
                try:
                    send(out, peer)
                except OSError:  # the client went away; a real agent would not notice either
                    pass


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    sock.bind((host, port))
    return sock


def _report_and_exit(responder: Responder) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"replay-responder: {os.getpid()} requests={responder.requests} "
          f"cpu_s={usage.ru_utime + usage.ru_stime:.3f}", file=sys.stderr, flush=True)
    os._exit(0)


def run(paths: Sequence[Path], host: str, port: int, processes: int) -> None:
    recordings = [Recording.load(p) for p in paths]
    socks = [bind(host, port) for _ in range(processes)]  # all bound before any answers: no lost early request
    children = []
    for sock in socks[1:]:
        pid = os.fork()
        if pid == 0:
            responder = Responder(recordings)
            signal.signal(signal.SIGTERM, lambda *_: _report_and_exit(responder))
            for other in socks:
                if other is not sock:
                    other.close()
            responder.serve(sock)
        children.append(pid)
    for sock in socks[1:]:
        sock.close()
    responder = Responder(recordings)

    def stop(*_: object) -> None:
        for pid in children:  # our own forked children, by the PIDs fork returned
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass
        _report_and_exit(responder)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"replay-responder: {', '.join(r.name for r in recordings)} on {host}:{port}, {processes} processes",
          file=sys.stderr, flush=True)
    responder.serve(socks[0])


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.support.replay_responder", description=__doc__.split("\n\n")[0])
    ap.add_argument("recordings", nargs="+", type=Path, help=".snmprec files; community = file name without .snmprec")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--processes", type=int, default=1, help="processes on the port (one per core)")
    args = ap.parse_args(argv)
    run(args.recordings, args.host, args.port, max(1, args.processes))


if __name__ == "__main__":
    main()


def start(paths: Sequence[Path], log_path: Path, *, processes: int = 1, timeout: float = 30) -> tuple["Any", int]:
    """Start the responder as a process of its own for a test or bench: (ServerProcess, UDP port)."""
    from tests.support.proc import ServerProcess, free_port, wait_until

    port = free_port("udp")
    proc = ServerProcess([sys.executable, "-m", "tests.support.replay_responder", "--port", str(port),
                          "--processes", str(processes), *map(str, paths)],
                         log_path=log_path, cwd=Path(__file__).resolve().parents[2])
    name = Path(paths[0]).name.removesuffix(".snmprec")
    probe = ber.encode_request(ber.GET, 1, name.encode(), [ber.encode_oid("1.3.6.1.2.1.1.3.0")])

    def answers() -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.3)
            sock.sendto(probe, ("127.0.0.1", port))
            return bool(sock.recv(65535))

    try:
        wait_until(answers, timeout, "replay responder", proc)
    except Exception:
        proc.stop()
        raise
    return proc, port
