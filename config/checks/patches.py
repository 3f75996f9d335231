"""Settings of the patches family: Missing security updates and pending reboots (checklist item 4)."""

from __future__ import annotations

from config.checks.base import CheckParams


class PatchesParams(CheckParams):
    """Settings under ``checks.patches``."""
