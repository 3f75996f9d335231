"""Settings of the domain family: Domain trust, domain login and shares (item 6)."""

from __future__ import annotations

from config.checks.base import CheckParams


class DomainParams(CheckParams):
    """Settings under ``checks.domain``."""
