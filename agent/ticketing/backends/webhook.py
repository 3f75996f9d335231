"""Events POSTed as JSON in the shape of PagerDuty Events v2, HMAC-SHA256 signed.

    POST <url>
    X-Patrol-Signature: sha256=<hex HMAC-SHA256 of the raw body with webhook.secret>
    {"routing_key": "...", "event_action": "trigger" | "acknowledge" | "resolve",
     "dedup_key": "<fingerprint>",
     "payload": {"summary": "...", "source": "<agent>", "severity": "critical|error|warning|info",
                 "component": "<target>", "group": "<site>", "class": "<check>",
                 "custom_details": {"patrol_action": "open|comment|priority|reopen|...", ...}}}

The dedup key is the fingerprint: the receiver (PagerDuty, an Opsgenie-style endpoint or
a PSA's inbound hook) keeps one incident per fingerprint, so this backend needs no search
(``find`` returns nothing). Updates are further "trigger" events with the same key, which
PagerDuty merges into the open incident.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests

from agent.ticketing.backends.base import BackendRejected, BackendUnavailable, NewTicket, RemoteTicket
from agent.ticketing.backends.http import bounded_request, bounded_session
from config.secrets import SecretUnavailable

SIGNATURE_HEADER = "X-Patrol-Signature"
_PD_SEVERITY = {"crit": "critical", "warn": "warning", "unknown": "error"}
MAX_REPLY_BYTES = 65536  # PagerDuty answers ~100 bytes; only the status is used


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def post_signed(session: requests.Session, url: str, document: dict[str, Any], secret: str | None,
                timeout: float, what: str) -> None:
    """POST ``document``; 2xx is success, anything else (a redirect too) becomes a backend error.

    The whole call takes at most ``timeout`` seconds, and at most MAX_REPLY_BYTES of the
    answer are read (only its status matters)."""
    body = json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    reply = bounded_request(session, "POST", url, what=what, deadline_s=timeout, max_bytes=MAX_REPLY_BYTES,
                            truncate=True, data=body, headers=headers)
    if reply.status >= 500 or reply.status == 429:
        raise BackendUnavailable(f"{what}: HTTP {reply.status}")
    if reply.status >= 300:
        raise BackendRejected(f"{what}: HTTP {reply.status}")


class WebhookBackend:
    name = "webhook"

    def __init__(self, url: str, *, secret: str | Callable[[], str | None] | None = None,
                 routing_key: str | Callable[[], str | None] | None = None,
                 source: str = "patrol", timeout_s: float = 10, session: requests.Session | None = None):
        self.url = url
        # Secrets may be given as callables, resolved at the first event: a missing one is an
        # outbox error naming the reference, not a crash of `patrol inspect`.
        self._secret_source = secret
        self._routing_source = routing_key
        self._resolved = False
        self.secret: str | None = None
        self.routing_key: str | None = None
        self.source = source
        self.timeout = timeout_s
        self.session = session or bounded_session()
        # Context of each fingerprint (see remember()): every event repeats it for the receiver.
        self._context: dict[str, dict[str, str]] = {}

    @classmethod
    def from_settings(cls, settings: Any, resolve_secret: Callable[[Any], str], agent_name: str) -> "WebhookBackend":
        hook = settings.webhook
        return cls(hook.url, secret=(lambda: resolve_secret(hook.secret)) if hook.secret else None,
                   routing_key=(lambda: resolve_secret(hook.routing_key)) if hook.routing_key else None,
                   source=hook.source or agent_name, timeout_s=hook.timeout_s)

    def _resolve(self) -> None:
        if self._resolved:
            return
        try:
            self.secret = self._secret_source() if callable(self._secret_source) else self._secret_source
            self.routing_key = self._routing_source() if callable(self._routing_source) else self._routing_source
        except SecretUnavailable as exc:
            raise BackendRejected(f"webhook: {exc}") from None
        self._resolved = True

    def _send(self, action: str, fingerprint: str, patrol_action: str, summary: str,
              details: dict[str, Any], severity: str | None = None) -> None:
        self._resolve()
        ctx = self._context.get(fingerprint, {})
        payload: dict[str, Any] = {
            "summary": summary[:1024], "source": self.source,
            "severity": _PD_SEVERITY.get(severity or ctx.get("severity", ""), "error"),
            "custom_details": {"patrol_action": patrol_action, "fingerprint": fingerprint, **details},
        }
        for key, ctx_key in (("component", "target"), ("group", "site"), ("class", "check")):
            if ctx.get(ctx_key):
                payload[key] = ctx[ctx_key]
        event: dict[str, Any] = {"event_action": action, "dedup_key": fingerprint, "payload": payload}
        if self.routing_key:
            event["routing_key"] = self.routing_key
        post_signed(self.session, self.url, event, self.secret, self.timeout, f"webhook {patrol_action}")

    def remember(self, fingerprint: str, *, site: str, target: str, check: str, severity: str) -> None:
        """Context the outbox hands over before each call (it survives a restart of the agent)."""
        self._context[fingerprint] = {"target": target, "site": site, "check": check, "severity": severity}

    def find(self, fingerprint: str, *, resolved_since: datetime | None) -> RemoteTicket | None:
        return None  # the receiver deduplicates on dedup_key

    def open(self, ticket: NewTicket) -> RemoteTicket:
        self._context[ticket.fingerprint] = {"target": ticket.target, "site": ticket.site, "check": ticket.check,
                                             "severity": ticket.severity}
        self._send("trigger", ticket.fingerprint, "open", ticket.subject,
                   {"body": ticket.body, "tier": ticket.tier, "item": ticket.item}, ticket.severity)
        return RemoteTicket(ticket.fingerprint, "active")

    def comment(self, key: str, fingerprint: str, text: str) -> None:
        self._send("trigger", fingerprint, "comment", text.splitlines()[0] if text else "update", {"note": text})

    def set_priority(self, key: str, fingerprint: str, tier: str, level: int) -> None:
        self._send("trigger", fingerprint, "priority", f"priority raised to {tier}", {"tier": tier})

    def resolve(self, key: str, fingerprint: str, text: str) -> None:
        self._send("resolve", fingerprint, "resolve", text.splitlines()[0] if text else "resolved", {"note": text})

    def reopen(self, key: str, fingerprint: str, text: str) -> None:
        self._send("trigger", fingerprint, "reopen", text.splitlines()[0] if text else "reopened", {"note": text})

    def acknowledge(self, key: str, fingerprint: str, text: str) -> None:
        self._send("acknowledge", fingerprint, "acknowledge", text or "acknowledged", {"note": text})
