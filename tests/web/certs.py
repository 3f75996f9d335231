"""Certificates for the web tests, made with `cryptography`: a CA and leaves signed by it."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Pair:
    pair = Pair(folder / f"{stem}.pem", folder / f"{stem}.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return pair


def _leaf(subject: str, issuer: x509.Name, issuer_key, not_before: datetime, not_after: datetime):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(issuer_key if issuer_key is not None else key, hashes.SHA256()))
    return cert, key


def make_certs(folder: Path) -> dict[str, Pair]:
    """ca, good (90 days), soon (10 days), expired (ended yesterday), selfsigned (90 days, no CA)."""
    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (x509.CertificateBuilder().subject_name(_name("Patrol Test CA")).issuer_name(_name("Patrol Test CA"))
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .sign(ca_key, hashes.SHA256()))
    pairs = {"ca": _write(folder, "ca", ca_cert, ca_key)}
    for stem, start, end in (("good", -1, 90), ("soon", -80, 10), ("expired", -90, -1)):
        cert, key = _leaf("intranet.test", ca_cert.subject, ca_key, now + timedelta(days=start), now + timedelta(days=end))
        pairs[stem] = _write(folder, stem, cert, key)
    cert, key = _leaf("selfsigned.test", _name("selfsigned.test"), None, now - timedelta(days=1), now + timedelta(days=90))
    pairs["selfsigned"] = _write(folder, "selfsigned", cert, key)
    return pairs
