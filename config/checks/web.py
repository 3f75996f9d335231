"""Settings of the web family: Browser path: configured URLs fetched as a browser would (item 1)."""

from __future__ import annotations

from config.checks.base import CheckParams


class WebParams(CheckParams):
    """Settings under ``checks.web``."""
