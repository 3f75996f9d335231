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
    config_change: bool = False  # a switch: a recent netconfig.change with its diff


def device_runs(device: DemoDevice, at: datetime) -> list[CheckRun]:
    """One run of each family a device of this kind reports (made-up demo values)."""
    bad = device.problem
    note = "demo data, not a real device"
    if device.kind == "switch":
        return [CheckRun("switch", device.name, at, 0.4, tuple(_switch_results(device, at, note)))]
    if device.kind == "printer":
        return [CheckRun("printer_snmp", device.name, at, 0.2, (
            CheckResult("printer_snmp.supplies", device.name, "black toner", bad,
                        device.summary or "black toner 64%", note, observed_at=at),))]
    return [CheckRun("system", device.name, at, 0.1, (
        CheckResult("system.disk", device.name, "C:", bad, device.summary or "C: 41% used", note, observed_at=at),
        CheckResult("system.memory", device.name, "", State.OK, "memory 52% used", note, observed_at=at)))]


def _switch_results(device: DemoDevice, at: datetime, note: str) -> list[CheckResult]:
    """Shaped as collectors/switch.py writes them: switch.port per port (details with admin
    and oper, rate and utilization metrics), the switch.ports count, health sensors."""
    wave = (at.minute % 12) / 12  # values move a little between polls, so the sparklines show a line
    cpu = 12 + 20 * wave
    results = [CheckResult("switch.reachability", device.name, "", State.OK, "answers SNMP", note,
                           (Metric("response_time_seconds", 0.004 + 0.01 * wave, "seconds"),), observed_at=at),
               CheckResult("switch.cpu", device.name, "1", device.problem, device.summary or f"CPU {cpu:.0f}%", note,
                           (Metric("cpu_load_percent", cpu, "percent"),), observed_at=at),
               CheckResult("switch.temperature", device.name, "chassis", State.OK, f"{38 + 4 * wave:.1f} °C",
                           note, (Metric("temperature_celsius", 38 + 4 * wave, "celsius"),), observed_at=at),
               CheckResult("switch.fan", device.name, "fan 1", State.OK, "fan normal", note, observed_at=at),
               CheckResult("switch.psu", device.name, "PS 1", State.OK, "power supply normal", note, observed_at=at),
               CheckResult("switch.health", device.name, "", State.OK, "reads CPU 1, temperature 1, fans 1, "
                           "power supplies 1", note, observed_at=at)]
    admin_down = 0
    for i in range(1, device.ports + 1):
        down = i in device.down_ports
        if i == device.ports - 1 and device.ports > 4 and not down:
            # An uplink shut by hand: grey in the grid. (The switch family reports no
            # result for a shut access port: it is only counted in switch.ports.)
            admin_down += 1
            results.append(CheckResult("switch.port", device.name, f"Gi1/0/{i}", State.WARN,
                                       "uplink administratively down", f"ifIndex {i}; ifDescr GigabitEthernet1/0/{i}; "
                                       f"admin down; oper down; {note}", observed_at=at))
            continue
        in_pct = 0.0 if down else (i * 7 % 60) + 10 * wave
        metrics = () if down else (Metric("port_in_utilization_percent", in_pct, "percent"),
                                   Metric("port_out_utilization_percent", in_pct / 2, "percent"),
                                   Metric("port_errors_packets_per_second", 0.5 if i == 2 else 0.0,
                                          "packets_per_second"),
                                   Metric("port_errors_total", 1234.0 if i == 2 else 0.0, "total"))
        results.append(CheckResult("switch.port", device.name, f"Gi1/0/{i}", State.CRIT if down else State.OK,
                                   "went down since the last poll" if down else "up, 1 Gbit/s",
                                   f"ifIndex {i}; ifDescr GigabitEthernet1/0/{i}; admin up; oper "
                                   f"{'down' if down else 'up'}; {note}", metrics, observed_at=at))
    if device.ports:
        up = device.ports - len(device.down_ports) - admin_down
        results.append(CheckResult("switch.ports", device.name, "", State.OK,
                                   f"{device.ports} ports: {up} up, {len(device.down_ports)} down, {admin_down} "
                                   "administratively down (not alarmed)", note, observed_at=at))
    if device.config_change:
        diff = ("--- configs/{0}.cfg@1a2b3c4\n+++ configs/{0}.cfg@5d6e7f8\n@@ -10,3 +10,3 @@\n interface Gi1/0/3\n"
                "- description uplink\n+ description <b>moved</b> to rack 2\n shutdown").format(device.name)
        results.append(CheckResult("netconfig.change", device.name, "running-config", State.WARN,
                                   "configuration changed at (demo): +1 -1 lines (commit 5d6e7f8, before 1a2b3c4)",
                                   diff, observed_at=at))
    return results


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
