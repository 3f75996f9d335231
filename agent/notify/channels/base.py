"""What every channel is, and how a delivery fails.

Three outcomes besides success, because the queue treats them differently: the platform
is unreachable or failing (retry with backoff), it says "too fast" (wait its own
penalty, then retry without counting a failure), or it refuses this message or our
settings (a wrong signature, a missing keyword, an invalid token: retry with backoff
too, the error shown in ``patrol notify queue``, since fixing the config makes it go
through). Nothing is dropped.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import requests

from agent.notify.message import Notice


class DeliveryFailed(Exception):
    """The message did not go through; ``str()`` never contains a secret."""


class ChannelUnavailable(DeliveryFailed):
    pass


class ChannelRateLimited(DeliveryFailed):
    def __init__(self, message: str, retry_after_s: float):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ChannelRejected(DeliveryFailed):
    pass


class Channel(Protocol):
    name: str
    kind: str
    rate_per_minute: int

    def send(self, notice: Notice) -> None: ...


def post_json(session: requests.Session, url: str, document: dict[str, Any], timeout: float, what: str,
              *, params: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """POST ``document`` as UTF-8 JSON; the HTTP status and the JSON reply ({} if none).

    ``what`` names the channel in errors; the URL is never put in one (its query holds
    the robot's token)."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        reply = session.post(url, params=params, data=body, timeout=timeout,
                             headers={"Content-Type": "application/json; charset=utf-8"})
    except requests.Timeout:
        raise ChannelUnavailable(f"{what}: no answer within {timeout:g} s") from None
    except requests.ConnectionError:
        raise ChannelUnavailable(f"{what}: cannot connect") from None
    except requests.RequestException as exc:
        raise ChannelUnavailable(f"{what}: {type(exc).__name__}") from None
    try:
        answer = reply.json()
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    return reply.status_code, answer


def check_status(status: int, what: str) -> None:
    if status >= 500:
        raise ChannelUnavailable(f"{what}: HTTP {status}")
    if status >= 300 and status != 429:
        raise ChannelRejected(f"{what}: HTTP {status}")


def errmsg(answer: dict[str, Any], *keys: str) -> str:
    """The platform's error text, cut short (it is shown to engineers, not trusted)."""
    for key in keys:
        if key in answer:
            return str(answer[key])[:200]
    return ""
