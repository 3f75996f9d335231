"""Device and user text is data: make it inert for the terminal, Markdown, CSS and paths.

A switch port named ``[/x] Gi0/2`` is rich markup, an ifAlias with ``ESC]0;…`` retitles
the engineer's terminal, ``<img src=…>`` in a printer's status loads a remote image when
summary.md is previewed, and a site named ``../../etc`` is a path. Each function here
takes any text and returns it safe for one destination; none of them raises.
"""

from __future__ import annotations

import re
import unicodedata

# ANSI/VT sequences (CSI ... final byte, OSC ... BEL/ST, and two-byte ESC x) first, so
# their parameters are dropped with them; then any other C0/C1 control or DEL.
_ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain_text(value: object) -> str:
    """``value`` as one line of text without escape sequences or control characters
    (newlines and tabs become spaces)."""
    text = _ESCAPE_SEQUENCE.sub("", str(value))
    return _CONTROL.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)


def terminal_text(value: object):  # -> rich.text.Text
    """A rich ``Text`` that prints ``value`` literally: no markup, no control characters."""
    from rich.text import Text

    return Text(plain_text(value))


def markup_escape(value: object) -> str:
    """``value`` for interpolation into a rich markup string."""
    from rich.markup import escape

    return escape(plain_text(value))


# Characters with a meaning in a Markdown table cell or inline text. `<`, `>` and `&`
# become entities (raw HTML is allowed in Markdown: `<script>` or `<img>` would render).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#!~])")


def markdown_inline(value: object) -> str:
    """``value`` as inert inline Markdown (also safe inside a table cell)."""
    text = plain_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def css_string(value: object) -> str:
    """``value`` as the inside of a double-quoted CSS string: everything but letters,
    digits and spaces as a hex escape, so no quote, newline, brace or ``</style>`` survives."""
    return "".join(c if (c.isalnum() and c.isascii()) or c == " " else f"\\{ord(c):06x}" for c in plain_text(value))


_UNSAFE_PATH_CHARS = re.compile(r"[^\w.-]+", re.UNICODE)
SLUG_MAX = 64


def path_slug(value: object, fallback: str = "site") -> str:
    """``value`` as one safe path component: letters (any script), digits, '.', '_' and
    '-'; runs of anything else become '-'; never empty, '.', '..' or hidden.

    ``ACME/Shanghai`` -> ``ACME-Shanghai``; ``../../x`` -> ``x``; ``上海 总部`` -> ``上海-总部``.
    """
    text = unicodedata.normalize("NFC", plain_text(value))
    slug = _UNSAFE_PATH_CHARS.sub("-", text).strip("-.")
    slug = re.sub(r"-{2,}", "-", slug)[:SLUG_MAX].strip("-.")
    return slug or fallback


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (CSV injection: a cell starting
    with =, +, -, @, tab or CR gets a leading apostrophe, which Excel and LibreOffice show)."""
    return "'" + value if value[:1] in _FORMULA_START else value
