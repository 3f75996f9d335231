"""IMAP: log in and select the mailbox; find and delete the probe message."""

from __future__ import annotations

import imaplib
import logging
from datetime import datetime, timedelta, timezone

from collectors.mail.connection import close_quietly, tls_context
from collectors.mail.round_trip import PROBE_HEADER
from collectors.mail.step import Step
from config.checks.mail import MailServer

log = logging.getLogger(__name__)


class ImapMailbox:
    """IMAP: one session; the probe is found with SEARCH HEADER and removed with EXPUNGE."""

    step = "imap"
    errors: tuple[type[BaseException], ...] = (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort)

    def __init__(self, server: MailServer, user: str, password: str, timeout: float, mailbox: str, writable: bool):
        self.server, self.user, self.password, self.timeout = server, user, password, timeout
        self.mailbox, self.writable = mailbox, writable
        self.client: imaplib.IMAP4 | None = None

    def open(self, st: Step) -> None:
        server, port = self.server, self.server.port_for("imap")
        st.phase = "greeting"
        if server.security == "tls":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(server.host, port, ssl_context=tls_context(server),
                                                      timeout=self.timeout)
        else:
            client = imaplib.IMAP4(server.host, port, timeout=self.timeout)
        try:
            if server.security == "starttls":
                st.phase = "tls"
                client.starttls(ssl_context=tls_context(server))
            st.phase = "login"
            client.login(self.user, self.password)
            st.phase = "select"
            typ, data = client.select(self.mailbox, readonly=not self.writable)
            if typ != "OK":
                raise imaplib.IMAP4.error(f"SELECT {self.mailbox} answered {typ}: {data!r}")
        except BaseException:
            close_quietly(client.shutdown)
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
            close_quietly(self.client.logout)
