"""This computer's own view of its domain: the source module is chosen by platform (detect
step), this module only fetches through it and turns a broken answer into UNKNOWN."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from collectors.base import CollectorIO, FetchError, ParseError
from collectors.domain.model import MembershipStatus
from collectors.platforms.detect import choose
from config.checks.domain import DomainParams

SOURCES = {"windows": "collectors.platforms.windows.domain", "linux": "collectors.platforms.linux.domain"}


def membership_source(platform: str) -> ModuleType:
    """The platform module with ``fetch(io, params)`` and ``parse(raw)`` for membership."""
    return choose(platform, SOURCES)


def fetch_membership(io: CollectorIO, params: DomainParams) -> tuple[str, Any, str | None]:
    """(platform, what its source fetched, why it could not) for this computer."""
    platform = io.platform
    try:
        return platform, membership_source(platform).fetch(io, params), None
    except FetchError as exc:  # reported as UNKNOWN membership; the login tests still run
        return platform, None, str(exc)


def parse_membership(platform: str | None, raw: Any, error: str | None) -> tuple[MembershipStatus, ...] | None:
    """The statuses ``platform``'s source reads from ``raw``; None when membership was not fetched."""
    if error is not None:
        return (MembershipStatus("membership", "", None, error),)
    if platform is None:
        return None
    # A broken membership answer must not hide the login tests' results.
    try:
        return tuple(membership_source(platform).parse(raw))
    except ParseError as exc:
        return (MembershipStatus("membership", "", None, str(exc)),)
