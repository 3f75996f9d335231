"""Which platform's data sources to use: chosen once, by a detect step, not in each check."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from types import ModuleType


def current_platform() -> str:
    """"windows" or "linux" (other Unix systems use the Linux sources where they work)."""
    return "windows" if sys.platform.startswith("win") else "linux"


def choose(platform: str, modules: Mapping[str, str]) -> ModuleType:
    """The module ``modules`` names for ``platform`` (imported on first use: a family only
    loads the source it runs), e.g. ``choose("windows", {"windows": "collectors.platforms.windows.printers"})``.
    """
    try:
        return importlib.import_module(modules[platform])
    except KeyError:
        raise ValueError(f"no data source for platform {platform!r} (known: {', '.join(sorted(modules))})") from None
