"""Settings of automatic ticketing (see agent/ticketing and docs/ticketing.md)."""

from __future__ import annotations

from config.checks.base import Strict


class TicketingSettings(Strict):
    """Settings under ``ticketing:``."""
