"""Request Tracker 5 through its REST2 API (``/REST/2.0``, token auth).

The fingerprint lives in a ticket custom field (``rt.fingerprint_field``, default
"Patrol Fingerprint", applied to the queue), so Patrol finds its ticket again by
searching RT itself:

    GET /REST/2.0/tickets?query=CF.{Patrol Fingerprint} = '<fp>'&orderby=id&order=DESC&fields=Status,Resolved

Comments that also change the status (resolve, reopen, acknowledge) are one call,
``POST /ticket/N/comment`` with ``{"Content", "ContentType", "Status"}`` (RT's
REST2 Message resource sets the status in the same request), so a retry never leaves a
resolved ticket without its recovery note or the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import requests

from agent.ticketing.backends.base import BackendRejected, BackendUnavailable, NewTicket, RemoteTicket
from agent.ticketing.backends.http import Reply, bounded_request, bounded_session
from config.secrets import SecretUnavailable

_FINGERPRINT = re.compile(r"^[0-9a-f]{16,64}$")
_INACTIVE = {"resolved", "rejected", "deleted"}
# RT's answers here are one ticket or a page of 20 search hits: a few kilobytes. Anything far
# bigger is not RT (or not a sane RT) and is refused rather than read into memory.
MAX_REPLY_BYTES = 1 << 20


class RtBackend:
    name = "rt"

    def __init__(self, url: str, token: str | Callable[[], str], *, queue: str = "General",
                 fingerprint_field: str = "Patrol Fingerprint",
                 timeout_s: float = 10, verify_tls: bool = True, extra_fields: dict[str, str] | None = None,
                 session: requests.Session | None = None, customers: dict[str, str] | None = None,
                 customer_field: str | None = None, queue_per_site: dict[str, str] | None = None,
                 queue_per_customer: dict[str, str] | None = None, users: dict[str, str] | None = None,
                 set_dates: bool = True):
        self.base = url.rstrip("/")
        self.api = self.base + "/REST/2.0"
        self.queue = queue
        self.field = fingerprint_field
        self.timeout = timeout_s
        self.extra_fields = dict(extra_fields or {})
        self.customers = dict(customers or {})  # site -> customer (from the inventory)
        self.customer_field = customer_field
        self.queue_per_site = dict(queue_per_site or {})
        self.queue_per_customer = dict(queue_per_customer or {})
        self.users = dict(users or {})
        self.set_dates = set_dates
        self.session = session or bounded_session()
        self.session.verify = verify_tls
        self._token = token  # resolved at the first call: a missing secret is an outbox error, not a crash

    @classmethod
    def from_settings(cls, settings: Any, resolve_secret: Callable[[Any], str],
                      customers: dict[str, str] | None = None) -> "RtBackend":
        rt = settings.rt
        return cls(rt.url, lambda: resolve_secret(rt.token), queue=rt.queue, fingerprint_field=rt.fingerprint_field,
                   timeout_s=rt.timeout_s, verify_tls=rt.verify_tls, extra_fields=rt.extra_fields,
                   customers=customers, customer_field=rt.customer_field, queue_per_site=rt.queue_per_site,
                   queue_per_customer=rt.queue_per_customer, users=rt.users, set_dates=rt.set_dates)

    def queue_for(self, site: str) -> str:
        """The site's own queue, else its customer's, else ``queue``."""
        if site in self.queue_per_site:
            return self.queue_per_site[site]
        customer = self.customers.get(site)
        return self.queue_per_customer.get(customer, self.queue) if customer else self.queue

    # --- HTTP -------------------------------------------------------------------------------

    def _authorize(self) -> None:
        if "Authorization" in self.session.headers:
            return
        try:
            token = self._token() if callable(self._token) else self._token
        except SecretUnavailable as exc:  # names the reference (env:NAME), never a value
            raise BackendRejected(f"RT: rt.token: {exc}") from None
        # The token only ever sits in this header; it is never logged or put in an error.
        self.session.headers["Authorization"] = f"token {token}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        what = f"RT {method} {path.split('?')[0]}"
        self._authorize()
        # At most timeout_s for the whole call, no redirect followed, at most MAX_REPLY_BYTES read.
        reply = bounded_request(self.session, method, self.api + path, what=what, deadline_s=self.timeout,
                                max_bytes=MAX_REPLY_BYTES, **kwargs)
        if reply.status >= 500:
            raise BackendUnavailable(f"{what}: server error HTTP {reply.status}")
        if reply.status in (401, 403):
            raise BackendRejected(f"{what}: HTTP {reply.status}, the token was refused (check rt.token)")
        if reply.status == 404:
            raise BackendRejected(f"{what}: HTTP 404, not found (wrong rt.url, or the ticket was deleted)")
        if reply.status >= 400:
            raise BackendRejected(f"{what}: HTTP {reply.status}: {_message(reply)}")
        try:
            return reply.json()
        except ValueError:
            raise BackendRejected(f"{what}: the answer is not JSON (is rt.url an RT 5 server?)") from None

    # --- the TicketBackend contract ---------------------------------------------------------

    def find(self, fingerprint: str, *, resolved_since: datetime | None) -> RemoteTicket | None:
        if not _FINGERPRINT.match(fingerprint):  # it goes into TicketSQL: only hex may
            raise ValueError(f"not a fingerprint: {fingerprint!r}")
        query = f"CF.{{{self.field}}} = '{fingerprint}'"
        data = self._call("GET", "/tickets", params={"query": query, "orderby": "id", "order": "DESC",
                                                     "fields": "Status,Resolved,Created,Starts,Due,Started,Owner",
                                                     "per_page": 20})
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise BackendRejected("RT GET /tickets: the answer has no 'items' list")
        for item in items:
            try:
                key, status = str(item["id"]), str(item["Status"])
            except (KeyError, TypeError):
                raise BackendRejected("RT GET /tickets: an item lacks id or Status") from None
            if status not in _INACTIVE:
                owner = _owner(item.get("Owner"))
                return RemoteTicket(key, "active", self.ticket_url(key), due_response=_rt_time(item.get("Starts")),
                                    due_resolve=_rt_time(item.get("Due")), opened_at=_rt_time(item.get("Created")),
                                    owner=owner, taken_at=_rt_time(item.get("Started")) if owner else None)
            resolved_at = _rt_time(item.get("Resolved"))
            if status == "resolved" and resolved_since is not None and resolved_at and resolved_at >= resolved_since:
                return RemoteTicket(key, "resolved", self.ticket_url(key), resolved_at)
        return None

    def open(self, ticket: NewTicket) -> RemoteTicket:
        fields = {**self.extra_fields, **ticket.fields, self.field: ticket.fingerprint}
        customer = self.customers.get(ticket.site)
        if self.customer_field and customer:
            fields[self.customer_field] = customer
        body: dict[str, Any] = {"Queue": self.queue_for(ticket.site), "Subject": ticket.subject, "Content": ticket.body,
                                "ContentType": "text/plain", "Priority": ticket.level, "CustomFields": fields}
        if self.set_dates and ticket.due_response and ticket.due_resolve:
            body.update(Starts=_rt_date(ticket.due_response), Due=_rt_date(ticket.due_resolve))
        data = self._call("POST", "/ticket", json=body)
        key = str(data.get("id", "")) if isinstance(data, dict) else ""
        if not key.isdigit():
            raise BackendRejected("RT POST /ticket: the answer carries no ticket id")
        return RemoteTicket(key, "active", self.ticket_url(key))

    def _message(self, key: str, text: str, status: str | None = None) -> None:
        body: dict[str, Any] = {"Content": text, "ContentType": "text/plain"}
        if status:
            body["Status"] = status
        self._call("POST", f"/ticket/{int(key)}/comment", json=body)

    def comment(self, key: str, fingerprint: str, text: str) -> None:
        self._message(key, text)

    def set_priority(self, key: str, fingerprint: str, tier: str, level: int) -> None:
        self._call("PUT", f"/ticket/{int(key)}", json={"Priority": level})

    def resolve(self, key: str, fingerprint: str, text: str) -> None:
        self._message(key, text, "resolved")

    def reopen(self, key: str, fingerprint: str, text: str) -> None:
        self._message(key, text, "open")

    def acknowledge(self, key: str, fingerprint: str, text: str) -> None:
        self._message(key, text, "open")

    def set_deadlines(self, key: str, due_response: datetime, due_resolve: datetime) -> None:
        """Starts = respond by, Due = resolve by (a reopened ticket gets fresh deadlines)."""
        if self.set_dates:
            self._call("PUT", f"/ticket/{int(key)}", json={"Starts": _rt_date(due_response),
                                                           "Due": _rt_date(due_resolve)})

    def take(self, key: str, engineer: str) -> None:
        """Make the RT user mapped to ``engineer`` (rt.users) the Owner; an unmapped name leaves it."""
        user = self.users.get(engineer)
        if user:
            self._call("PUT", f"/ticket/{int(key)}", json={"Owner": user})

    def taken_by(self, key: str) -> str | None:
        """Who took the ticket in RT (its Owner), or None while it is owned by Nobody.

        Patrol never sets the owner, so an owner means an engineer responded in RT itself.
        """
        data = self._call("GET", f"/ticket/{int(key)}")
        return _owner(data.get("Owner") if isinstance(data, dict) else None)

    def ticket_url(self, key: str) -> str:
        return f"{self.base}/Ticket/Display.html?id={key}"


def _owner(value: Any) -> str | None:
    """REST2 gives the Owner as {"id": "root", ...} (or a bare name); Nobody means no owner."""
    name = value.get("id") if isinstance(value, dict) else value
    return str(name) if name and str(name) != "Nobody" else None


def _rt_date(at: datetime) -> str:
    """RT takes and stores dates as UTC "YYYY-MM-DD HH:MM:SS" (RT::Ticket::Create reads ISO in GMT)."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _rt_time(value: Any) -> datetime | None:
    """RT's REST2 dates: "2026-05-01T10:00:00Z"; unset ones are the epoch."""
    if not isinstance(value, str) or not value or value.startswith("1970-01-01"):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _message(reply: Reply) -> str:
    try:
        text = str(reply.json().get("message", ""))
    except (ValueError, AttributeError):
        text = reply.text
    text = " ".join(text.split())
    return text[:200] or reply.reason or "refused"
