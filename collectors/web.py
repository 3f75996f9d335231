"""Web browsing (checklist item 1, 看IE浏览器能否正常浏览网页): configured pages load through
the system proxy, as the user's browser would.

fetch loads each URL with a small HTTP/1.1 client over plain sockets, so each phase is
timed on its own: DNS, TCP connect (to the proxy when there is one), proxy CONNECT, TLS
handshake, first byte, whole page. A certificate the system rejects is read once more
without verification, only to say why and when it expires. Each URL has its own
deadline; a server that accepts and then says nothing ends as a CRIT "no answer", never
a hang. Proxy settings come from the platform (collectors/platforms/<platform>/proxy.py).

Checks: ``web.url`` (the page loads: status, expected text, time) and ``web.certificate``
(https only: trusted and not about to expire), both with the URL's name as item.
"""

from __future__ import annotations

import base64
import fnmatch
import http.client
import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import unquote, urljoin, urlsplit

from collectors.base import CheckResult, CollectorIO, Metric, ParseError, State, threshold_state
from collectors.messages import COMMON, Messages, semicolons
from config.checks.web import WebParams, WebUrl
from inventory.models import Host, Inventory

REDIRECTS = frozenset({301, 302, 303, 307, 308})


# --- proxy settings ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ProxySettings:
    """The system proxy: one per scheme, hosts that bypass it, where it was read from."""

    http: str | None = None
    https: str | None = None
    bypass: tuple[str, ...] = ()
    source: str = "none"
    pac_url: str | None = None  # a PAC script is configured (not evaluated)


def bypassed(host: str, patterns: Sequence[str]) -> bool:
    """no_proxy / ProxyOverride semantics: ``*``, suffixes (``.corp`` or ``corp``), globs,
    ``<local>`` (dotless names) and CIDR blocks (``10.0.0.0/8``)."""
    host = host.lower().strip("[]")
    for raw in patterns:
        pattern = raw.strip().lower()
        if not pattern:
            continue
        if pattern == "*" or (pattern == "<local>" and "." not in host):
            return True
        if "/" in pattern:
            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(pattern, strict=False):
                    return True
            except ValueError:
                pass
            continue
        if any(c in pattern for c in "*?["):
            if fnmatch.fnmatchcase(host, pattern):
                return True
            continue
        bare = pattern.lstrip(".").split(":")[0]
        if host == bare or host.endswith("." + bare):
            return True
    return False


def choose_proxy(url: str, setting: str, system: ProxySettings) -> str | None:
    """The proxy URL to use for ``url`` (None: direct)."""
    if setting == "none":
        return None
    if setting != "system":
        return setting
    parts = urlsplit(url)
    proxy = system.https if parts.scheme == "https" else system.http
    if proxy and bypassed(parts.hostname or "", system.bypass):
        return None
    return proxy


def redact(url: str | None) -> str | None:
    """A proxy URL without its user:password part."""
    if not url:
        return url
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl() if "@" in parts.netloc else url


def system_proxy(io: CollectorIO, timeout: float) -> ProxySettings:
    if io.platform == "windows":
        from collectors.platforms.windows import proxy as windows_proxy

        return windows_proxy.parse(windows_proxy.fetch(io, timeout))
    from collectors.platforms.linux import proxy as linux_proxy

    # io.extra["environ"] lets tests give their own environment; the agent's is the default.
    return linux_proxy.read(io.extra.get("environ", os.environ))


# --- one page load -------------------------------------------------------------------------

class ProbeFailure(Exception):
    def __init__(self, phase: str, message: str):
        super().__init__(f"{phase}: {message}")
        self.phase, self.message = phase, message


@dataclass(frozen=True, slots=True)
class Probe:
    """The raw record of one page load (plain values; DER certificate base64-encoded).

    While loading, the values are collected in a plain dict (``rec``) and frozen here at the end.
    """

    url: str
    final_url: str = ""
    proxy: str | None = None  # redacted
    dns_s: float | None = None
    connect_s: float | None = None
    tls_s: float | None = None
    first_byte_s: float | None = None
    total_s: float | None = None
    status: int | None = None
    reason: str = ""
    redirects: tuple[str, ...] = ()
    tls_error: str | None = None
    cert_der_b64: str | None = None
    body: str = ""
    error_phase: str | None = None
    error: str | None = None


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds, self.end = seconds, time.monotonic() + seconds

    def left(self, phase: str) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise ProbeFailure(phase, f"no answer within {self.seconds:g} s")
        return remaining


def _resolve(host: str, port: int, deadline: _Deadline) -> list[tuple[Any, ...]]:
    # getaddrinfo has no timeout of its own: run it aside and stop waiting at the deadline.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="patrol-dns")
    try:
        future = pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
        return future.result(timeout=deadline.left("dns"))
    except FutureTimeout:
        raise ProbeFailure("dns", f"{host} not resolved within {deadline.seconds:g} s") from None
    except socket.gaierror as exc:
        raise ProbeFailure("dns", f"cannot resolve {host}: {exc.strerror}") from None
    finally:
        pool.shutdown(wait=False)


def _connect(host: str, port: int, deadline: _Deadline, rec: dict[str, Any]) -> socket.socket:
    t0 = time.monotonic()
    infos = _resolve(host, port, deadline)
    rec["dns_s"] = time.monotonic() - t0
    t1, last = time.monotonic(), None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(deadline.left("connect"))
            sock.connect(address)
            rec["connect_s"] = time.monotonic() - t1
            return sock
        except (socket.timeout, TimeoutError):
            sock.close()
            raise ProbeFailure("connect", f"{host}:{port} did not accept within {deadline.seconds:g} s") from None
        except OSError as exc:
            sock.close()
            last = exc
    raise ProbeFailure("connect", f"{host}:{port}: {last.strerror if last and last.strerror else last}")


def _proxy_auth(proxy: str) -> dict[str, str]:
    parts = urlsplit(proxy)
    if parts.username is None:
        return {}
    token = base64.b64encode(f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()).decode()
    return {"Proxy-Authorization": f"Basic {token}"}


def _tunnel(sock: socket.socket, host: str, port: int, proxy: str, deadline: _Deadline) -> None:
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # IPv6 literals in brackets
    headers = {"Host": authority, **_proxy_auth(proxy)}
    lines = [f"CONNECT {authority} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    sock.settimeout(deadline.left("proxy"))
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        reply = http.client.HTTPResponse(sock, method="CONNECT")
        reply.begin()
    except (socket.timeout, TimeoutError):
        raise ProbeFailure("proxy", f"no answer to CONNECT within {deadline.seconds:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise ProbeFailure("proxy", f"broken answer to CONNECT ({type(exc).__name__})") from None
    if reply.status != 200:
        raise ProbeFailure("proxy", f"proxy refused CONNECT {host}:{port}: {reply.status} {reply.reason}")


def _open(url: str, proxy: str | None, deadline: _Deadline, rec: dict[str, Any]) -> socket.socket:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    if proxy is None:
        return _connect(host, port, deadline, rec)
    pparts = urlsplit(proxy)
    sock = _connect(pparts.hostname or "", pparts.port or 80, deadline, rec)
    if parts.scheme == "https":
        try:
            _tunnel(sock, host, port, proxy, deadline)
        except BaseException:
            sock.close()
            raise
    return sock


def _tls(sock: socket.socket, host: str, context: ssl.SSLContext, deadline: _Deadline) -> ssl.SSLSocket:
    sock.settimeout(deadline.left("tls"))
    try:
        return context.wrap_socket(sock, server_hostname=host)
    except (socket.timeout, TimeoutError):
        sock.close()
        raise ProbeFailure("tls", f"no TLS handshake within {deadline.seconds:g} s") from None


def _unverified_cert(url: str, proxy: str | None, deadline: _Deadline) -> bytes | None:
    """The server's certificate, read without trusting it (only to report on it)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        sock = _tls(_open(url, proxy, deadline, {}), urlsplit(url).hostname or "", context, deadline)
    except (ProbeFailure, OSError):
        return None
    with sock:
        return sock.getpeercert(binary_form=True)


def _request(sock: socket.socket, url: str, proxy: str | None, user_agent: str, max_body: int,
             deadline: _Deadline, rec: dict[str, Any], started: float) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    direct_http = proxy is None or parts.scheme == "https"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "") if direct_http else url
    headers = {"Host": parts.netloc, "User-Agent": user_agent, "Accept": "text/html,*/*;q=0.8",
               "Accept-Encoding": "identity", "Connection": "close"}
    if not direct_http and proxy:
        headers.update(_proxy_auth(proxy))
    request = f"GET {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    try:
        sock.settimeout(deadline.left("http"))
        sock.sendall(request.encode("latin-1"))
        response = http.client.HTTPResponse(sock, method="GET")
        response.begin()
        rec["first_byte_s"] = time.monotonic() - started
        sock.settimeout(deadline.left("http"))
        body = response.read(max_body)
    except (socket.timeout, TimeoutError):
        raise ProbeFailure("http", f"no answer within {deadline.seconds:g} s after connecting") from None
    except (OSError, http.client.HTTPException) as exc:
        raise ProbeFailure("http", f"broken HTTP answer ({type(exc).__name__}: {exc})") from None
    rec["status"], rec["reason"] = response.status, response.reason
    charset = response.headers.get_content_charset() or "utf-8"
    try:
        rec["body"] = body.decode(charset, "replace")
    except LookupError:
        rec["body"] = body.decode("utf-8", "replace")
    return response


def load_page(spec: WebUrl, proxy: str | None, user_agent: str) -> Probe:
    """Load ``spec.url`` like a browser: through ``proxy``, following redirects, within the deadline."""
    deadline, started = _Deadline(spec.timeout_s), time.monotonic()
    url, redirects = spec.url, []
    rec: dict[str, Any] = {"url": spec.url, "proxy": redact(proxy)}
    context = ssl.create_default_context(cafile=str(spec.ca_file) if spec.ca_file else None)
    if not spec.verify_tls:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        for hop in range(spec.follow_redirects + 1):
            rec["final_url"] = url
            sock = _open(url, proxy, deadline, rec)
            if urlsplit(url).scheme == "https":
                t0 = time.monotonic()
                try:
                    sock = _tls(sock, urlsplit(url).hostname or "", context, deadline)
                except ssl.SSLCertVerificationError as exc:
                    sock.close()
                    rec["tls_error"] = exc.verify_message or str(exc)
                    der = _unverified_cert(url, proxy, deadline)
                    rec["cert_der_b64"] = base64.b64encode(der).decode() if der else None
                    raise ProbeFailure("tls", f"certificate not trusted: {rec['tls_error']}") from None
                except (ssl.SSLError, OSError) as exc:
                    sock.close()
                    raise ProbeFailure("tls", f"handshake failed: {getattr(exc, 'reason', None) or exc}") from None
                rec["tls_s"] = time.monotonic() - t0
                der = sock.getpeercert(binary_form=True)
                rec["cert_der_b64"] = base64.b64encode(der).decode() if der else None
            with sock:
                response = _request(sock, url, proxy, user_agent, spec.max_body_bytes, deadline, rec, started)
            location = response.headers.get("Location")
            if response.status in REDIRECTS and location and hop < spec.follow_redirects:
                url = urljoin(url, location)
                redirects.append(url)
                continue
            break
    except ProbeFailure as exc:
        rec["error_phase"], rec["error"] = exc.phase, exc.message
    rec["total_s"] = time.monotonic() - started
    return Probe(**rec, redirects=tuple(redirects))


# --- model ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Certificate:
    subject: str
    issuer: str
    not_after: datetime


@dataclass(frozen=True, slots=True)
class PageLoad:
    url: str
    final_url: str
    proxy: str | None
    dns_s: float | None
    connect_s: float | None
    tls_s: float | None
    first_byte_s: float | None
    total_s: float
    status: int | None
    reason: str
    redirects: tuple[str, ...]
    tls_error: str | None
    certificate: Certificate | None
    body: str
    error_phase: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class WebRaw:
    proxy_source: str
    pac_url: str | None
    probes: tuple[Probe, ...]


@dataclass(frozen=True, slots=True)
class WebModel:
    proxy_source: str
    pac_url: str | None
    pages: tuple[PageLoad, ...]


def parse_certificate(der_b64: str) -> Certificate:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(der_b64))
    except ValueError as exc:
        raise ParseError(f"server certificate is not valid DER: {exc}") from None

    def name(n: x509.Name) -> str:
        cn = n.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(cn[0].value) if cn else n.rfc4514_string()

    return Certificate(name(cert.subject), name(cert.issuer), cert.not_valid_after_utc)


def parse_probe(probe: Probe) -> PageLoad:
    return PageLoad(probe.url, probe.final_url or probe.url, probe.proxy, probe.dns_s, probe.connect_s, probe.tls_s,
                    probe.first_byte_s, probe.total_s or 0.0, probe.status, probe.reason, tuple(probe.redirects),
                    probe.tls_error, parse_certificate(probe.cert_der_b64) if probe.cert_der_b64 else None,
                    probe.body, probe.error_phase, probe.error)


# --- evaluate ------------------------------------------------------------------------------

def _timings(page: PageLoad) -> tuple[Metric, ...]:
    pairs = (("dns_seconds", page.dns_s), ("connect_seconds", page.connect_s), ("tls_seconds", page.tls_s),
             ("first_byte_seconds", page.first_byte_s), ("total_seconds", page.total_s))
    return tuple(Metric(f"web_{name}", round(value, 4), "seconds") for name, value in pairs if value is not None)


MSG = Messages({
    "web.error": "{item}: {phase}: {error}",
    "web.error_proxy": "{item}: {phase}: {error} via proxy {proxy}",
    "web.status": "HTTP {status} {reason}",
    "web.status_only": "HTTP {status}",
    "web.text_missing": "expected text {text} not found",
    "web.slow": "slow: {seconds:.2f} s",
    "web.problems": "{item}: {problems}",
    "web.ok": "{item}: HTTP {status} in {seconds:.2f} s",
    "web.ok_proxy": "{item}: HTTP {status} in {seconds:.2f} s via proxy {proxy}",
    "web.cert.untrusted": "{item}: certificate not trusted: {error}",
    "web.cert.valid": "{item}: certificate valid, expires in {days:.0f} days",
}, COMMON)


def evaluate_page(spec: WebUrl, page: PageLoad, target: str, now: datetime) -> CheckResult:
    via = "_proxy" if page.proxy else ""
    details = "\n".join(filter(None, [
        f"url: {page.url}", f"final url: {page.final_url}" if page.redirects else "",
        f"proxy: {page.proxy or 'none (direct)'}",
        *(f"{m.name.removeprefix('web_')}: {m.value:.3f}" for m in _timings(page)),
        f"status: {page.status} {page.reason}" if page.status is not None else ""]))
    metrics = _timings(page) + ((Metric("web_http_status", page.status),) if page.status is not None else ())
    if page.error is not None:
        said = MSG.say("web.error" + via, item=spec.item, phase=page.error_phase, error=page.error, proxy=page.proxy)
        return CheckResult("web.url", target, spec.item, State.CRIT, said.text, details, metrics, now, said.ref)
    problems, states = [], [State.OK]
    ok_status = page.status in spec.expect_status if spec.expect_status else 200 <= (page.status or 0) < 400
    if not ok_status:
        states.append(State.CRIT)
        problems.append(MSG.ref("web.status", status=page.status, reason=page.reason) if page.reason
                        else MSG.ref("web.status_only", status=page.status))
    if spec.expect_text is not None and spec.expect_text not in page.body:
        states.append(State.CRIT)
        problems.append(MSG.ref("web.text_missing", text=repr(spec.expect_text)))
    time_state = threshold_state(page.total_s, spec.total_time_s.warn, spec.total_time_s.crit)
    if time_state is not State.OK:
        states.append(time_state)
        problems.append(MSG.ref("web.slow", seconds=page.total_s))
    said = (MSG.say("web.problems", item=spec.item, problems=semicolons(problems)) if problems
            else MSG.say("web.ok" + via, item=spec.item, status=page.status, seconds=page.total_s, proxy=page.proxy))
    return CheckResult("web.url", target, spec.item, State.worst(states), said.text, details, metrics, now, said.ref)


def evaluate_certificate(spec: WebUrl, page: PageLoad, target: str, now: datetime) -> CheckResult | None:
    cert = page.certificate
    if urlsplit(page.final_url).scheme != "https" or (cert is None and page.tls_error is None):
        return None  # plain http, or no TLS reached: web.url says why
    days = (cert.not_after - now).total_seconds() / 86400 if cert else None
    metrics = (Metric("web_cert_expiry_days", round(days, 2), "days"),) if days is not None else ()
    about = f"{cert.subject} (issuer {cert.issuer}, expires {cert.not_after:%Y-%m-%d})" if cert else "certificate not read"
    if page.tls_error is not None:
        said = MSG.say("web.cert.untrusted", item=spec.item, error=page.tls_error)
        return CheckResult("web.certificate", target, spec.item, State.CRIT, said.text, about, metrics, now, said.ref)
    assert days is not None
    state = threshold_state(days, spec.cert_days.warn, spec.cert_days.crit, higher_is_worse=False)
    said = MSG.say("web.cert.valid", item=spec.item, days=days)
    return CheckResult("web.certificate", target, spec.item, state, said.text, about, metrics, now, said.ref)


class WebCollector:
    name: ClassVar[str] = "web"
    params_model: ClassVar[type[WebParams]] = WebParams

    def targets(self, params: WebParams, inventory: Inventory) -> Sequence[Host]:
        return (inventory.local,) if params.urls else ()

    def fetch(self, target: Host, params: WebParams, io: CollectorIO) -> WebRaw:
        system = (system_proxy(io, min(u.timeout_s for u in params.urls))
                  if any(u.proxy == "system" for u in params.urls) else ProxySettings())
        with ThreadPoolExecutor(max_workers=params.concurrency, thread_name_prefix="patrol-web") as pool:
            probes = tuple(pool.map(lambda spec: load_page(spec, choose_proxy(spec.url, spec.proxy, system),
                                                           params.user_agent), params.urls))
        return WebRaw(system.source, system.pac_url, probes)

    def parse(self, raw: WebRaw) -> WebModel:
        return WebModel(raw.proxy_source, raw.pac_url, tuple(parse_probe(p) for p in raw.probes))

    def evaluate(self, model: WebModel, params: WebParams, target: Host, now: datetime) -> Iterable[CheckResult]:
        if len(model.pages) != len(params.urls):
            raise ParseError(f"{len(model.pages)} page loads recorded for {len(params.urls)} configured URLs")
        for spec, page in zip(params.urls, model.pages):
            result = evaluate_page(spec, page, target.name, now)
            if model.pac_url and spec.proxy == "system":  # say so: a PAC-only setup is loaded direct here
                result = replace(result, details=result.details + f"\nsystem proxy: PAC script {model.pac_url} "
                                                                  "is not evaluated; loaded without it")
            yield result
            cert = evaluate_certificate(spec, page, target.name, now)
            if cert is not None:
                yield cert
