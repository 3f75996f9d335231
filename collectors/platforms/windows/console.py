"""Text that Windows console programs print, decoded by the code page they print in.

Native programs (``nltest``) write to a pipe in the console's code page: the OEM code page
of the system language (936 on zh-CN, 950 on zh-TW, 932 on ja-JP, 850 on de/fr/es/it,
866 on ru), or UTF-8 where the console was switched (``chcp 65001``) or the system uses
"UTF-8 for worldwide language support" (OEM code page 65001). PowerShell's own output is
forced to UTF-8 by the preamble in ``powershell.py``; this module is for the rest.

The parsers read fixed ASCII parts (``Status = 0 0x0 NERR_Success``), so the one thing a
decode must never do is lose an ASCII byte. A double-byte code page can: its trail bytes
include 0x40-0x7E, so a stray lead byte (a wrong code page, a cut-off character) joins the
next ASCII byte into one character (``b"\\x81Status"`` decodes as ``"丼tatus"`` in cp936).
``decode_console`` therefore cuts the decode before such a byte: the lone lead byte becomes
U+FFFD and the ASCII word stays whole.
"""

from __future__ import annotations

import codecs
import re
import sys
from typing import Any

UTF8_CODEPAGE = 65001

# The start of an ASCII word: a byte a code-page decode must not swallow as a trail byte.
_WORD_START = re.compile(rb"(?<=[\x80-\xff])[A-Za-z0-9\\_][A-Za-z0-9\\_]")


def oem_codepage() -> int | None:
    """This Windows' OEM code page (what a new console starts with); None elsewhere."""
    if sys.platform != "win32":
        return None
    import ctypes  # only on Windows: windll does not exist elsewhere

    return int(ctypes.windll.kernel32.GetOEMCP()) or None  # type: ignore[attr-defined]


def console_codepage(io: Any) -> int | None:
    """The code page native programs print in: ``io.extra["console_codepage"]`` (tests, or a
    deployment that knows better), else the system's OEM code page."""
    given = getattr(io, "extra", {}).get("console_codepage")
    return int(given) if given else oem_codepage()


def _codec(codepage: int | None) -> str | None:
    if not codepage or codepage == UTF8_CODEPAGE:
        return None
    try:
        return codecs.lookup(f"cp{codepage}").name
    except LookupError:
        return None


def _joined_word_starts(data: bytes, codec: str) -> list[int]:
    """Offsets of ASCII word starts (the ``S`` of ``Status``) that decoding ``data`` with
    ``codec`` would join into the multibyte character before them as its trail byte."""
    decoder = codecs.getincrementaldecoder(codec)("replace")
    cuts: list[int] = []
    done = 0
    for match in _WORD_START.finditer(data):
        decoder.decode(data[done:match.start()])
        done = match.start()
        if decoder.getstate()[0]:  # a lead byte is waiting: this ASCII byte would be its trail
            cuts.append(done)
            decoder.reset()  # the lead byte is cut off here (it becomes U+FFFD)
    return cuts


def decode_console(data: bytes, codepage: int | None) -> str:
    """``data`` as text: UTF-8 when it is valid UTF-8 (a console switched to 65001), else
    the console ``codepage`` (cp936 ...). Never raises, and never loses an ASCII word: where
    a lead byte would swallow the first letter of one (a wrong code page, a cut-off
    character), that one character becomes U+FFFD and the word stays whole.

    Without a known code page, invalid UTF-8 bytes become U+FFFD (UTF-8 never takes an
    ASCII byte into a character, so ASCII stays whole there too).
    """
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    codec = _codec(codepage)
    if codec is None:
        return data.decode("utf-8", "replace")
    bounds = [0, *_joined_word_starts(data, codec), len(data)]
    return "".join(data[a:b].decode(codec, "replace") for a, b in zip(bounds, bounds[1:]))
