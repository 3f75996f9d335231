"""The round trip: a marked probe message, and waiting until it shows up in a mailbox (then deleted)."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from collectors.mail.model import Exchange
from collectors.mail.step import NotDelivered, Step

# The header that marks a probe message; its value is a fresh token per run.
PROBE_HEADER = "X-Patrol-Probe"


class Mailbox(Protocol):
    """What the round trip needs of a mailbox (IMAP or POP3)."""

    errors: tuple[type[BaseException], ...]

    def find_and_delete(self, token: str) -> bool: ...


def probe_message(sender: str, recipient: str, token: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = f"Patrol mail probe {token}"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid("patrol-probe")
    msg[PROBE_HEADER] = token
    msg.set_content("Automatic test message from the Patrol inspection agent. It deletes this message itself.\n")
    return msg


def wait_for_probe(box: Mailbox, token: str, server: str, wait_s: float, poll_s: float,
                   sent_at: float, password: str, sleep: Callable[[float], None]) -> Exchange:
    st = Step("round_trip", server, wait_s, password, phase="wait")
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
