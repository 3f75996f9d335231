"""How far one step got: ``Step`` records the phase and turns the step's end (or exception)
into an ``Exchange``, scrubbed of the password; and the markers for our own failure kinds."""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from dataclasses import dataclass

from collectors.mail.model import Exchange


class NoAuth(Exception):
    """The server offers no AUTH mechanism on this connection."""


class NotDelivered(Exception):
    """The probe message did not show up in the mailbox in time."""


class Skipped(Exception):
    """A step not attempted because an earlier one failed."""


@dataclass
class Step:
    """Records how far one step got; ``finish`` turns it into an Exchange."""

    step: str
    server: str
    timeout_s: float
    secret: str
    phase: str = "connect"
    started: float = 0.0

    def __post_init__(self) -> None:
        self.started = time.monotonic()

    def scrub(self, text: str) -> str:
        # Defence in depth: no server should echo the password, but a text kept here ends
        # up in results and reports.
        return text.replace(self.secret, "***") if self.secret else text

    def finish(self, exc: BaseException | None = None, reply: str = "", *, timeout_s: float | None = None) -> Exchange:
        elapsed = time.monotonic() - self.started
        if exc is None:
            return Exchange(self.step, self.server, "done", None, None, self.scrub(reply), elapsed, timeout_s or self.timeout_s)
        code = getattr(exc, "smtp_code", None)
        text = getattr(exc, "smtp_error", None)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
            code, raw_text = next(iter(exc.recipients.values()))
            text = raw_text.decode("utf-8", "replace") if isinstance(raw_text, bytes) else str(raw_text)
        if isinstance(exc, ssl.SSLCertVerificationError):
            text = exc.verify_message or str(exc)
        if text is None:
            text = str(exc)
        name = type(exc).__name__
        # smtplib turns a read timeout into SMTPServerDisconnected("... closed: timed out"),
        # keeping the socket timeout as the exception's context.
        if isinstance(exc, socket.timeout) or isinstance(exc.__context__, socket.timeout):
            name = "TimeoutError"
        return Exchange(self.step, self.server, self.phase, name, code, self.scrub(str(text)), elapsed,
                        timeout_s or self.timeout_s)
