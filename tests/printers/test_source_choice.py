"""The detect step's module choice (collectors/platforms/detect.py) for the families that use it."""

from __future__ import annotations

import pytest

from collectors import hardware, printers, software
from collectors.platforms.detect import choose


@pytest.mark.parametrize("family, platform, module", [
    (printers, "windows", "collectors.platforms.windows.printers"),
    (printers, "linux", "collectors.platforms.linux.printers"),
    (software, "windows", "collectors.platforms.windows.software"),
    (software, "linux", "collectors.platforms.linux.software"),
    (hardware, "windows", "collectors.platforms.windows.hardware"),
    (hardware, "linux", "collectors.platforms.linux.hardware"),
], ids=lambda v: getattr(v, "__name__", v))
def test_each_platform_gets_its_own_source(family, platform: str, module: str) -> None:
    assert choose(platform, family.SOURCES).__name__ == module


def test_a_platform_without_a_source_is_named() -> None:
    with pytest.raises(ValueError, match="no data source for platform 'darwin' \\(known: linux, windows\\)"):
        choose("darwin", printers.SOURCES)
