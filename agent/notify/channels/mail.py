"""Mail over SMTP (none / STARTTLS / implicit TLS, optional AUTH): HTML and plain-text parts.

The password is a secret reference resolved at each send and never put in an error.
SMTP 4xx replies and network errors are retried; 5xx (a refused login, a refused sender)
are rejections, retried with backoff too so a fixed config lets them through.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from agent.notify import message
from agent.notify.channels.base import ChannelRejected, ChannelUnavailable
from agent.notify.message import Notice
from config.secrets import SecretRef, SecretUnavailable


class MailChannel:
    kind = "mail"

    def __init__(self, name: str, settings: Any, resolve: Callable[[SecretRef], str], language: str, zone: ZoneInfo):
        self.name, self.settings, self.resolve = name, settings, resolve
        self.language, self.zone = language, zone
        self.rate_per_minute = settings.rate_per_minute

    def build(self, notice: Notice) -> EmailMessage:
        s = self.settings
        recipients = list(dict.fromkeys([*s.to, *(m.mail for m in notice.mentions if m.mail)]))
        msg = EmailMessage()
        msg["From"] = s.sender
        msg["To"] = ", ".join(recipients)
        msg["Subject"] = message.subject(notice, self.language)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="patrol.invalid")
        msg.set_content(message.text_body(notice, self.language, self.zone))
        msg.add_alternative(message.html_body(notice, self.language, self.zone), subtype="html")
        return msg

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def send(self, notice: Notice) -> None:
        s = self.settings
        what = f"mail channel {self.name} ({s.host}:{s.port})"
        msg = self.build(notice)
        if not msg["To"]:
            raise ChannelRejected(f"{what}: nobody to send to (set 'to' or people's mail)")
        try:
            password = self.resolve(s.password) if s.password is not None else ""
        except SecretUnavailable as exc:
            raise ChannelRejected(f"{what}: {exc}") from None
        try:
            if s.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=self._context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
            with client:
                if s.security == "starttls":
                    client.starttls(context=self._context())
                if s.username:
                    client.login(s.username, password)
                client.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelRejected(f"{what}: login as {s.username} refused ({exc.smtp_code})") from None
        except smtplib.SMTPResponseException as exc:
            text = f"{what}: {exc.smtp_code} {exc.smtp_error[:200].decode('utf-8', 'replace')}"
            raise (ChannelUnavailable(text) if 400 <= exc.smtp_code < 500 else ChannelRejected(text)) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelRejected(f"{what}: recipients refused: {', '.join(exc.recipients)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ChannelRejected(f"{what}: {exc}") from None
        except smtplib.SMTPException as exc:
            raise ChannelUnavailable(f"{what}: {type(exc).__name__}: {exc}") from None
        except ssl.SSLError as exc:
            raise ChannelRejected(f"{what}: TLS: {exc.reason or exc}") from None
        except OSError as exc:
            raise ChannelUnavailable(f"{what}: cannot reach the server: {exc.strerror or exc}") from None
