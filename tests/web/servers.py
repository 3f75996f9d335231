"""Test web servers, run as a process: ``python -m tests.web.servers PORT[:CERT:KEY] ...``.

Each argument is one listener on 127.0.0.1 (TLS when a certificate is given). Pages:
``/`` 200 with "Welcome to the intranet", ``/redirect`` 302 to ``/``, ``/missing`` 404,
``/slow`` answers after 3 s.
"""

from __future__ import annotations

import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Pages(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/redirect":
            self._send(302, b"moved", {"Location": "/"})
        elif self.path == "/missing":
            self._send(404, b"not here")
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, b"finally")
        else:
            self._send(200, b"<html><body>Welcome to the intranet</body></html>")

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        sys.stdout.write(f"{self.server.server_address[1]} {format % args}\n")
        sys.stdout.flush()


def serve(spec: str) -> ThreadingHTTPServer:
    port, _, rest = spec.partition(":")
    server = ThreadingHTTPServer(("127.0.0.1", int(port)), Pages)
    server.daemon_threads = True
    if rest:
        cert, key = rest.split(":")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    servers = [serve(spec) for spec in sys.argv[1:]]
    threading.Event().wait()
