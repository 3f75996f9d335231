"""ClamAV database files for tests: real 512-byte headers with a chosen build time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

def cvd_header(built: datetime, version: int = 27462, sigs: int = 2071334) -> bytes:
    """A 512-byte header as sigtool writes it: build time as '%d %b %Y %H-%M %z', stime as unix seconds."""
    text = (f"ClamAV-VDB:{built:%d %b %Y %H-%M %z}:{version}:{sigs}:90:"
            f"0c3d5b1a52e6dbc0fe5e20e5ba3c9a5e:AbCdEf0123456789+/=:raynman:{int(built.timestamp())}")
    return text.encode().ljust(512, b" ")


def write_db(folder: Path, **ages_days: float) -> Path:
    """Databases named like ClamAV's (daily -> .cld, others -> .cvd) built ``age`` days ago."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    for name, age in ages_days.items():
        suffix = ".cld" if name == "daily" else ".cvd"
        # Headers only: the parser reads 512 bytes; the payload does not matter to it.
        (folder / f"{name}{suffix}").write_bytes(cvd_header(now - timedelta(days=age)) + b"\x1f\x8b payload")
    return folder
