"""Mail finished reports as attachments over SMTP (settings ``reports.mail``).

The password is a secret reference resolved at send time; it is never logged, and
errors are re-raised as ``MailError`` carrying only the server's reply, so neither a log
line nor the audit trail can contain it.
"""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

from config.reports import ReportMailSettings
from config.secrets import SecretUnavailable


class MailError(RuntimeError):
    pass


def build_message(settings: ReportMailSettings, subject: str, files: Sequence[Path]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.to)
    msg["Subject"] = subject
    names = "\n".join(f"- {p.name}" for p in files)
    msg.set_content(f"Patrol wrote these reports; they are attached.\nPatrol 已生成以下报告，见附件。\n\n{names}\n")
    for path in files:
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".md":
            ctype = "text/markdown"
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def send_report(settings: ReportMailSettings, subject: str, files: Sequence[Path]) -> None:
    msg = build_message(settings, subject, files)
    try:
        password = settings.password.resolve() if settings.password is not None else None
    except SecretUnavailable as exc:
        raise MailError(str(exc)) from None
    context = ssl.create_default_context()
    try:
        if settings.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_s,
                                                    context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
        with client:
            if settings.security == "starttls":
                client.starttls(context=context)
            if settings.username:
                client.login(settings.username, password or "")
            client.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"SMTP login as {settings.username} refused by {settings.host}:{settings.port} "
                        f"({exc.smtp_code})") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"SMTP {settings.host}:{settings.port}: {type(exc).__name__}: "
                        f"{getattr(exc, 'smtp_error', b'') or exc}") from None
    except OSError as exc:
        raise MailError(f"cannot reach SMTP server {settings.host}:{settings.port}: {exc.strerror or exc}") from None
