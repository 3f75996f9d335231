"""A small IPP/1.1 codec (RFC 8010) and a client that speaks it to CUPS over HTTP.

Only what the printer check needs: encode a request with operation attributes, decode a
reply into attribute groups. The wire format of one attribute (RFC 8010 section 3.1.4)::

    value-tag (1 byte) | name-length (2) | name | value-length (2) | value
    additional values of the same attribute repeat with name-length 0

A reply starts with version (2 bytes), status-code (2) and request-id (4), then groups
introduced by a delimiter tag (0x01 operation, 0x02 job, 0x04 printer, 0x05 unsupported)
and ends with 0x03. Recorded replies from CUPS 2.4 are in tests/printers/fixtures/ipp/.
"""

from __future__ import annotations

import http.client
import socket
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Operation ids (RFC 8011 section 5.4.15; CUPS extensions from the CUPS IPP spec).
GET_JOBS = 0x000A
GET_PRINTER_ATTRIBUTES = 0x000B
CUPS_GET_PRINTERS = 0x4002

# Delimiter tags.
OPERATION_GROUP, JOB_GROUP, END, PRINTER_GROUP, UNSUPPORTED_GROUP = 0x01, 0x02, 0x03, 0x04, 0x05

# Value tags (RFC 8010 section 3.5.2).
INTEGER, BOOLEAN, ENUM = 0x21, 0x22, 0x23
OCTET_STRING, DATE_TIME, RESOLUTION, RANGE = 0x30, 0x31, 0x32, 0x33
BEG_COLLECTION, TEXT_WITH_LANG, NAME_WITH_LANG, END_COLLECTION = 0x34, 0x35, 0x36, 0x37
TEXT, NAME, KEYWORD, URI, URI_SCHEME, CHARSET, LANGUAGE, MIME = 0x41, 0x42, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49
MEMBER_NAME = 0x4A
_STRING_TAGS = frozenset({TEXT, NAME, KEYWORD, URI, URI_SCHEME, CHARSET, LANGUAGE, MIME, MEMBER_NAME, OCTET_STRING})

STATUS_OK_MAX = 0x00FF  # 0x0000-0x00FF are the successful-ok statuses
STATUS_NOT_FOUND = 0x0406  # CUPS answers CUPS-Get-Printers with it when there are no queues

Value = int | bool | str | bytes | None


class IppError(Exception):
    """A reply that is not valid IPP, or a transport failure; the message says which."""


@dataclass(frozen=True, slots=True)
class IppResponse:
    status: int
    request_id: int
    # (group tag, {attribute name: values}) in reply order: one printer or job per group.
    groups: tuple[tuple[int, Mapping[str, tuple[Value, ...]]], ...]

    @property
    def ok(self) -> bool:
        return self.status <= STATUS_OK_MAX

    def of(self, group_tag: int) -> list[Mapping[str, tuple[Value, ...]]]:
        return [attrs for tag, attrs in self.groups if tag == group_tag]


def encode_attribute(tag: int, name: str, values: Sequence[Value]) -> bytes:
    out = bytearray()
    for index, value in enumerate(values):
        if tag in (INTEGER, ENUM):
            data = struct.pack(">i", int(value))  # type: ignore[arg-type]
        elif tag == BOOLEAN:
            data = b"\x01" if value else b"\x00"
        else:
            data = value if isinstance(value, bytes) else str(value).encode("utf-8")
        key = name.encode("ascii") if index == 0 else b""
        out += struct.pack(">BH", tag, len(key)) + key + struct.pack(">H", len(data)) + data
    return bytes(out)


def encode_request(operation: int, request_id: int, attributes: Iterable[tuple[int, str, Sequence[Value]]]) -> bytes:
    """An IPP/2.0 request with the mandatory charset and language first, then ``attributes``."""
    body = bytearray(struct.pack(">BBHI", 2, 0, operation, request_id))
    body.append(OPERATION_GROUP)
    body += encode_attribute(CHARSET, "attributes-charset", ["utf-8"])
    body += encode_attribute(LANGUAGE, "attributes-natural-language", ["en"])
    for tag, name, values in attributes:
        body += encode_attribute(tag, name, values)
    body.append(END)
    return bytes(body)


def _value(tag: int, data: bytes) -> Value:
    if tag in (INTEGER, ENUM):
        if len(data) != 4:
            raise IppError(f"integer value of {len(data)} bytes (expected 4)")
        return struct.unpack(">i", data)[0]
    if tag == BOOLEAN:
        return data != b"\x00"
    if tag in _STRING_TAGS:
        return data.decode("utf-8", "replace")
    if tag in (TEXT_WITH_LANG, NAME_WITH_LANG):  # language length + language + text length + text
        if len(data) < 4:
            raise IppError("truncated text-with-language value")
        lang_len = struct.unpack(">H", data[:2])[0]
        text = data[4 + lang_len:]
        return text.decode("utf-8", "replace")
    if tag < 0x20:  # out-of-band: unsupported, unknown, no-value
        return None
    return bytes(data)  # dateTime, resolution, range, collections: kept raw, unused here


def decode_response(data: bytes) -> IppResponse:
    """Decode a reply; raises ``IppError`` naming the offset of the first malformed byte."""
    if len(data) < 9:
        raise IppError(f"reply of {len(data)} bytes is too short for IPP")
    major, _minor, status, request_id = struct.unpack(">BBHI", data[:8])
    if major not in (1, 2):
        raise IppError(f"reply is not IPP (version byte {major})")
    pos, groups = 8, []
    current: dict[str, list[Value]] | None = None
    last_name = ""
    while True:
        if pos >= len(data):
            raise IppError("reply ends without the end-of-attributes tag")
        tag = data[pos]
        pos += 1
        if tag == END:
            break
        if tag <= 0x0F:  # a delimiter: a new group starts
            current = {}
            groups.append((tag, current))
            continue
        if current is None or pos + 2 > len(data):
            raise IppError(f"attribute outside a group at byte {pos - 1}")
        (name_len,) = struct.unpack(">H", data[pos:pos + 2])
        pos += 2
        name = data[pos:pos + name_len].decode("ascii", "replace")
        pos += name_len
        if pos + 2 > len(data):
            raise IppError(f"truncated attribute {name or last_name!r} at byte {pos}")
        (value_len,) = struct.unpack(">H", data[pos:pos + 2])
        pos += 2
        if pos + value_len > len(data):
            raise IppError(f"value of {name or last_name!r} runs past the end of the reply")
        value = _value(tag, data[pos:pos + value_len])
        pos += value_len
        if name:
            last_name = name
            current[name] = [value]
        elif last_name:  # an additional value of the previous attribute (or a collection member)
            current[last_name].append(value)
    frozen = tuple((tag, {k: tuple(v) for k, v in attrs.items()}) for tag, attrs in groups)
    return IppResponse(status, request_id, frozen)


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over CUPS's local domain socket (/run/cups/cups.sock)."""

    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


@dataclass(frozen=True)
class IppServer:
    """Where CUPS listens: ``host:port`` or the path of a local socket."""

    host: str = "127.0.0.1"
    port: int = 631
    socket_path: str | None = None

    def __str__(self) -> str:
        return self.socket_path or f"{self.host}:{self.port}"

    def post(self, body: bytes, *, timeout: float, path: str = "/") -> bytes:
        """POST one IPP request; ``OSError`` (refused, timeout) is left to the caller."""
        conn: http.client.HTTPConnection = (_UnixHTTPConnection(self.socket_path, timeout) if self.socket_path
                                            else http.client.HTTPConnection(self.host, self.port, timeout=timeout))
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/ipp"})
            reply = conn.getresponse()
            payload = reply.read()
        except http.client.HTTPException as exc:
            raise IppError(f"CUPS at {self} sent a broken HTTP reply ({type(exc).__name__})") from None
        finally:
            conn.close()
        if reply.status != 200:
            raise IppError(f"CUPS at {self} answered HTTP {reply.status} {reply.reason}")
        return payload
