"""Which platform's data sources to use: chosen once, by a detect step, not in each check."""

from __future__ import annotations

import sys


def current_platform() -> str:
    """"windows" or "linux" (other Unix systems use the Linux sources where they work)."""
    return "windows" if sys.platform.startswith("win") else "linux"
