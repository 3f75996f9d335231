"""Against real local servers and a real forward proxy: each failure mode gives the right
state and a message an engineer understands."""

from __future__ import annotations

import time

import pytest

from collectors.base import CollectorIO, CommandOutput, State
from collectors.commands import run_command
from collectors.web import WebCollector
from config.checks.web import WebParams
from inventory.models import Host
from tests.support.proc import free_port
from tests.web.conftest import WebPeers
from tests.web.silent import silent_server

HOST = Host(name="pc-17", local=True)
COLLECTOR = WebCollector()


def check(*urls: dict, environ: dict[str, str] | None = None) -> dict[tuple[str, str], object]:
    params = WebParams(urls=urls)
    io = CollectorIO(run=run_command, extra={"environ": environ or {}})
    model = COLLECTOR.parse(COLLECTOR.fetch(HOST, params, io))
    return {(r.check, r.item): r for r in COLLECTOR.evaluate(model, params, HOST, io.clock())}


def test_plain_http_page_loads(web: WebPeers) -> None:
    got = check({"url": web.url("http"), "name": "intranet", "expect_text": "Welcome to the intranet"})
    page = got[("web.url", "intranet")]
    assert page.state is State.OK and page.summary.startswith("intranet: HTTP 200 in ")
    assert {m.name for m in page.metrics} >= {"web_dns_seconds", "web_connect_seconds", "web_total_seconds",
                                               "web_first_byte_seconds", "web_http_status"}
    assert ("web.certificate", "intranet") not in got


def test_https_with_a_trusted_certificate(web: WebPeers) -> None:
    got = check({"url": web.url("good"), "name": "good", "ca_file": str(web.certs["ca"].cert)})
    assert got[("web.url", "good")].state is State.OK
    cert = got[("web.certificate", "good")]
    days = {m.name: m.value for m in cert.metrics}["web_cert_expiry_days"]
    assert cert.state is State.OK and 88 < days < 91 and "intranet.test" in cert.details
    assert "web_tls_seconds" in {m.name for m in got[("web.url", "good")].metrics}


@pytest.mark.parametrize("kind, url_state, cert_state, words", [
    ("soon", State.OK, State.WARN, "expires in 10 days"),
    ("expired", State.CRIT, State.CRIT, "certificate has expired"),
    ("selfsigned", State.CRIT, State.CRIT, "self-signed certificate"),
], ids=["expires-soon", "expired", "self-signed"])
def test_certificate_problems(web: WebPeers, kind: str, url_state: State, cert_state: State, words: str) -> None:
    got = check({"url": web.url(kind), "name": kind, "ca_file": str(web.certs["ca"].cert)})
    cert = got[("web.certificate", kind)]
    assert (got[("web.url", kind)].state, cert.state) == (url_state, cert_state)
    assert words in cert.summary, cert.summary
    if kind == "expired":
        assert {m.name: m.value for m in cert.metrics}["web_cert_expiry_days"] < 0
        assert "tls: certificate not trusted" in got[("web.url", kind)].summary


def test_self_signed_accepted_when_verification_is_off(web: WebPeers) -> None:
    got = check({"url": web.url("selfsigned"), "name": "lab", "verify_tls": False})
    assert got[("web.url", "lab")].state is State.OK and got[("web.certificate", "lab")].state is State.OK


@pytest.mark.parametrize("spec, state, words", [
    ({"path": "/redirect"}, State.OK, "HTTP 200"),
    ({"path": "/redirect", "follow_redirects": 0}, State.OK, "HTTP 302"),
    ({"path": "/redirect", "follow_redirects": 0, "expect_status": [200]}, State.CRIT, "HTTP 302 Found"),
    ({"path": "/missing"}, State.CRIT, "HTTP 404 Not Found"),
    ({"path": "/", "expect_text": "Quarterly report"}, State.CRIT, "expected text 'Quarterly report' not found"),
    ({"path": "/slow", "timeout_s": 0.5}, State.CRIT, "http: no answer within 0.5 s after connecting"),
], ids=["redirect-followed", "redirect-not-followed", "redirect-unexpected", "404", "text-missing", "slow-timeout"])
def test_http_outcomes(web: WebPeers, spec: dict, state: State, words: str) -> None:
    path = spec.pop("path")
    got = check({"url": web.url("http", path), "name": "page", **spec})[("web.url", "page")]
    assert got.state is state and words in got.summary, got.summary


def test_connection_refused(web: WebPeers) -> None:
    got = check({"url": f"http://127.0.0.1:{free_port()}/", "name": "down"})[("web.url", "down")]
    assert got.state is State.CRIT and "connect: 127.0.0.1:" in got.summary and "refused" in got.summary


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_server_that_says_nothing_is_crit_after_the_timeout(scheme: str) -> None:
    with silent_server() as port:
        started = time.monotonic()
        got = check({"url": f"{scheme}://127.0.0.1:{port}/", "name": "hung", "timeout_s": 1})[("web.url", "hung")]
        elapsed = time.monotonic() - started
    assert got.state is State.CRIT and "no " in got.summary and "within 1 s" in got.summary, got.summary
    assert elapsed < 10  # bounded by the URL's own deadline, not a hang


def test_explicit_proxy_carries_http_and_https(web: WebPeers) -> None:
    before = len(web.proxied_lines())
    got = check({"url": web.url("http"), "name": "plain", "proxy": web.proxy},
                {"url": web.url("good"), "name": "tls", "proxy": web.proxy, "ca_file": str(web.certs["ca"].cert)})
    assert got[("web.url", "plain")].state is State.OK and got[("web.url", "tls")].state is State.OK
    assert "via proxy http://127.0.0.1:" in got[("web.url", "tls")].summary
    lines = web.proxied_lines()[before:]
    assert f"GET {web.url('http')} HTTP/1.1" in lines and f"CONNECT 127.0.0.1:{web.ports['good']} HTTP/1.1" in lines


def test_system_proxy_from_the_environment_and_no_proxy(web: WebPeers) -> None:
    before = len(web.proxied_lines())
    url = {"url": web.url("http"), "name": "p"}
    assert check(url, environ={"http_proxy": web.proxy})[("web.url", "p")].state is State.OK
    assert len(web.proxied_lines()) == before + 1
    assert check(url, environ={"HTTP_PROXY": web.proxy, "no_proxy": "localhost,127.0.0.0/8"})[("web.url", "p")].state is State.OK
    assert len(web.proxied_lines()) == before + 1  # bypassed: went direct
    assert check({**url, "proxy": "none"}, environ={"http_proxy": web.proxy})[("web.url", "p")].state is State.OK
    assert len(web.proxied_lines()) == before + 1


def test_proxy_refusing_the_tunnel(web: WebPeers) -> None:
    got = check({"url": "https://blocked.test/", "name": "b", "proxy": web.proxy})[("web.url", "b")]
    assert got.state is State.CRIT and "proxy refused CONNECT blocked.test:443: 403 Forbidden" in got.summary


def test_proxy_password_never_appears(web: WebPeers) -> None:
    secret = "s3cret-proxy-pass"
    proxy = f"http://patrol:{secret}@127.0.0.1:{web.proxy_port}"
    got = check({"url": web.url("good"), "name": "tls", "ca_file": str(web.certs["ca"].cert)},
                {"url": web.url("http"), "name": "plain"},
                {"url": "https://blocked.test/", "name": "blocked"},
                environ={"https_proxy": proxy, "http_proxy": proxy})
    assert got[("web.url", "tls")].state is State.OK
    assert any("(with Proxy-Authorization)" in line for line in web.proxied_lines())
    for result in got.values():
        assert secret not in repr(result)


def test_windows_wininet_proxy_is_used_with_its_local_bypass(web: WebPeers) -> None:
    """The Windows path end to end: the WinINET settings (as the registry query prints them)
    send 127.0.0.1 through the real test proxy; 'localhost' has no dot, so <local> bypasses it."""
    settings = (f'{{"ProxyEnable":1,"ProxyServer":"127.0.0.1:{web.proxy_port}",'
                '"ProxyOverride":"<local>","AutoConfigURL":null}').encode()
    calls: list[str] = []

    def run(argv, *, timeout, input=None, env=None):
        calls.append(argv[-1])
        return CommandOutput(tuple(argv), 0, settings, b"")

    params = WebParams(urls=[{"url": web.url("http"), "name": "via-proxy"},
                             {"url": f"http://localhost:{web.ports['http']}/", "name": "local"}])
    io = CollectorIO(run=run, platform="windows")
    before = len(web.proxied_lines())
    model = COLLECTOR.parse(COLLECTOR.fetch(HOST, params, io))
    got = {r.item: r for r in COLLECTOR.evaluate(model, params, HOST, io.clock())}
    assert "Internet Settings" in calls[0]
    assert got["via-proxy"].state is State.OK and "via proxy http://127.0.0.1:" in got["via-proxy"].summary
    assert got["local"].state is State.OK and "via proxy" not in got["local"].summary
    assert web.proxied_lines()[before:] == [f"GET {web.url('http')} HTTP/1.1"]
