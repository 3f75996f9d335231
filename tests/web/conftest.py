"""Web test peers, started once per session: HTTP and HTTPS servers (good, soon-expiring,
expired and self-signed certificates) in one process, and a forward proxy in another."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.proc import ServerProcess, free_port, tcp_listening, wait_until
from tests.web.certs import Pair, make_certs

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class WebPeers:
    ports: dict[str, int]  # http, good, soon, expired, selfsigned
    certs: dict[str, Pair]
    proxy_port: int
    proxy_log: Path

    def url(self, kind: str, path: str = "/") -> str:
        scheme = "http" if kind == "http" else "https"
        return f"{scheme}://127.0.0.1:{self.ports[kind]}{path}"

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def proxied_lines(self) -> list[str]:
        return self.proxy_log.read_text().splitlines() if self.proxy_log.exists() else []


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebPeers]:
    folder = tmp_path_factory.mktemp("web")
    certs = make_certs(folder)
    ports = {kind: free_port() for kind in ("http", "good", "soon", "expired", "selfsigned")}
    specs = [str(ports["http"])] + [f"{ports[k]}:{certs[k].cert}:{certs[k].key}" for k in ports if k != "http"]
    servers = ServerProcess([sys.executable, "-m", "tests.web.servers", *specs], log_path=folder / "servers.log", cwd=ROOT)
    proxy_port, proxy_log = free_port(), folder / "proxy-requests.log"
    proxy = ServerProcess([sys.executable, "-m", "tests.web.forward_proxy", str(proxy_port), str(proxy_log)],
                          log_path=folder / "proxy.log", cwd=ROOT)
    try:
        for port in ports.values():
            wait_until(lambda: tcp_listening(port), 15, f"test web server on {port}", servers)
        wait_until(lambda: tcp_listening(proxy_port), 15, "test forward proxy", proxy)
        yield WebPeers(ports, certs, proxy_port, proxy_log)
    finally:
        servers.stop()
        proxy.stop()
