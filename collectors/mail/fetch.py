"""The steps in order: SMTP login (and the probe sent), each mailbox's login, the round trip."""

from __future__ import annotations

import smtplib
import time
import uuid
from collections.abc import Callable

from collectors.mail.connection import close_quietly
from collectors.mail.imap import ImapMailbox
from collectors.mail.model import Exchange, MailRaw
from collectors.mail.pop3 import Pop3Mailbox
from collectors.mail.round_trip import probe_message, wait_for_probe
from collectors.mail.smtp import smtp_login
from collectors.mail.step import NoAuth, Skipped, Step
from config.checks.mail import MailParams


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
        st = Step("smtp", server, timeout, password)
        try:
            smtp = smtp_login(params.smtp, user, password, timeout, st)
        except (OSError, smtplib.SMTPException, NoAuth) as exc:
            exchanges.append(st.finish(exc))
        else:
            exchanges.append(st.finish())
            if rt.enabled:
                send = Step("round_trip", server, rt.wait_s, password, phase="send")
                try:
                    smtp.send_message(probe_message(rt.sender or user, recipient, token),
                                      from_addr=rt.sender or user, to_addrs=[recipient])
                    sent_at = time.monotonic()
                except (OSError, smtplib.SMTPException) as exc:
                    exchanges.append(send.finish(exc))
                    round_trip_done = True
            close_quietly(smtp.quit)

    # The round trip reads the first mailbox listed: IMAP when configured, else POP3.
    mailboxes: list[ImapMailbox | Pop3Mailbox] = []
    if params.imap is not None:
        mailboxes.append(ImapMailbox(params.imap, user, password, timeout, rt.mailbox, writable=rt.enabled))
    if params.pop3 is not None:
        mailboxes.append(Pop3Mailbox(params.pop3, user, password, timeout))
    for box in mailboxes:
        server = f"{box.server.host}:{box.server.port_for(box.step)}"
        st = Step(box.step, server, timeout, password)
        try:
            box.open(st)
        except box.errors as exc:
            exchanges.append(st.finish(exc))
            continue
        exchanges.append(st.finish())
        if sent_at is not None and not round_trip_done:
            exchanges.append(wait_for_probe(box, token, server, rt.wait_s, rt.poll_s, sent_at, password, sleep))
            round_trip_done = True
        box.close()

    if rt.enabled and not round_trip_done:
        st = Step("round_trip", recipient, rt.wait_s, password, phase="send")
        exchanges.append(st.finish(Skipped("the login above failed")))
    return MailRaw(tuple(exchanges), user, recipient)
