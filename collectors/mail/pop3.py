"""POP3: log in and STAT; find and delete the probe message."""

from __future__ import annotations

import poplib

from collectors.mail.connection import close_quietly, tls_context
from collectors.mail.round_trip import PROBE_HEADER
from collectors.mail.step import Step
from config.checks.mail import MailServer


class Pop3Mailbox:
    """POP3: a maildrop is a snapshot per session, so every look is a fresh login; the probe
    is recognised from the headers of the newest messages (TOP n 0) and removed with DELE."""

    step = "pop3"
    errors: tuple[type[BaseException], ...] = (OSError, poplib.error_proto)
    NEWEST = 50  # messages looked at per poll: the probe is among the newest

    def __init__(self, server: MailServer, user: str, password: str, timeout: float):
        self.server, self.user, self.password, self.timeout = server, user, password, timeout

    def _session(self, st: Step | None = None) -> poplib.POP3:
        st = st or Step("pop3", "", self.timeout, self.password)
        server, port = self.server, self.server.port_for("pop3")
        st.phase = "greeting"
        if server.security == "tls":
            client: poplib.POP3 = poplib.POP3_SSL(server.host, port, context=tls_context(server), timeout=self.timeout)
        else:
            client = poplib.POP3(server.host, port, timeout=self.timeout)
        try:
            if server.security == "starttls":
                st.phase = "tls"
                client.stls(context=tls_context(server))
            st.phase = "login"
            client.user(self.user)
            client.pass_(self.password)
            st.phase = "stat"
            client.stat()
        except BaseException:
            close_quietly(client.close)
            raise
        return client

    def open(self, st: Step) -> None:
        close_quietly(self._session(st).quit)

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
            close_quietly(client.quit)  # QUIT commits the DELE

    def close(self) -> None:
        pass  # no session is kept between looks
