"""Settings of inspection reports and fault analysis (see agent/reports and docs/reports.md)."""

from __future__ import annotations

from config.checks.base import Strict


class ReportsSettings(Strict):
    """Settings under ``reports:``."""
