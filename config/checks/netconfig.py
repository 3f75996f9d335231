"""Settings of the netconfig family: Configuration backup of network devices over SSH."""

from __future__ import annotations

from config.checks.base import CheckParams


class NetconfigParams(CheckParams):
    """Settings under ``checks.netconfig``."""
