"""The one ticket number people see and type: the ticket system's own (RT #8), never Patrol's row id.

Patrol's row id (``tickets.id``) and the backend's key drift apart after a crash or a lost
database (Patrol 7 = RT #8), so showing both, or accepting both, let `patrol tickets ack 7`
act on the wrong ticket. Only the backend's number is shown and accepted; a ticket whose
open call is still queued has no number yet and is named by its fingerprint prefix.

Pure functions: ``display`` for output, ``parse`` for what an engineer types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# How each backend's keys are written. A webhook's key is the fingerprint (the receiver's
# dedup key): the receiver's own incident number is not known to Patrol.
_PREFIX = {"rt": "RT #", "builtin": "#"}
FINGERPRINT_PREFIX_MIN = 6
_REF = re.compile(r"^\s*(?:(?P<backend>rt|builtin)\s*)?#?\s*(?P<key>\d+)\s*$", re.IGNORECASE)
_HEX = re.compile(r"^[0-9a-f]+$")


def display(backend: str, key: str | None, fingerprint: str = "") -> str | None:
    """``RT #8``, ``#8`` (builtin), ``webhook 1a2b3c4d5e6f``; None while the ticket is not in the backend yet."""
    if not key:
        return None
    if backend == "webhook":
        return f"webhook {key[:12]}"
    return f"{_PREFIX.get(backend, backend + ' ')}{key}"


def label(backend: str, key: str | None, fingerprint: str) -> str:
    """What logs and messages call a ticket: its number, or ``queued <fp prefix>`` before it has one."""
    return display(backend, key, fingerprint) or f"queued {fingerprint[:12]}"


@dataclass(frozen=True, slots=True)
class Ref:
    """What an engineer typed, read: a backend number (maybe naming the backend) and/or a fingerprint prefix."""

    key: str | None  # "8" for "RT #8", "#8" or "8"
    backend: str | None  # "rt" / "builtin" when the text named it
    fingerprint_prefix: str | None  # hex of at least FINGERPRINT_PREFIX_MIN characters


def parse(text: str) -> Ref:
    """Read a ticket reference; ``ValueError`` when it can be neither a number nor a fingerprint prefix."""
    match = _REF.match(text)
    lowered = text.strip().lower()
    hex_prefix = lowered if len(lowered) >= FINGERPRINT_PREFIX_MIN and _HEX.match(lowered) else None
    if match:
        backend = match.group("backend")
        # "RT #8" and "#8" are unmistakably numbers; bare digits may also begin a fingerprint.
        explicit = backend is not None or "#" in text
        return Ref(match.group("key"), backend.lower() if backend else None, None if explicit else hex_prefix)
    if hex_prefix:
        return Ref(None, None, hex_prefix)
    raise ValueError(f"{text!r} is not a ticket number (RT #8, #8 or 8) nor a fingerprint prefix "
                     f"({FINGERPRINT_PREFIX_MIN}+ hex characters)")
