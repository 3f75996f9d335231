"""A small real HTTPS server on 127.0.0.1 standing in for `patrol serve` in the agent's
tests: a CA and server certificate made here with ``cryptography``, every request
recorded (headers and the gunzipped body), answers scripted per path.

The lead's end-to-end tests use the real collector; this one lets the agent's tests say
"answer 413 now" or "answer 401 twice" and check exactly what the agent sent.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import ipaddress
import json
import ssl
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Pki:
    ca_pem: bytes
    ca_fingerprint: str  # sha256 of the DER, lowercase hex
    cert_file: Path
    key_file: Path


def make_pki(folder: Path, names: tuple[str, ...] = ("127.0.0.1", "localhost"), ca_name: str = "Test Collector CA") -> Pki:
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca = (x509.CertificateBuilder().subject_name(ca_subject).issuer_name(ca_subject).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_file, key_file = folder / "server.pem", folder / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    return Pki(ca_pem, hashlib.sha256(ca.public_bytes(serialization.Encoding.DER)).hexdigest(), cert_file, key_file)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any  # JSON of the (gunzipped) body, or None


Answer = tuple[int, Any, dict[str, str]]  # status, JSON body (or bytes), extra headers


@dataclass
class Script:
    """Answers per path: queued ones first, then ``default(seen)``."""

    queued: dict[str, deque[Answer]] = field(default_factory=dict)
    default: dict[str, Callable[[Seen], Answer]] = field(default_factory=dict)

    def push(self, path: str, *answers: Answer) -> None:
        self.queued.setdefault(path, deque()).extend(answers)


class RecordingCollector:
    def __init__(self, pki: Pki, *, tls: bool = True):
        self.pki = pki
        self.seen: list[Seen] = []
        self.script = Script()
        self.lock = threading.Lock()
        self.stored_seqs: list[int] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                data = gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
                try:
                    body = json.loads(data) if data else None
                except ValueError:
                    body = None
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw, body)
                with collector.lock:
                    collector.seen.append(seen)
                    queue = collector.script.queued.get(self.path)
                    if queue:
                        status, payload, extra = queue.popleft()
                    elif self.path in collector.script.default:
                        status, payload, extra = collector.script.default[self.path](seen)
                    else:
                        status, payload, extra = 404, {"detail": f"nothing scripted for {self.path}"}, {}
                out = payload if isinstance(payload, bytes) else (b"" if payload is None else json.dumps(payload).encode())
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                if not isinstance(payload, bytes):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(pki.cert_file, pki.key_file)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # --- default behaviour: a collector that stores batches once, in order ----------------

    def accept_batches(self) -> None:
        from agent.fleet.protocol import CA_PATH, RESULTS_PATH

        def results(seen: Seen) -> Answer:
            batch = seen.body
            seq = int(batch["seq"])
            stored = not self.stored_seqs or seq > max(self.stored_seqs)
            if stored:
                self.stored_seqs.append(seq)
            n = sum(len(r["results"]) for r in batch["runs"])
            return 200, {"batch_id": batch["batch_id"], "seq": seq, "stored": stored, "results": n}, {}

        self.script.default[RESULTS_PATH] = results
        self.script.default[CA_PATH] = lambda seen: (200, self.pki.ca_pem, {"Content-Type": "application/x-pem-file"})

    def requests_to(self, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path == path]

    def __enter__(self) -> "RecordingCollector":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
