"""How this computer's last shutdown ended: clean (planned) or unexpected (power loss, crash).

One interface over the platforms (chosen by ``io.platform``): Linux reads the wtmp records
(``last -x shutdown reboot``), Windows the System log's event ids (1074/6006 clean,
6008/41 unexpected). A reboot is only alarming when it was unexpected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from collectors.base import CollectorIO
from collectors.platforms.detect import choose

ShutdownKind = Literal["clean", "unexpected", "unknown"]


@dataclass(frozen=True, slots=True)
class LastShutdown:
    kind: ShutdownKind
    detail: str  # the evidence, for the summary: "shutdown record before this boot", "event 6008"


SOURCES = {"windows": "collectors.platforms.windows.shutdown", "linux": "collectors.platforms.linux.shutdown"}


def fetch_last_shutdown(io: CollectorIO) -> Any:
    return choose(io.platform, SOURCES).fetch(io)


def parse_last_shutdown(platform: str, raw: Any) -> LastShutdown:
    return choose(platform, SOURCES).parse(raw)
