"""HTTP calls from an agent to its collector: one session, the pinned CA, a deadline.

``requests`` with a urllib3 ``Timeout(total=...)``: connecting and reading together get
``collector.timeout_s`` (a server that sends a byte now and then is still cut off by the
read timeout, which is the time left of that total when the read starts).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import requests
from urllib3.util import Timeout


class CollectorUnreachable(Exception):
    """No HTTP answer: refused, name not found, TLS failure, timeout. ``str()`` is one line."""


def session(ca_file: Path | None) -> requests.Session:
    s = requests.Session()
    # trust_env stays on: an agent that reaches a central collector over the internet may
    # need HTTPS_PROXY (and NO_PROXY for a collector on the LAN). The pinned CA is passed
    # with every request (below), so REQUESTS_CA_BUNDLE cannot replace it.
    s.verify = str(ca_file) if ca_file is not None else True
    return s


def request(s: requests.Session, method: str, url: str, *, timeout_s: float, data: bytes | None = None,
            headers: Mapping[str, str] | None = None, json_body: object = None) -> requests.Response:
    try:
        return s.request(method, url, data=data, json=json_body, headers=dict(headers or {}),
                         timeout=Timeout(total=timeout_s), allow_redirects=False, verify=s.verify)
    except requests.exceptions.SSLError as exc:
        raise CollectorUnreachable(f"TLS failed with {url}: {_reason(exc)} (not the collector whose CA this agent "
                                   "pinned? re-enrol with `patrol enroll`)") from None
    except requests.exceptions.Timeout:
        raise CollectorUnreachable(f"{url}: no answer within {timeout_s:g} s (collector.timeout_s)") from None
    except requests.exceptions.ConnectionError as exc:
        raise CollectorUnreachable(f"cannot reach {url}: {_reason(exc)}") from None
    except requests.exceptions.RequestException as exc:
        raise CollectorUnreachable(f"{url}: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    """The innermost reason, on one line (requests nests urllib3's MaxRetryError around it)."""
    inner: BaseException = exc
    while True:
        nxt = getattr(inner, "reason", None) or inner.__cause__ or inner.__context__
        if not isinstance(nxt, BaseException) or nxt is inner:
            break
        inner = nxt
    text = printable(str(inner)) or type(inner).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def detail(response: requests.Response) -> str:
    """The collector's one-line ``detail`` (protocol.Problem), else the start of the body."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        text = data["detail"]
    elif isinstance(data, dict) and isinstance(data.get("detail"), list):  # FastAPI's 422 list of errors
        text = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg', '')}"
                         for e in data["detail"][:5] if isinstance(e, dict))
    else:
        text = response.text[:200]
    text = printable(text)
    return (text if len(text) <= 300 else text[:297] + "...") or f"HTTP {response.status_code}"


def printable(text: str) -> str:
    """One line without control characters (a collector's text is data: no terminal escapes)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
