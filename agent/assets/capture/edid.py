"""EDID 1.x (VESA E-EDID Release A, Revision 2): who made a monitor, which model, its serial.

The first 128 bytes, as /sys/class/drm/card0-DP-1/edid and Windows' WmiMonitorID give them::

    00 ff ff ff ff ff ff 00   header
    10 ac                     manufacturer: three 5-bit letters, big endian ("DEL")
    b9 a0                     product code, little endian (0xa0b9)
    55 45 34 33               serial number, little endian 32-bit (0 when not used)
    2a 1d                     week 42 of 1990 + 0x1d = 2019 (week 0xff: model year)
    ...
    bytes 54..125             four 18-byte descriptors; 00 00 00 fc 00 = monitor name,
                              00 00 00 ff 00 = serial text, 13 bytes ended by 0x0a, padded with spaces

An empty file is a connector with nothing plugged in. A wrong header or length is a
``ValueError`` with the reason; a bad checksum is tolerated (some KVM switches rewrite
bytes without fixing it) but reported by ``checksum_ok``.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.assets.capture.text import clean
from agent.assets.model import Monitor

HEADER = bytes.fromhex("00ffffffffffff00")
_NAME, _SERIAL = 0xFC, 0xFF


@dataclass(frozen=True, slots=True)
class Edid:
    maker: str  # PNP id
    product_code: int
    serial_number: int  # the 32-bit field (0: not used)
    serial_text: str | None
    name: str | None
    year: int | None
    checksum_ok: bool


def _descriptor_text(block: bytes) -> str | None:
    raw = block[5:18].split(b"\x0a", 1)[0]
    return clean(raw.decode("cp437", "replace"))


def parse(data: bytes) -> Edid:
    if len(data) < 128:
        raise ValueError(f"EDID of {len(data)} bytes: a base block is 128")
    if data[:8] != HEADER:
        raise ValueError("not an EDID: the header is not 00 ff ff ff ff ff ff 00")
    word = int.from_bytes(data[8:10], "big")
    letters = [(word >> shift) & 0x1F for shift in (10, 5, 0)]
    if not all(1 <= n <= 26 for n in letters):
        raise ValueError(f"EDID manufacturer id 0x{word:04x} is not three letters")
    name = serial_text = None
    for offset in (54, 72, 90, 108):
        block = data[offset:offset + 18]
        if block[0:3] == b"\x00\x00\x00" and block[4] == 0:
            if block[3] == _NAME:
                name = _descriptor_text(block)
            elif block[3] == _SERIAL:
                serial_text = _descriptor_text(block)
    year_byte = data[17]  # with week byte 16 = 0xff this is the model year; either way the year
    return Edid(maker="".join(chr(ord("A") + n - 1) for n in letters),
                product_code=int.from_bytes(data[10:12], "little"),
                serial_number=int.from_bytes(data[12:16], "little"), serial_text=serial_text, name=name,
                year=1990 + year_byte if year_byte else None, checksum_ok=sum(data[:128]) % 256 == 0)


def monitor(edid: Edid, connector: str | None = None) -> Monitor:
    """The model's view of an EDID: the serial text where given, else the 32-bit number."""
    serial = edid.serial_text or (str(edid.serial_number) if edid.serial_number else None)
    return Monitor(maker=edid.maker, model=edid.name, product_code=edid.product_code, serial=serial, year=edid.year,
                   connector=connector)
