"""Settings of the switch family: Switch and router health over SNMP."""

from __future__ import annotations

from config.checks.base import CheckParams


class SwitchParams(CheckParams):
    """Settings under ``checks.switch``."""
