"""The ``assets`` check family: capture this computer's (and the site's devices') asset snapshot.

One result per target, ``assets.capture``:

- a full capture: OK, the summary says what was found and what could not be read; the
  details hold the snapshot's canonical JSON, which the cycle's recorder files into the
  asset archive (agent/assets/intake.py) and, on an enrolled agent, the push sends to the
  collector (agent/run/asset_push.py) before the result itself goes anywhere;
- no capture due (the quick fingerprint matches and the last full capture is younger than
  ``full_every_h``): OK, "unchanged since ...", no details.

A capture that fails altogether (PowerShell missing, an SNMP device silent) is the
runner's UNKNOWN, as for any check; a part that cannot be read is a gap inside the
snapshot, not a failure.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from agent.assets.model import AssetSnapshot, canonical_json
from agent.assets.schedule import STATE_FILE, CaptureState, due, load_state, quick_fingerprint, save_state
from collectors.base import CheckResult, CollectorIO, Metric, State
from config.checks.assets import AssetsParams
from inventory.models import Host, Inventory, NetworkDevice, Printer

CHECK = "assets.capture"


@dataclass(frozen=True)
class CaptureRaw:
    platform: str  # linux | windows | snmp
    payload: Any  # LinuxSample | CommandOutput | SnmpSample; None when no capture was due
    captured_at: datetime
    reason: str | None  # why it was captured; None: skipped
    last_at: datetime | None  # the previous full capture


@dataclass(frozen=True)
class Capture:
    snapshot: AssetSnapshot | None
    reason: str | None
    last_at: datetime | None


def _state_path(io: CollectorIO, target: Any) -> Any:
    if isinstance(target, Host):
        return io.state_dir / STATE_FILE
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", target.name)  # inventory names are already this, but a path is a path
    return io.state_dir / "assets" / f"capture-state-{safe}.json"


def _capture_sync(io: CollectorIO, params: AssetsParams, platform: str) -> Any:
    if platform == "windows":
        from agent.assets.capture import windows

        return windows.fetch(io, params.command_timeout_s)
    from agent.assets.capture import linux

    return linux.fetch(io, timeout=params.command_timeout_s)


def _gib(value: int | None) -> str:
    return f"{value / 2**30:.0f} GiB" if value else "? GiB"


def describe(snapshot: AssetSnapshot) -> str:
    """One line for the summary: what this is and how much was read."""
    ident = snapshot.identity
    what = " ".join(filter(None, (ident.maker, ident.model))) or "unidentified"
    if snapshot.kind == "computer":
        parts = [what, f"{len(snapshot.cpus)} CPU(s)", f"{_gib(snapshot.memory_bytes)} in {len(snapshot.memory)} module(s)",
                 f"{len(snapshot.disks)} disk(s)", f"{len(snapshot.software)} program(s)"]
    else:
        parts = [what, f"{len(snapshot.components)} component(s)"]
        if snapshot.network and snapshot.network.version:
            parts.append(f"software {snapshot.network.version}")
        if snapshot.counters:
            parts.append(f"{sum(c.count for c in snapshot.counters)} pages")
    text = ", ".join(parts)
    if snapshot.gaps:
        text += f"; not readable: {', '.join(g.part for g in snapshot.gaps[:4])}" + (
            f" (+{len(snapshot.gaps) - 4} more)" if len(snapshot.gaps) > 4 else "")
    return text


class AssetsCollector:
    name: ClassVar[str] = "assets"
    params_model: ClassVar[type[AssetsParams]] = AssetsParams

    def targets(self, params: AssetsParams, inventory: Inventory) -> Sequence[Host | NetworkDevice | Printer]:
        devices = [t for t in (*inventory.network_devices, *inventory.printers) if t.snmp is not None] \
            if params.devices else []
        return (inventory.local, *devices)

    async def fetch(self, target: Host | NetworkDevice | Printer, params: AssetsParams, io: CollectorIO) -> CaptureRaw:
        now = io.clock()
        path = _state_path(io, target)
        state = load_state(path)
        full_every_s = params.full_every_h * 3600
        if not isinstance(target, Host):
            reason = due(state, "snmp", now, full_every_s)
            if reason is None:
                return CaptureRaw("snmp", None, now, None, state.captured_at)
            from agent.assets.capture import snmp

            sample = await snmp.fetch(target, io)
            save_state(path, CaptureState("snmp", now))
            return CaptureRaw("snmp", sample, now, reason, state.captured_at)
        platform = "windows" if io.platform == "windows" else "linux"
        quick = await asyncio.to_thread(quick_fingerprint, io, params.command_timeout_s)
        reason = due(state, quick, now, full_every_s)
        if reason is None:
            return CaptureRaw(platform, None, now, None, state.captured_at)
        payload = await asyncio.to_thread(_capture_sync, io, params, platform)
        # Saved once the raw capture is in hand: a parse error (a bug) then waits for the next
        # daily capture instead of re-running the whole capture every hour.
        save_state(path, CaptureState(quick, now))
        return CaptureRaw(platform, payload, now, reason, state.captured_at)

    def parse(self, raw: CaptureRaw) -> Capture:
        if raw.payload is None:
            return Capture(None, None, raw.last_at)
        if raw.platform == "windows":
            from agent.assets.capture import windows

            return Capture(windows.parse(raw.payload, raw.captured_at), raw.reason, raw.last_at)
        if raw.platform == "snmp":
            from agent.assets.capture import snmp

            return Capture(snmp.parse(raw.payload, raw.captured_at), raw.reason, raw.last_at)
        from agent.assets.capture import linux

        return Capture(linux.parse(raw.payload, raw.captured_at), raw.reason, raw.last_at)

    def evaluate(self, model: Capture, params: AssetsParams, target: Host | NetworkDevice | Printer,
                 now: datetime) -> Iterable[CheckResult]:
        if model.snapshot is None:
            last = model.last_at.isoformat(timespec="minutes") if model.last_at else "?"
            nxt = (model.last_at + timedelta(hours=params.full_every_h)).isoformat(timespec="minutes") \
                if model.last_at else "?"
            yield CheckResult(CHECK, target.name, "", State.OK,
                              f"unchanged since the capture of {last} (quick check); next full capture by {nxt}",
                              observed_at=now)
            return
        snap = model.snapshot
        metrics = (Metric("asset_gaps_count", len(snap.gaps), "count"),
                   Metric("asset_programs_count", len(snap.software), "count"))
        yield CheckResult(CHECK, target.name, "", State.OK, f"captured ({model.reason}): {describe(snap)}",
                          canonical_json(snap), metrics, now)
