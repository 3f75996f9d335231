"""A small forward proxy for tests, run as a process: ``python -m tests.web.forward_proxy PORT LOG``.

Speaks what browsers use: ``CONNECT host:port`` tunnels (https) and absolute-form
``GET http://host/...`` (plain http). Only loopback targets are allowed (403 otherwise),
so a test can never send traffic off the machine. Each request line is appended to LOG
so tests can tell that a page really went through the proxy.
"""

from __future__ import annotations

import select
import socket
import socketserver
import sys
from urllib.parse import urlsplit

LOG = ""


def allowed(host: str) -> bool:
    return host in ("127.0.0.1", "localhost")


class Proxy(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.connection.recv(4096)
            if not chunk:
                return
            head += chunk
        header, _, rest = head.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        with open(LOG, "a") as log:
            auth = any(line.lower().startswith("proxy-authorization:") for line in lines[1:])
            log.write(f"{lines[0]}{' (with Proxy-Authorization)' if auth else ''}\n")
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            if not allowed(host):
                self.connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            upstream = socket.create_connection((host, int(port)), timeout=10)
            self.connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            parts = urlsplit(target)
            if not allowed(parts.hostname or ""):
                self.connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            upstream = socket.create_connection((parts.hostname, parts.port or 80), timeout=10)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            kept = [line for line in lines[1:] if not line.lower().startswith("proxy-")]
            upstream.sendall(("\r\n".join([f"{method} {path} HTTP/1.1", *kept]) + "\r\n\r\n").encode("latin-1") + rest)
        self._relay(upstream)

    def _relay(self, upstream: socket.socket) -> None:
        with upstream:
            peers = {self.connection: upstream, upstream: self.connection}
            while True:
                ready, _, _ = select.select(list(peers), [], [], 10)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    LOG = sys.argv[2]
    with Server(("127.0.0.1", int(sys.argv[1])), Proxy) as server:
        server.serve_forever()
