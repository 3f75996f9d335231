"""What the SMTP, IMAP and POP3 clients share: the TLS context from the settings, and closing quietly."""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import ssl
from collections.abc import Callable
from typing import Any

from config.checks.mail import MailServer


def tls_context(server: MailServer) -> ssl.SSLContext:
    """The system's trust store, or the configured ``ca_file``; ``verify_tls: false`` checks nothing."""
    ctx = ssl.create_default_context(cafile=str(server.ca_file) if server.ca_file else None)
    if not server.verify_tls:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def close_quietly(close: Callable[[], Any]) -> None:
    try:
        close()
    except (OSError, smtplib.SMTPException, imaplib.IMAP4.error, poplib.error_proto):
        pass  # the connection is already broken; its result has been recorded
