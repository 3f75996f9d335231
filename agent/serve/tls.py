"""The collector's HTTPS: a private CA and a server certificate made at first start, or the
certificate and key an engineer gives it.

Agents pin the CA by its SHA-256 fingerprint at enrolment (``patrol enroll ...
--ca-fingerprint``), so no public CA, DNS name or internet access is needed on a client
site. The CA key never leaves <state_dir>/tls (0600); the server certificate is renewed
from it when it comes within 30 days of expiry or lacks a name it should carry.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 825  # the longest validity common TLS clients accept
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    cert_file: Path
    key_file: Path
    ca_file: Path

    def ca_pem(self) -> bytes:
        return self.ca_file.read_bytes()

    def ca_fingerprint(self) -> str:
        return fingerprint(x509.load_pem_x509_certificate(self.ca_pem()))


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, as ``AB:CD:...`` (what browsers and openssl show)."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def normalise_fingerprint(text: str) -> str:
    """Accept ``ab:cd..``, ``ABCD..``, ``sha256:ABCD..`` or with spaces; raise ValueError otherwise."""
    cleaned = text.strip().lower().removeprefix("sha256:").removeprefix("sha256=").replace(":", "").replace(" ", "")
    if len(cleaned) != 64 or any(c not in "0123456789abcdef" for c in cleaned):
        raise ValueError(f"not a SHA-256 fingerprint (64 hex digits, colons allowed): {text!r}")
    return ":".join(cleaned[i:i + 2] for i in range(0, 64, 2)).upper()


def default_names() -> list[str]:
    """This machine's host names and addresses, for the generated server certificate."""
    names = {"localhost", "127.0.0.1", "::1", socket.gethostname()}
    try:
        names.add(socket.getfqdn())
        for info in socket.getaddrinfo(socket.gethostname(), None):
            names.add(str(info[4][0]))
    except OSError:
        pass
    try:
        import psutil

        for addrs in psutil.net_if_addrs().values():
            for addr in addrs:
                if addr.family in (socket.AF_INET, socket.AF_INET6):
                    names.add(addr.address.split("%", 1)[0])
    except Exception:  # noqa: BLE001 - more names are a convenience, not a need
        pass
    return sorted(n for n in names if n)


def _san(names: Iterable[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _make_ca(now: dt.datetime, site: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Patrol"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"Patrol collector CA ({site})"[:64])])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _make_server(now: dt.datetime, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate,
                 names: list[str]) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64])]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
            .add_extension(_san(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _needs_new_server_cert(path: Path, names: list[str], now: dt.datetime) -> bool:
    if not path.exists():
        return True
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        have = {str(v) for v in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                .get_values_for_type(x509.DNSName)}
        have |= {str(v) for v in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                 .get_values_for_type(x509.IPAddress)}
    except (ValueError, x509.ExtensionNotFound):
        return True
    wanted = {str(ipaddress.ip_address(n)) if _is_ip(n) else n for n in names}
    return cert.not_valid_after_utc - now < RENEW_BEFORE or not wanted <= have


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def ensure_tls(folder: Path, site: str, extra_names: Iterable[str] = (),
               now: dt.datetime | None = None) -> tuple[TlsFiles, bool]:
    """The CA and server certificate in ``folder``, made or renewed as needed; returns them
    and whether the CA was created now (first start: print its fingerprint)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    files = TlsFiles(folder / "server.pem", folder / "server-key.pem", folder / "ca.pem")
    ca_key_path = folder / "ca-key.pem"
    created = False
    if not (files.ca_file.exists() and ca_key_path.exists()):
        ca_key, ca = _make_ca(now, site)
        _write_private(ca_key_path, _key_pem(ca_key))
        files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        files.cert_file.unlink(missing_ok=True)
        created = True
    names = [*dict.fromkeys([*default_names(), *extra_names])]
    if _needs_new_server_cert(files.cert_file, names, now):
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        ca = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key, cert = _make_server(now, ca_key, ca, names)
        _write_private(files.key_file, _key_pem(key))
        files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files, created
