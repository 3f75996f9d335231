"""One interface over Windows services and systemd units (chosen by ``io.platform``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from collectors.base import CollectorIO, CommandOutput
from collectors.platforms.detect import choose


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    name: str
    exists: bool
    running: bool
    detail: str


SOURCES = {"windows": "collectors.platforms.windows.services", "linux": "collectors.platforms.linux.services"}


def source_for(platform: str) -> ModuleType:
    """The module with ``fetch(names, io)`` and ``parse(names, output)`` for ``platform``."""
    return choose(platform, SOURCES)


def fetch_services(names: Sequence[str], io: CollectorIO) -> CommandOutput:
    return source_for(io.platform).fetch(names, io)
