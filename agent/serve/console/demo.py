"""A demo site for the console: switches with ports, printers and PCs with stored results.

Used by the console's browser tests, bench/console.py and scripts/console_screenshots.py,
so the three look at the same kind of site. The results are made up (marked as such in
their details); names come in from the caller, so a test can put hostile text in them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from collectors.base import CheckResult, CheckRun, Metric, State


@dataclass(frozen=True)
class DemoDevice:
    name: str
    kind: str  # switch | printer | pc
    ports: int = 0
    down_ports: Sequence[int] = ()
    problem: State = State.OK
    summary: str = ""


def device_runs(device: DemoDevice, at: datetime) -> list[CheckRun]:
    """One run of each family a device of this kind reports (made-up demo values)."""
    bad = device.problem
    note = "demo data, not a real device"
    if device.kind == "switch":
        results = [CheckResult("switch.reachability", device.name, "", State.OK, "answers SNMP", note, observed_at=at),
                   CheckResult("switch.cpu", device.name, "", bad, device.summary or "CPU 12%", note,
                               (Metric("switch_cpu_ratio", 0.12),), observed_at=at)]
        for i in range(1, device.ports + 1):
            down = i in device.down_ports
            results.append(CheckResult("switch.ports", device.name, f"Gi1/0/{i}", State.CRIT if down else State.OK,
                                       "admin up, oper down" if down else "up 1 Gbit/s", note, observed_at=at))
        return [CheckRun("switch", device.name, at, 0.4, tuple(results))]
    if device.kind == "printer":
        return [CheckRun("printer_snmp", device.name, at, 0.2, (
            CheckResult("printer_snmp.supplies", device.name, "black toner", bad,
                        device.summary or "black toner 64%", note, observed_at=at),))]
    return [CheckRun("system", device.name, at, 0.1, (
        CheckResult("system.disk", device.name, "C:", bad, device.summary or "C: 41% used", note, observed_at=at),
        CheckResult("system.memory", device.name, "", State.OK, "memory 52% used", note, observed_at=at)))]


def demo_devices(count: int, ports: int = 48, prefix: str = "") -> list[DemoDevice]:
    """``count`` devices: a tenth switches (every seventh with a port down), a tenth
    printers, the rest PCs; every eleventh device has a problem."""
    out = []
    for i in range(count):
        problem = State.WARN if i % 11 == 5 else State.CRIT if i % 11 == 10 else State.OK
        if i % 10 == 0:
            out.append(DemoDevice(f"{prefix}sw-{i:03d}", "switch", ports, (3,) if i % 7 == 0 else (), problem))
        elif i % 10 == 1:
            out.append(DemoDevice(f"{prefix}prn-{i:03d}", "printer", problem=problem))
        else:
            out.append(DemoDevice(f"{prefix}pc-{i:03d}", "pc", problem=problem))
    return out


def seed(store: object, devices: Sequence[DemoDevice], now: datetime, cycles: int = 2,
         every: timedelta = timedelta(minutes=5)) -> list[list[CheckRun]]:
    """Store ``cycles`` rounds of results (the last at ``now``); returns the runs per round,
    so a caller can hand them to the ticket engine as `patrol serve` would."""
    rounds = []
    for c in range(cycles):
        at = now - every * (cycles - 1 - c)
        runs = [run for d in devices for run in device_runs(d, at)]
        store.record_runs(runs)  # type: ignore[attr-defined]
        rounds.append(runs)
    return rounds
