"""Settings of the hardware family: Devices without a driver and devices in an error state (items 8 and 9)."""

from __future__ import annotations

from config.checks.base import CheckParams


class HardwareParams(CheckParams):
    """Settings under ``checks.hardware``."""
