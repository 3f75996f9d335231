"""Pure parts of the web check: proxy settings and choice, evaluation of recorded page loads, params."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from collectors.base import CommandOutput, State
from collectors.platforms.linux import proxy as linux_proxy
from collectors.platforms.windows import proxy as windows_proxy
from collectors.web import (Certificate, PageLoad, ProxySettings, WebCollector, WebModel, bypassed, choose_proxy,
                            redact)
from config.checks.web import WebParams, WebUrl
from inventory.models import Host

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
HOST = Host(name="pc-17", local=True)
FIXTURES = Path(__file__).parent / "fixtures" / "windows_proxy"


def windows(name: str) -> ProxySettings:
    return windows_proxy.parse(CommandOutput(("powershell.exe",), 0, (FIXTURES / name).read_bytes(), b""))


@pytest.mark.parametrize("name, expected", [
    ("single_server.json", ProxySettings("http://proxy.corp.example:8080", "http://proxy.corp.example:8080",
                                         ("<local>", "*.corp.example", "10.*"), "WinINET (HKCU Internet Settings)")),
    ("per_protocol.json", ProxySettings("http://proxy1.corp.example:3128", "http://proxy2.corp.example:3129", (),
                                        "WinINET (HKCU Internet Settings)")),
    ("disabled_with_pac.json", ProxySettings(source="WinINET (HKCU Internet Settings)",
                                             pac_url="http://wpad.corp.example/proxy.pac")),
], ids=["single-server", "per-protocol", "disabled-with-pac"])
def test_windows_proxy_samples(name: str, expected: ProxySettings) -> None:
    assert windows(name) == expected


def test_linux_environment() -> None:
    got = linux_proxy.read({"HTTPS_PROXY": "http://p:3128", "http_proxy": "http://q:3128", "no_proxy": "a.example, .corp,"})
    assert (got.http, got.https, got.bypass) == ("http://q:3128", "http://p:3128", ("a.example", ".corp"))


@pytest.mark.parametrize("host, patterns, expected", [
    ("intranet", ("<local>",), True),
    ("intranet.corp.example", ("<local>",), False),
    ("wiki.corp.example", ("*.corp.example",), True),
    ("wiki.corp.example", (".corp.example",), True),
    ("wiki.corp.example", ("corp.example",), True),
    ("notcorp.example", ("corp.example",), False),
    ("10.1.2.3", ("10.*",), True),
    ("10.1.2.3", ("10.0.0.0/8",), True),
    ("192.168.1.1", ("10.0.0.0/8",), False),
    ("anything", ("*",), True),
    ("Example.COM", ("example.com",), True),
], ids=lambda v: str(v))
def test_bypass_rules(host: str, patterns: tuple[str, ...], expected: bool) -> None:
    assert bypassed(host, patterns) is expected


def test_proxy_choice_and_redaction() -> None:
    system = windows("single_server.json")
    assert choose_proxy("https://www.example.com/", "system", system) == "http://proxy.corp.example:8080"
    assert choose_proxy("https://wiki.corp.example/", "system", system) is None
    assert choose_proxy("https://www.example.com/", "none", system) is None
    assert choose_proxy("https://www.example.com/", "http://other:1", system) == "http://other:1"
    assert redact("http://user:pa%40ss@proxy:8080") == "http://proxy:8080"


def _page(**kw) -> PageLoad:
    base = dict(url="https://intranet.example/", final_url="https://intranet.example/", proxy=None, dns_s=0.01,
                connect_s=0.01, tls_s=0.02, first_byte_s=0.1, total_s=0.2, status=200, reason="OK", redirects=(),
                tls_error=None, certificate=Certificate("intranet.example", "Corp CA", NOW + timedelta(days=60)),
                body="<h1>OA</h1>", error_phase=None, error=None)
    return PageLoad(**{**base, **kw})


@pytest.mark.parametrize("page, spec, url_state, cert_state", [
    (_page(), {}, State.OK, State.OK),
    (_page(total_s=4.0), {}, State.WARN, State.OK),
    (_page(total_s=4.0), {"total_time_s": {"warn": 2, "crit": 3}}, State.CRIT, State.OK),
    (_page(certificate=Certificate("x", "y", NOW + timedelta(days=5))), {}, State.OK, State.CRIT),
    (_page(certificate=Certificate("x", "y", NOW + timedelta(days=15))), {}, State.OK, State.WARN),
    (_page(status=503, reason="Service Unavailable"), {}, State.CRIT, State.OK),
    (_page(status=401, reason="Unauthorized"), {"expect_status": [401]}, State.OK, State.OK),
    (_page(error_phase="dns", error="cannot resolve intranet.example: Name or service not known", status=None,
           certificate=None), {}, State.CRIT, None),
], ids=["ok", "slow-warn", "slow-crit", "cert-crit", "cert-warn", "503", "401-expected", "dns-failure"])
def test_evaluate(page: PageLoad, spec: dict, url_state: State, cert_state: State | None) -> None:
    params = WebParams(urls=[{"url": page.url, "name": "oa", **spec}])
    got = {r.check: r.state for r in WebCollector().evaluate(WebModel("none", None, (page,)), params, HOST, NOW)}
    assert got.get("web.url") is url_state and got.get("web.certificate") is cert_state


def test_pac_is_mentioned() -> None:
    params = WebParams(urls=[{"url": "https://intranet.example/", "name": "oa"}])
    (url, _cert) = WebCollector().evaluate(WebModel("WinINET", "http://wpad/proxy.pac", (_page(),)), params, HOST, NOW)
    assert "PAC script http://wpad/proxy.pac is not evaluated" in url.details


@pytest.mark.parametrize("spec, message", [
    ({"url": "ftp://files.example/"}, "http:// or https://"),
    ({"url": "https://user:pw@intranet.example/"}, "credentials in the URL are refused"),
    ({"url": "https://x.example/", "proxy": "socks5://p:1080"}, "proxy must be"),
], ids=["ftp", "credentials", "socks"])
def test_bad_urls_are_refused(spec: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WebUrl(**spec)


def test_no_targets_when_unconfigured() -> None:
    from inventory.models import Inventory
    assert WebCollector().targets(WebParams(), Inventory(hosts=(HOST,))) == ()


def test_family_timeout_must_cover_the_urls() -> None:
    urls = [{"url": f"https://s{i}.example/"} for i in range(5)]
    with pytest.raises(ValidationError, match="5 URLs at concurrency 4 with timeouts up to 10 s may take 20 s"):
        WebParams(urls=urls, timeout_s=20)
    assert len(WebParams(urls=urls, timeout_s=25).urls) == 5
