"""The mail family's data: what fetch records (``Exchange`` rows) and what parse makes of them (frozen)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Exchange:
    """What happened in one step, as fetched (no interpretation yet).

    ``phase`` is the last thing attempted: connect, greeting, ehlo, tls, login, select
    (IMAP), stat (POP3), send, wait or done. ``error_type`` is the exception class name
    (None on success), ``reply`` the server's reply or the exception text, already
    scrubbed of the password.
    """

    step: str  # "smtp" | "imap" | "pop3" | "round_trip"
    server: str  # "host:port"
    phase: str
    error_type: str | None = None
    reply_code: int | None = None
    reply: str = ""
    elapsed_s: float = 0.0
    timeout_s: float = 0.0


@dataclass(frozen=True, slots=True)
class MailRaw:
    exchanges: tuple[Exchange, ...]
    username: str = ""
    recipient: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One step, classified: ``kind`` is ok, auth_failed, no_auth, no_starttls, timeout,
    unreachable, tls, rejected, not_delivered, skipped or protocol."""

    step: str
    server: str
    kind: str
    message: str
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class MailModel:
    outcomes: tuple[Outcome, ...]
    username: str
    recipient: str
