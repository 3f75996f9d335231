"""Settings of the antivirus family: Antivirus installed, enabled and current; one product only (checklist items 3 and 10)."""

from __future__ import annotations

from config.checks.base import CheckParams


class AntivirusParams(CheckParams):
    """Settings under ``checks.antivirus``."""
