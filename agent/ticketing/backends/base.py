"""The contract every ticket backend fulfils, and the two kinds of failure it may report.

Every call names the fingerprint, so a backend that cannot search (a webhook) can still
deduplicate on its side, and one that can (RT, builtin) keeps the fingerprint on the
ticket: losing Patrol's own database never leads to a second ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class RemoteTicket:
    key: str
    status: str  # "active" | "resolved"
    url: str | None = None
    resolved_at: datetime | None = None
    # What a backend that keeps them (RT) knows, to restore a lost local database: the deadlines
    # it was given, when it was opened, and who took it when.
    due_response: datetime | None = None
    due_resolve: datetime | None = None
    opened_at: datetime | None = None
    owner: str | None = None
    taken_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewTicket:
    fingerprint: str
    subject: str
    body: str
    tier: str
    level: int  # numeric priority of the tier (RT's Priority field)
    severity: str  # warn | crit | unknown
    site: str
    target: str
    check: str
    item: str
    fields: dict[str, str] = field(default_factory=dict)
    due_response: datetime | None = None
    due_resolve: datetime | None = None


class BackendUnavailable(Exception):
    """The backend could not be reached or failed on its side (refused, timeout, 5xx).

    The outbox stops this drain and retries later with backoff.
    """


class BackendRejected(Exception):
    """The backend answered but refused or garbled the call (401, 403, 404, 4xx, not JSON).

    Only this fingerprint's queue waits (with backoff); the others carry on.
    """


@runtime_checkable
class TicketBackend(Protocol):
    name: str

    def find(self, fingerprint: str, *, resolved_since: datetime | None) -> RemoteTicket | None:
        """The newest ticket with this fingerprint that is active, or resolved at/after ``resolved_since``."""
        ...

    def open(self, ticket: NewTicket) -> RemoteTicket: ...

    def comment(self, key: str, fingerprint: str, text: str) -> None: ...

    def set_priority(self, key: str, fingerprint: str, tier: str, level: int) -> None: ...

    def resolve(self, key: str, fingerprint: str, text: str) -> None: ...

    def reopen(self, key: str, fingerprint: str, text: str) -> None: ...

    def acknowledge(self, key: str, fingerprint: str, text: str) -> None: ...


class DeadlineAware(Protocol):
    """Optional: a backend that keeps the SLA deadlines on the ticket (RT's Starts and Due)."""

    def set_deadlines(self, key: str, due_response: datetime, due_resolve: datetime) -> None: ...


class OwnerAware(Protocol):
    """Optional: a backend where acknowledging makes the engineer the ticket's owner (RT's Owner)."""

    def take(self, key: str, engineer: str) -> None: ...


class ResponseAware(Protocol):
    """Optional: a backend where engineers can take a ticket themselves (RT's Owner)."""

    def taken_by(self, key: str) -> str | None:
        """The engineer who took the ticket in the backend, or None."""
        ...
