"""Mail can be sent and received (checklist item 2): SMTP submission login, IMAP and/or
POP3 login, and an optional round trip (a marked probe message sent over SMTP, found in
the mailbox within N seconds, then deleted).

fetch talks to the servers (smtplib/imaplib/poplib, each socket with ``connect_timeout_s``) and
records what happened as ``Exchange`` rows: the step, how far it got (``phase``), the
exception type and the server's reply. parse classifies each row into an ``Outcome`` with
a message an engineer understands; evaluate maps outcomes to states. A server that
accepts the connection and says nothing ends in a socket timeout: UNKNOWN, not a hang.

The password is resolved at the last moment, handed only to the login call, and scrubbed
from any text the servers or libraries return before it is stored in an Exchange.
"""

from __future__ import annotations

import imaplib
import logging
import poplib
import smtplib
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, ClassVar

from collectors.base import CheckResult, CollectorIO, FetchError, Metric, ParseError, State
from config.checks.mail import MailParams, MailServer
from config.secrets import SecretUnavailable
from inventory.models import Host, Inventory

log = logging.getLogger(__name__)

# The header that marks a probe message; its value is a fresh token per run.
PROBE_HEADER = "X-Patrol-Probe"


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


# ---------------------------------------------------------------- parse (pure)

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

_STATE_BY_KIND: dict[str, State] = {
    "ok": State.OK,
    "auth_failed": State.CRIT,
    "no_auth": State.CRIT,
    "no_starttls": State.CRIT,
    "unreachable": State.CRIT,
    "tls": State.CRIT,
    "rejected": State.CRIT,
    "not_delivered": State.CRIT,
    # No answer, or an answer we cannot read: we do not know whether mail works.
    "timeout": State.UNKNOWN,
    "protocol": State.UNKNOWN,
    "skipped": State.UNKNOWN,
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


# ---------------------------------------------------------------- evaluate (pure)

_CHECK_BY_STEP = {"smtp": "mail.submission", "imap": "mail.imap", "pop3": "mail.pop3", "round_trip": "mail.round_trip"}
_METRIC_BY_STEP = {"smtp": "login_seconds", "imap": "login_seconds", "pop3": "login_seconds",
                   "round_trip": "round_trip_seconds"}


def evaluate(model: MailModel, params: MailParams, target: Host, now: datetime) -> Iterable[CheckResult]:
    for outcome in model.outcomes:
        state = _STATE_BY_KIND[outcome.kind]
        summary = outcome.message
        warn_s = params.round_trip.warn_s
        if outcome.step == "round_trip" and outcome.kind == "ok" and warn_s is not None and outcome.elapsed_s > warn_s:
            state = State.WARN
            summary += f" (slower than {warn_s:g} s)"
        metrics = (Metric(_METRIC_BY_STEP[outcome.step], round(outcome.elapsed_s, 3), "seconds"),) if outcome.kind == "ok" else ()
        # The item names the server (or the probe's mailbox), never a changing value.
        item = model.recipient if outcome.step == "round_trip" else outcome.server
        yield CheckResult(_CHECK_BY_STEP[outcome.step], target.name, item, state, summary, metrics=metrics, observed_at=now)


# ---------------------------------------------------------------- fetch (I/O)

class NoAuth(Exception):
    pass


class NotDelivered(Exception):
    pass


class Skipped(Exception):
    pass


@dataclass
class _Step:
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


def _tls_context(server: MailServer) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(server.ca_file) if server.ca_file else None)
    if not server.verify_tls:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _smtp_login(server: MailServer, user: str, password: str, timeout: float, st: _Step) -> smtplib.SMTP:
    port = server.port_for("smtp")
    st.phase = "greeting"  # the constructor connects and reads the 220 greeting
    if server.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(server.host, port, timeout=timeout, context=_tls_context(server))
    else:
        client = smtplib.SMTP(server.host, port, timeout=timeout)
    try:
        st.phase = "ehlo"
        client.ehlo()
        if server.security == "starttls":
            st.phase = "tls"
            client.starttls(context=_tls_context(server))
            client.ehlo()
        st.phase = "login"
        if not client.has_extn("auth"):
            raise NoAuth("no AUTH in the EHLO reply" + (" (before STARTTLS?)" if server.security == "plain" else ""))
        client.login(user, password)
        return client
    except BaseException:
        _close_quietly(client.close)
        raise


def _close_quietly(close: Callable[[], Any]) -> None:
    try:
        close()
    except (OSError, smtplib.SMTPException, imaplib.IMAP4.error, poplib.error_proto):
        pass  # the connection is already broken; its result has been recorded


def _probe_message(sender: str, recipient: str, token: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = f"Patrol mail probe {token}"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid("patrol-probe")
    msg[PROBE_HEADER] = token
    msg.set_content("Automatic test message from the Patrol inspection agent. It deletes this message itself.\n")
    return msg


class _ImapMailbox:
    """IMAP: one session; the probe is found with SEARCH HEADER and removed with EXPUNGE."""

    step = "imap"
    errors: tuple[type[BaseException], ...] = (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort)

    def __init__(self, server: MailServer, user: str, password: str, timeout: float, mailbox: str, writable: bool):
        self.server, self.user, self.password, self.timeout = server, user, password, timeout
        self.mailbox, self.writable = mailbox, writable
        self.client: imaplib.IMAP4 | None = None

    def open(self, st: _Step) -> None:
        server, port = self.server, self.server.port_for("imap")
        st.phase = "greeting"
        if server.security == "tls":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(server.host, port, ssl_context=_tls_context(server),
                                                      timeout=self.timeout)
        else:
            client = imaplib.IMAP4(server.host, port, timeout=self.timeout)
        try:
            if server.security == "starttls":
                st.phase = "tls"
                client.starttls(ssl_context=_tls_context(server))
            st.phase = "login"
            client.login(self.user, self.password)
            st.phase = "select"
            typ, data = client.select(self.mailbox, readonly=not self.writable)
            if typ != "OK":
                raise imaplib.IMAP4.error(f"SELECT {self.mailbox} answered {typ}: {data!r}")
        except BaseException:
            _close_quietly(client.shutdown)
            raise
        self.client = client

    def find_and_delete(self, token: str) -> bool:
        assert self.client is not None
        self.client.noop()  # lets the server report messages delivered since the last command
        typ, data = self.client.uid("SEARCH", None, "HEADER", PROBE_HEADER, token)
        if typ != "OK":
            raise imaplib.IMAP4.error(f"SEARCH answered {typ}")
        uids = [uid for chunk in data if chunk for uid in chunk.split()]
        if not uids:
            return False
        try:
            # Probes of earlier runs that arrived after their run gave up would pile up:
            # remove those older than a day too (younger ones may belong to a run in progress).
            cutoff = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%d-%b-%Y")
            typ, stale = self.client.uid("SEARCH", None, "HEADER", PROBE_HEADER, '""', "BEFORE", cutoff)
            if typ == "OK":
                uids += [uid for chunk in stale if chunk for uid in chunk.split()]
            self.client.uid("STORE", b",".join(uids).decode(), "+FLAGS.SILENT", r"(\Deleted)")
            self.client.expunge()
        except self.errors as exc:  # the probe arrived; failing to delete it does not undo that
            log.warning("mail: the probe message arrived but could not be deleted: %s", type(exc).__name__)
        return True

    def close(self) -> None:
        if self.client is not None:
            _close_quietly(self.client.logout)


class _Pop3Mailbox:
    """POP3: a maildrop is a snapshot per session, so every look is a fresh login; the probe
    is recognised from the headers of the newest messages (TOP n 0) and removed with DELE."""

    step = "pop3"
    errors: tuple[type[BaseException], ...] = (OSError, poplib.error_proto)
    NEWEST = 50  # messages looked at per poll: the probe is among the newest

    def __init__(self, server: MailServer, user: str, password: str, timeout: float):
        self.server, self.user, self.password, self.timeout = server, user, password, timeout

    def _session(self, st: _Step | None = None) -> poplib.POP3:
        st = st or _Step("pop3", "", self.timeout, self.password)
        server, port = self.server, self.server.port_for("pop3")
        st.phase = "greeting"
        if server.security == "tls":
            client: poplib.POP3 = poplib.POP3_SSL(server.host, port, context=_tls_context(server), timeout=self.timeout)
        else:
            client = poplib.POP3(server.host, port, timeout=self.timeout)
        try:
            if server.security == "starttls":
                st.phase = "tls"
                client.stls(context=_tls_context(server))
            st.phase = "login"
            client.user(self.user)
            client.pass_(self.password)
            st.phase = "stat"
            client.stat()
        except BaseException:
            _close_quietly(client.close)
            raise
        return client

    def open(self, st: _Step) -> None:
        _close_quietly(self._session(st).quit)

    def find_and_delete(self, token: str) -> bool:
        client = self._session()
        try:
            count, _ = client.stat()
            for number in range(count, max(0, count - self.NEWEST), -1):
                _, lines, _ = client.top(number, 0)
                if any(line.startswith(PROBE_HEADER.encode() + b":") and token.encode() in line for line in lines):
                    client.dele(number)
                    return True
            return False
        finally:
            _close_quietly(client.quit)  # QUIT commits the DELE

    def close(self) -> None:
        pass  # no session is kept between looks


def fetch_mail(params: MailParams, password: str, *, sleep: Callable[[float], None] = time.sleep) -> MailRaw:
    account = params.account
    assert account is not None  # the params validator guarantees it when a server is set
    user, timeout = account.username, params.connect_timeout_s
    rt = params.round_trip
    recipient = rt.recipient or user
    token = uuid.uuid4().hex
    exchanges: list[Exchange] = []
    sent_at: float | None = None
    round_trip_done = False

    if params.smtp is not None:
        server = f"{params.smtp.host}:{params.smtp.port_for('smtp')}"
        st = _Step("smtp", server, timeout, password)
        try:
            smtp = _smtp_login(params.smtp, user, password, timeout, st)
        except (OSError, smtplib.SMTPException, NoAuth) as exc:
            exchanges.append(st.finish(exc))
        else:
            exchanges.append(st.finish())
            if rt.enabled:
                send = _Step("round_trip", server, rt.wait_s, password, phase="send")
                try:
                    smtp.send_message(_probe_message(rt.sender or user, recipient, token),
                                      from_addr=rt.sender or user, to_addrs=[recipient])
                    sent_at = time.monotonic()
                except (OSError, smtplib.SMTPException) as exc:
                    exchanges.append(send.finish(exc))
                    round_trip_done = True
            _close_quietly(smtp.quit)

    # The round trip reads the first mailbox listed: IMAP when configured, else POP3.
    mailboxes: list[_ImapMailbox | _Pop3Mailbox] = []
    if params.imap is not None:
        mailboxes.append(_ImapMailbox(params.imap, user, password, timeout, rt.mailbox, writable=rt.enabled))
    if params.pop3 is not None:
        mailboxes.append(_Pop3Mailbox(params.pop3, user, password, timeout))
    for box in mailboxes:
        server = f"{box.server.host}:{box.server.port_for(box.step)}"
        st = _Step(box.step, server, timeout, password)
        try:
            box.open(st)
        except box.errors as exc:
            exchanges.append(st.finish(exc))
            continue
        exchanges.append(st.finish())
        if sent_at is not None and not round_trip_done:
            exchanges.append(_wait_for_probe(box, token, server, rt.wait_s, rt.poll_s, sent_at, password, sleep))
            round_trip_done = True
        box.close()

    if rt.enabled and not round_trip_done:
        st = _Step("round_trip", recipient, rt.wait_s, password, phase="send")
        exchanges.append(st.finish(Skipped("the login above failed")))
    return MailRaw(tuple(exchanges), user, recipient)


def _wait_for_probe(box: _ImapMailbox | _Pop3Mailbox, token: str, server: str, wait_s: float, poll_s: float,
                    sent_at: float, password: str, sleep: Callable[[float], None]) -> Exchange:
    st = _Step("round_trip", server, wait_s, password, phase="wait")
    st.started = sent_at
    try:
        while True:
            if box.find_and_delete(token):
                return st.finish()
            if time.monotonic() - sent_at >= wait_s:
                raise NotDelivered(f"no message with {PROBE_HEADER}: {token}")
            sleep(min(poll_s, max(0.0, wait_s - (time.monotonic() - sent_at))))
    except (*box.errors, NotDelivered) as exc:
        return st.finish(exc)


class MailCollector:
    name: ClassVar[str] = "mail"
    params_model: ClassVar[type[MailParams]] = MailParams

    def targets(self, params: MailParams, inventory: Inventory) -> Sequence[Host]:
        # An endpoint check of this computer's mail path; nothing to do until configured.
        return [inventory.local] if params.configured else []

    def fetch(self, target: Host, params: MailParams, io: CollectorIO) -> MailRaw:
        if params.account is None:
            raise FetchError("mail: no account configured")
        if io.resolve_secret is None:
            raise FetchError("mail: no secret resolver available to read the account's password")
        try:
            password = io.resolve_secret(params.account.password)
        except SecretUnavailable as exc:
            raise FetchError(f"mail: {exc}") from None
        raw = fetch_mail(params, password)
        log.debug("mail: %d exchanges with %s", len(raw.exchanges), ", ".join(sorted({e.server for e in raw.exchanges})))
        return raw

    def parse(self, raw: MailRaw) -> MailModel:
        return parse(raw)

    def evaluate(self, model: MailModel, params: MailParams, target: Host, now: datetime) -> Iterable[CheckResult]:
        return evaluate(model, params, target, now)
