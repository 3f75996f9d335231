"""Headers, cookies and CSRF tokens of the console's pages.

The Content-Security-Policy allows scripts and styles from this collector only (no
inline script, no CDN: client sites are often offline, and an injected <script> must
not run); forms post only here; the console cannot be framed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "patrol_session"
LOGIN_CSRF_COOKIE = "patrol_login_csrf"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
MAX_FORM_BYTES = 64 * 1024


class BadForm(ValueError):
    pass


def harden(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    """HttpOnly and SameSite=Strict always; Secure when the page came over HTTPS (a
    collector without TLS on a lab network would otherwise never get its cookie back)."""
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and secrets.compare_digest(given.encode(), expected.encode())  # type: ignore[union-attr]


async def read_form(request: Request) -> Mapping[str, str]:
    """An application/x-www-form-urlencoded body (the only kind the console's forms send)."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise BadForm("the console's forms are sent as application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadForm("form too large")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadForm(f"unreadable form: {exc}") from None


def local_path(value: str | None) -> str:
    """Where to go after login: a path on this console only (never //evil.example)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
