"""Antivirus products configured by hand on Linux: a process that must run and signature file age."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from collectors.antivirus import AvProduct, ProductState, product_key
from collectors.base import CollectorIO
from collectors.messages import Messages
from collectors.platforms.linux.av_proc import process_names

NAME = "linux_third_party"


@dataclass(frozen=True, slots=True)
class ProductSample:
    name: str
    service: str | None
    running: bool | None
    realtime_service: str | None
    realtime_running: bool | None
    signature_path: str | None
    newest_file: str | None
    newest_mtime: float | None


def fetch(params: Any, io: CollectorIO) -> tuple[ProductSample, ...]:
    products = [p for p in params.third_party if p.platform == "linux"]
    if not products:
        return ()
    names = process_names(io)
    samples = []
    for p in products:
        newest, mtime = None, None
        if p.signature_path:
            for path in glob.glob(str(io.path(p.signature_path))):
                try:
                    m = os.stat(path).st_mtime
                except OSError:
                    continue
                if mtime is None or m > mtime:
                    newest, mtime = path, m
        samples.append(ProductSample(
            p.name, p.service, p.service[:15] in names if p.service else None,
            p.realtime_service, p.realtime_service[:15] in names if p.realtime_service else None,
            p.signature_path, newest, mtime))
    return tuple(samples)


def parse(samples: tuple[ProductSample, ...]) -> tuple[AvProduct, ...]:
    products = []
    for s in samples:
        if s.running is False:
            state, mode = ProductState.OFF, MSG.say("antivirus.linux_third_party.stopped", service=s.service)
        else:
            state, mode = ProductState.ON, (MSG.say("antivirus.linux_third_party.running", service=s.service) if s.service
                                            else MSG.say("antivirus.linux_third_party.no_process"))
        products.append(AvProduct(
            name=s.name, source=NAME, state=state, mode=mode, owner="third party", key=product_key(s.name),
            realtime=s.realtime_running,
            signatures_updated=datetime.fromtimestamp(s.newest_mtime, timezone.utc) if s.newest_mtime is not None else None,
            signatures_missing=MSG.say("antivirus.third_party.no_signature_file", path=s.signature_path) if s.signature_path and s.newest_file is None else None,
            signatures_checked=bool(s.signature_path),
            details=f"signature file {s.newest_file}" if s.newest_file else ""))
    return tuple(products)


# Patrol's own words (translated in reports); service names and paths are data. The missing
# signature file is said as the Windows third-party module says it (same id, same English).
MSG = Messages({
    "antivirus.linux_third_party.stopped": "{service} not running",
    "antivirus.linux_third_party.running": "{service} running",
    "antivirus.linux_third_party.no_process": "no process configured",
    "antivirus.third_party.no_signature_file": "no signature file matches {path}",
})
