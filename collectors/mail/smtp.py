"""SMTP submission: connect (plain, STARTTLS or implicit TLS), EHLO and log in."""

from __future__ import annotations

import smtplib

from collectors.mail.connection import close_quietly, tls_context
from collectors.mail.step import NoAuth, Step
from config.checks.mail import MailServer


def smtp_login(server: MailServer, user: str, password: str, timeout: float, st: Step) -> smtplib.SMTP:
    port = server.port_for("smtp")
    st.phase = "greeting"  # the constructor connects and reads the 220 greeting
    if server.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(server.host, port, timeout=timeout, context=tls_context(server))
    else:
        client = smtplib.SMTP(server.host, port, timeout=timeout)
    try:
        st.phase = "ehlo"
        client.ehlo()
        if server.security == "starttls":
            st.phase = "tls"
            client.starttls(context=tls_context(server))
            client.ehlo()
        st.phase = "login"
        if not client.has_extn("auth"):
            raise NoAuth("no AUTH in the EHLO reply" + (" (before STARTTLS?)" if server.security == "plain" else ""))
        client.login(user, password)
        return client
    except BaseException:
        close_quietly(client.close)
        raise
