"""Real mail servers for the mail tests: Debian's dovecot (IMAP, POP3, LMTP) as a plain process,
and an aiosmtpd submission server that checks AUTH itself and relays to dovecot's LMTP.

Two dovecot instances: after a failed login from 127.0.0.1 dovecot slows later logins
from that address (anvil's auth penalty), so wrong-password tests get their own.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import tempfile
import smtplib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.proc import ServerProcess, SilentServer, free_port, require_program, tcp_listening, wait_until

USER = "probe@example.test"
OTHER = "other@example.test"
# The test password: the secret-leak test greps every result and log line for it.
PASSWORD = "Sm7p-Secret-Fox42"
BLACKHOLE_DOMAIN = "blackhole.test"


@dataclass(frozen=True)
class Dovecot:
    imap_port: int
    imaps_port: int
    pop3_port: int
    lmtp_port: int
    root: Path
    proc: ServerProcess


@dataclass(frozen=True)
class TlsFiles:
    cert: Path  # self-signed, for 127.0.0.1 and localhost; also the CA file clients trust
    key: Path


def make_tls_files(folder: Path) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1 (the servers' TLS; no CA in any system store)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "patrol-test-mail")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    files = TlsFiles(folder / "cert.pem", folder / "key.pem")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return files


def _dovecot_conf(root: Path, imap_port: int, imaps_port: int, pop3_port: int, lmtp_port: int, uid: int, gid: int,
                  tls: TlsFiles) -> str:
    return f"""
instance_name = patrol-test-{imap_port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap pop3 lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{tls.cert}
ssl_key = <{tls.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = {uid}
mail_location = maildir:{root}/mail/%n/Maildir
mail_uid = {uid}
mail_gid = {gid}
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%n allow_all_users=yes
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
protocol lmtp {{
  auth_username_format = %u
}}
"""


def start_dovecot(prefix: str) -> Dovecot:
    binary = require_program("/usr/sbin/dovecot", "dovecot-imapd")
    require_program("/usr/lib/dovecot/lmtp", "dovecot-lmtpd")
    require_program("/usr/lib/dovecot/pop3", "dovecot-pop3d")
    # Dovecot's auth and mail processes drop root: they need to traverse the folder (0711,
    # not pytest's 0700 tree) and mail is stored as the Debian 'mail' user.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o711)
    mail_user = pwd.getpwnam("mail")
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
    passwd = root / "passwd"
    passwd.write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n{OTHER}:{{PLAIN}}{PASSWORD}\n")
    passwd.chmod(0o644)
    imap_port, imaps_port, pop3_port, lmtp_port = free_port(), free_port(), free_port(), free_port()
    tls = make_tls_files(root)
    conf = root / "dovecot.conf"
    conf.write_text(_dovecot_conf(root, imap_port, imaps_port, pop3_port, lmtp_port, mail_user.pw_uid, mail_user.pw_gid,
                                  tls))
    proc = ServerProcess([binary, "-F", "-c", str(conf)], log_path=root / "stdout.log")
    ports = (imap_port, imaps_port, pop3_port, lmtp_port)
    wait_until(lambda: all(tcp_listening(p) for p in ports), 15, "dovecot", proc)
    return Dovecot(imap_port, imaps_port, pop3_port, lmtp_port, root, proc)


class RelayToLmtp:
    """aiosmtpd handler: mail for the blackhole domain is accepted and dropped (a message
    that never arrives); everything else goes to dovecot over LMTP."""

    def __init__(self, lmtp_port: int):
        self.lmtp_port = lmtp_port

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        wanted = [r for r in envelope.rcpt_tos if not r.endswith("@" + BLACKHOLE_DOMAIN)]
        if wanted:
            await asyncio.get_running_loop().run_in_executor(None, self._deliver, envelope, wanted)
        return "250 OK"

    def _deliver(self, envelope, recipients) -> None:
        with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=10) as lmtp:
            lmtp.sendmail(envelope.mail_from, recipients, envelope.original_content)


def _authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() in (USER, OTHER) \
        and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)


@dataclass(frozen=True)
class Smtp:
    port: int
    controller: object


def start_smtp(lmtp_port: int, tls: TlsFiles | None = None, *, implicit: bool = False) -> Smtp:
    """Submission on a free port; with ``tls`` it offers STARTTLS and AUTH only after it,
    or with ``implicit`` speaks TLS from the first byte (port 465 style)."""
    import ssl

    from aiosmtpd.controller import Controller

    port = free_port()
    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert, tls.key)
    starttls = tls is not None and not implicit
    controller = Controller(RelayToLmtp(lmtp_port), hostname="127.0.0.1", port=port, authenticator=_authenticator,
                            auth_require_tls=starttls, require_starttls=starttls,
                            tls_context=context if starttls else None, ssl_context=context if implicit else None,
                            auth_exclude_mechanism=["CRAM-MD5"], ready_timeout=10)
    controller.start()
    return Smtp(port, controller)


def _running_dovecot(prefix: str):
    server = start_dovecot(prefix)
    yield server
    server.proc.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Dovecot:
    yield from _running_dovecot("patrol-dovecot-")


@pytest.fixture(scope="session")
def dovecot_for_failures() -> Dovecot:
    yield from _running_dovecot("patrol-dovecot-fail-")


@pytest.fixture(scope="session")
def smtp(dovecot) -> Smtp:
    server = start_smtp(dovecot.lmtp_port)
    yield server
    server.controller.stop()


@pytest.fixture(scope="session")
def smtp_implicit_tls(dovecot) -> Smtp:
    server = start_smtp(dovecot.lmtp_port, TlsFiles(dovecot.root / "cert.pem", dovecot.root / "key.pem"), implicit=True)
    yield server
    server.controller.stop()


@pytest.fixture(scope="session")
def smtp_starttls(dovecot) -> Smtp:
    server = start_smtp(dovecot.lmtp_port, TlsFiles(dovecot.root / "cert.pem", dovecot.root / "key.pem"))
    yield server
    server.controller.stop()


@pytest.fixture()
def silent_server():
    server = SilentServer()
    yield server
    server.close()
