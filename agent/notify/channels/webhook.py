"""The generic webhook: a stable JSON document, HMAC-SHA256 signed like the ticketing
webhook backend (``X-Patrol-Signature: sha256=<hex>`` over the body)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from agent.notify import message
from agent.notify.channels.base import ChannelRejected, ChannelUnavailable
from agent.notify.message import Notice
from config.secrets import SecretRef, SecretUnavailable


class WebhookChannel:
    kind = "webhook"

    def __init__(self, name: str, settings: Any, resolve: Callable[[SecretRef], str],
                 session: requests.Session | None = None):
        self.name, self.settings, self.resolve = name, settings, resolve
        self.rate_per_minute = settings.rate_per_minute
        self.session = session or requests.Session()

    def send(self, notice: Notice) -> None:
        from agent.ticketing.backends.base import BackendRejected, BackendUnavailable
        from agent.ticketing.backends.webhook import post_signed

        what = f"webhook {self.name}"
        try:
            key = self.resolve(self.settings.secret) if self.settings.secret is not None else None
        except SecretUnavailable as exc:
            raise ChannelRejected(f"{what}: {exc}") from None
        try:
            post_signed(self.session, self.settings.url, message.webhook_document(notice), key,
                        self.settings.timeout_s, what)
        except BackendUnavailable as exc:
            raise ChannelUnavailable(str(exc)) from None
        except BackendRejected as exc:
            raise ChannelRejected(str(exc)) from None
