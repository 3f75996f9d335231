"""Settings of the mail family: Mail send and receive (item 2).

Nothing is configured by default, so the family yields no targets until ``smtp``,
``imap`` or ``pop3`` is set. The account's password is a secret reference (env:/file:), never text.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.checks.base import CheckParams, Strict
from config.secrets import Secret

Security = Literal["starttls", "tls", "plain"]

# The port each protocol uses by default for each kind of transport security.
DEFAULT_PORTS: dict[str, dict[str, int]] = {
    "smtp": {"starttls": 587, "tls": 465, "plain": 25},
    "imap": {"starttls": 143, "tls": 993, "plain": 143},
    "pop3": {"starttls": 110, "tls": 995, "plain": 110},
}


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MailServer(Strict):
    """One server the check logs in to."""

    host: Annotated[str, Field(min_length=1, description="server name or address, as the mail client has it")]
    port: Annotated[int | None, Field(gt=0, lt=65536,
                                      description="TCP port; default 587/465 for SMTP and 143/993 for IMAP by security")] = None
    security: Annotated[Security, Field(
        description="starttls (upgrade after connect), tls (implicit TLS from the first byte) or "
                    "plain (no TLS: allowed only to a loopback address, e.g. a local relay)")] = "starttls"
    verify_tls: Annotated[bool, Field(description="check the server certificate and host name")] = True
    ca_file: Annotated[Path | None, Field(description="PEM file of CAs to trust instead of the system store")] = None

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> "MailServer":
        if self.security == "plain" and not is_loopback(self.host):
            raise ValueError(f"security 'plain' would send the password in clear text to {self.host}; "
                             "it is allowed only for a loopback address (127.0.0.1, ::1, localhost)")
        return self

    def port_for(self, protocol: str) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[protocol][self.security]


class MailAccount(Strict):
    """The test mailbox's login, used for submission and for IMAP."""

    username: Annotated[str, Field(min_length=1, description="login name, often the full address")]
    password: Annotated[Secret, Field(description="secret reference: env:NAME or file:/path")]


class RoundTrip(Strict):
    """Send a marked message to the test mailbox and wait for it over IMAP."""

    enabled: Annotated[bool, Field(description="send a probe message and look for it in the mailbox")] = False
    sender: Annotated[str | None, Field(description="envelope and From address; default the account's username")] = None
    recipient: Annotated[str | None, Field(description="where the probe goes; default the account's username "
                                                        "(it must land in the IMAP account's mailbox)")] = None
    mailbox: Annotated[str, Field(min_length=1, description="IMAP folder to search (POP3 reads the inbox)")] = "INBOX"
    wait_s: Annotated[float, Field(gt=0, description="the probe must arrive within this many seconds (CRIT otherwise)")] = 60
    warn_s: Annotated[float | None, Field(gt=0, description="WARN when the probe took longer than this (off when unset)")] = None
    poll_s: Annotated[float, Field(gt=0, description="seconds between IMAP searches while waiting")] = 1


class MailParams(CheckParams):
    """Settings under ``checks.mail``."""

    account: Annotated[MailAccount | None, Field(description="the test mailbox's credentials")] = None
    smtp: Annotated[MailServer | None, Field(description="SMTP submission server; unset = not checked")] = None
    imap: Annotated[MailServer | None, Field(description="IMAP server; unset = not checked")] = None
    pop3: Annotated[MailServer | None, Field(description="POP3 server; unset = not checked (the round trip "
                                                         "reads over IMAP when both are set)")] = None
    round_trip: RoundTrip = RoundTrip()
    connect_timeout_s: Annotated[float, Field(gt=0, description="per connection and per server reply; "
                                                                "a server that says nothing is UNKNOWN after this")] = 10
    timeout_s: Annotated[float, Field(gt=0, description="the whole check may take this long "
                                                        "(keep it above round_trip.wait_s + 2 x connect_timeout_s)")] = 120

    @field_validator("round_trip")
    @classmethod
    def _sane_wait(cls, value: RoundTrip) -> RoundTrip:
        if value.warn_s is not None and value.warn_s >= value.wait_s:
            raise ValueError("round_trip.warn_s must be below round_trip.wait_s")
        return value

    @model_validator(mode="after")
    def _complete(self) -> "MailParams":
        if self.configured and self.account is None:
            raise ValueError("mail: 'account' (username and password reference) is needed to log in")
        if self.round_trip.enabled and (self.smtp is None or (self.imap is None and self.pop3 is None)):
            raise ValueError("mail.round_trip needs 'smtp' and one of 'imap' or 'pop3'")
        if self.round_trip.enabled and self.timeout_s <= self.round_trip.wait_s + 2 * self.connect_timeout_s:
            raise ValueError(f"mail.timeout_s ({self.timeout_s:g}) must exceed round_trip.wait_s + 2 x connect_timeout_s "
                             f"({self.round_trip.wait_s + 2 * self.connect_timeout_s:g}), or the whole check is cut off "
                             "before the probe can be reported missing")
        return self

    @property
    def configured(self) -> bool:
        return self.smtp is not None or self.imap is not None or self.pop3 is not None
