"""The mail channel against a real SMTP server (aiosmtpd on 127.0.0.1) with STARTTLS and AUTH."""

from __future__ import annotations

import email
import email.policy
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from agent.notify.channels import make_channels
from agent.notify.channels.base import ChannelRejected, ChannelUnavailable
from tests.mail.conftest import make_tls_files
from tests.notify.conftest import notify_settings, sample_notice
from tests.support.proc import free_port


@dataclass
class Sink:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def _auth(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"patrol" and auth_data.password == b"s3cret-pw"
    return AuthResult(success=ok, handled=False)


@dataclass
class Smtp:
    port: int
    sink: Sink
    ca: Path


@pytest.fixture
def smtp(tmp_path: Path, robots) -> Iterator[Smtp]:  # robots: sets the secret environment variables
    tls = make_tls_files(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert, tls.key)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=_auth, auth_require_tls=True,
                            require_starttls=True, tls_context=context, auth_exclude_mechanism=["CRAM-MD5"],
                            ready_timeout=10)
    controller.start()
    try:
        yield Smtp(port, sink, tls.cert)
    finally:
        controller.stop()


def _mail(smtp: Smtp, **over):
    channel = {"type": "mail", "host": "127.0.0.1", "port": smtp.port, "security": "starttls", "ca_file": str(smtp.ca),
               "username": "patrol", "password": "env:SMTP_PASSWORD", "sender": "patrol@example.com",
               "to": ["noc@example.com"], "timeout_s": 10, **over}
    return make_channels(notify_settings(channels={"mail": channel}, rules=[]))["mail"]


def test_mail_over_starttls_with_login_has_text_and_html_parts(smtp):
    _mail(smtp).send(sample_notice(title="<script>alert(1)</script> 磁盘满"))
    [(sender, rcpts, raw)] = smtp.sink.messages
    assert sender == "patrol@example.com"
    assert rcpts == ["noc@example.com", "lilei@example.com"]  # the chain's person is added
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"].startswith("[Patrol] 新工单 RT #8 CRIT")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "<script>alert(1)</script> 磁盘满" in text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; 磁盘满" in html
    assert "2026-03-02 16:00 CST" in text


def test_wrong_password_is_a_rejection_without_the_password(smtp, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "wrong-pw")
    with pytest.raises(ChannelRejected, match="login as patrol refused") as caught:
        _mail(smtp).send(sample_notice())
    assert "wrong-pw" not in str(caught.value)
    assert smtp.sink.messages == []


def test_untrusted_certificate_is_refused(smtp):
    with pytest.raises(ChannelRejected, match="TLS"):
        _mail(smtp, ca_file=None).send(sample_notice())


def test_no_server_is_unavailable(smtp):
    with pytest.raises(ChannelUnavailable, match="cannot reach"):
        _mail(smtp, port=free_port()).send(sample_notice())
