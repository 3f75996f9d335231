"""Each fetched exchange classified into an outcome with a message an engineer understands (pure)."""

from __future__ import annotations

from collectors.base import ParseError
from collectors.mail.model import Exchange, MailModel, MailRaw, Outcome

# Exception class -> kind. Exceptions not listed are "protocol" (a reply we did not expect).
_KIND_BY_ERROR: dict[str, str] = {
    "TimeoutError": "timeout",  # socket.timeout is TimeoutError since Python 3.10
    "ConnectionRefusedError": "unreachable",
    "ConnectionResetError": "unreachable",
    "gaierror": "unreachable",
    "OSError": "unreachable",
    "SSLCertVerificationError": "tls",
    "SSLError": "tls",
    "SMTPAuthenticationError": "auth_failed",
    "SMTPNotSupportedError": "no_auth",
    "NoAuth": "no_auth",  # our own: the server offers no AUTH mechanism
    "SMTPRecipientsRefused": "rejected",
    "SMTPSenderRefused": "rejected",
    "SMTPDataError": "rejected",
    "NotDelivered": "not_delivered",  # our own: the probe did not show up in time
    "Skipped": "skipped",  # our own: an earlier step failed
}

_STEP_LABEL = {"smtp": "SMTP submission", "imap": "IMAP", "pop3": "POP3", "round_trip": "round trip"}


def _clean_reply(text: str) -> str:
    """One line; imaplib puts the server's bytes repr in its errors: "b'[AUTH...] failed.'"."""
    text = " ".join(text.split())
    if text.startswith(("b'", 'b"')) and text.endswith(text[1]):
        text = text[2:-1]
    return text[:200]


def classify(ex: Exchange, username: str) -> Outcome:
    label = f"{_STEP_LABEL.get(ex.step, ex.step)} {ex.server}"
    reply = _clean_reply(ex.reply)
    if ex.error_type is None:
        return Outcome(ex.step, ex.server, "ok", f"{label}: ok in {ex.elapsed_s:.2f} s", ex.elapsed_s)
    kind = _KIND_BY_ERROR.get(ex.error_type, "protocol")
    # imaplib and poplib raise one generic error each (IMAP4.error, error_proto): during
    # login it means the login was refused, during STARTTLS that the server has none.
    if ex.error_type in ("error", "error_proto") and ex.phase == "login":
        kind = "auth_failed"
    if ex.error_type in ("SMTPNotSupportedError", "error", "error_proto") and ex.phase == "tls":
        kind = "no_starttls"
    code = f"{ex.reply_code} " if ex.reply_code else ""
    messages = {
        "timeout": f"{label}: no answer within {ex.timeout_s:g} s while waiting for the {ex.phase} reply",
        "unreachable": f"{label}: cannot connect ({reply or ex.error_type})",
        "tls": (f"{label}: the server certificate is not trusted ({reply}); set ca_file to the issuing CA"
                if ex.error_type == "SSLCertVerificationError"
                else f"{label}: TLS failed during {ex.phase} ({reply or ex.error_type})"),
        "auth_failed": f"{label}: login refused for {username} (wrong password, locked or disabled account): {code}{reply}".rstrip(": "),
        "no_auth": f"{label}: the server offers no login (AUTH) on this connection{'; ' + reply if reply else ''}",
        "no_starttls": f"{label}: the server does not offer STARTTLS ({reply}); the password would cross the "
                       "network in clear text, so no login was tried",
        "rejected": f"{label}: the server refused the probe message: {code}{reply}".rstrip(": "),
        "not_delivered": f"{label}: the probe message did not arrive within {ex.timeout_s:g} s",
        "skipped": f"{label}: not attempted ({reply})",
        "protocol": f"{label}: unexpected reply during {ex.phase}: {ex.error_type}: {code}{reply}".rstrip(": "),
    }
    return Outcome(ex.step, ex.server, kind, messages[kind], ex.elapsed_s)


def parse(raw: MailRaw) -> MailModel:
    if not isinstance(raw, MailRaw):
        raise ParseError(f"mail: expected fetched exchanges, got {type(raw).__name__}")
    return MailModel(tuple(classify(ex, raw.username) for ex in raw.exchanges), raw.username, raw.recipient)
