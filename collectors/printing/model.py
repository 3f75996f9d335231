"""The normalized view of a computer's print system, the same for CUPS and the Windows spooler.

Queue problems are IPP ``printer-state-reasons`` keywords (RFC 8011 section 5.4.12) on
both platforms: the Windows source translates its PRINTER_STATUS_* flags into them, so
one table (collectors/printing/reasons.py) decides how bad each one is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

QueueState = Literal["idle", "processing", "stopped", "unknown"]
JobState = Literal["pending", "held", "processing", "stopped"]


@dataclass(frozen=True, slots=True)
class PrintQueue:
    name: str
    state: QueueState
    accepting: bool
    reasons: tuple[str, ...] = ()  # keywords; IPP's "none" is dropped
    message: str = ""  # the spooler's own words (printer-state-message), when it gives any
    device: str = ""  # device URI or port, with any user:password part removed


@dataclass(frozen=True, slots=True)
class PrintJob:
    queue: str
    job_id: int
    state: JobState
    created_at: datetime | None  # None when the source does not say
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PrintSystem:
    """``spooler_running`` is None when the computer has no print system at all."""

    source: str  # "CUPS at 127.0.0.1:631", "Windows print spooler"
    spooler_running: bool | None
    spooler_detail: str = ""
    queues: tuple[PrintQueue, ...] = ()
    jobs: tuple[PrintJob, ...] = ()
