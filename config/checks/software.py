"""Settings of the software family: Required office software at allowed versions (item 7)."""

from __future__ import annotations

from config.checks.base import CheckParams


class SoftwareParams(CheckParams):
    """Settings under ``checks.software``."""
