"""What the device page shows beyond its results: the ports grid, the health sensors, the
sparklines of the last day and the configuration changes, from stored results.

Pure functions over CheckResults (the page's route reads the store); the sparklines are
SVG point lists computed here, so the page needs no chart library and no script.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from collectors.base import CheckResult, State

PORT_CHECK = "switch.port"  # one result per port (collectors/switch.py); "switch.ports" is the count
SENSOR_CHECKS = ("switch.health", "switch.temperature", "switch.fan", "switch.psu", "switch.cpu", "switch.memory")
CHANGE_CHECK = "netconfig.change"
SPARK_W, SPARK_H = 120, 24
MAX_SPARKS = 40
# collectors/switch.py writes "ifIndex 3; ifDescr Gi1/0/3; admin up; oper down" in a port's details.
_ADMIN = re.compile(r"(?:^|; )admin ([A-Za-z0-9]+)")
_OPER = re.compile(r"(?:^|; )oper ([A-Za-z0-9]+)")


@dataclass(frozen=True, slots=True)
class PortCell:
    name: str
    admin: str  # up | down | testing | ? (not known)
    oper: str  # up | down | dormant | notPresent | lowerLayerDown | ...  | ? (not known)
    state: State
    in_pct: float | None
    out_pct: float | None
    errors_per_s: float | None
    errors_total: float | None
    summary: str

    @property
    def css(self) -> str:
        """The cell's colour: admin down grey, oper up green, oper down red, else unknown."""
        if self.admin == "down":
            return "port-admin-down"
        if self.oper == "up":
            return "port-up"
        return "port-unknown" if self.oper in ("?", "unknown") else "port-down"


@dataclass(frozen=True, slots=True)
class Spark:
    check: str
    item: str
    metric: str
    unit: str
    last: float
    low: float
    high: float
    points: str  # "x,y x,y ..." for <polyline points=...>, in a SPARK_W x SPARK_H box
    state: State  # of the newest result


@dataclass(frozen=True, slots=True)
class ConfigChange:
    at: datetime
    summary: str
    lines: tuple[tuple[str, str], ...]  # (css class, text): add | del | hunk | meta | ctx


def _metric(result: CheckResult, name: str) -> float | None:
    return next((m.value for m in result.metrics if m.name == name), None)


def _port_sort_key(name: str) -> tuple[object, ...]:
    """Gi1/0/10 after Gi1/0/9: numbers compare as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def ports(results: Iterable[CheckResult]) -> list[PortCell]:
    cells = []
    for r in results:
        if r.check != PORT_CHECK:
            continue
        admin, oper = _ADMIN.search(r.details or ""), _OPER.search(r.details or "")
        cells.append(PortCell(r.item, admin.group(1) if admin else "?", oper.group(1) if oper else "?", r.state,
                              _metric(r, "port_in_utilization_percent"), _metric(r, "port_out_utilization_percent"),
                              _metric(r, "port_errors_packets_per_second"), _metric(r, "port_errors_total"),
                              r.summary))
    return sorted(cells, key=lambda c: _port_sort_key(c.name))


def sensors(results: Iterable[CheckResult]) -> list[CheckResult]:
    order = {check: i for i, check in enumerate(SENSOR_CHECKS)}
    return sorted((r for r in results if r.check in order), key=lambda r: (order[r.check], _port_sort_key(r.item)))


def sparklines(history: Sequence[CheckResult]) -> list[Spark]:
    """One line per (check, item) with a numeric metric, from ``history`` (oldest first):
    its first metric over time. Ports are left out (the grid shows them)."""
    series: dict[tuple[str, str], list[tuple[datetime, float, str, str, State]]] = {}
    for r in history:
        if r.check == PORT_CHECK or not r.metrics:
            continue
        m = r.metrics[0]
        series.setdefault((r.check, r.item), []).append((r.observed_at, float(m.value), m.name, m.unit or "", r.state))
    out = []
    for (check, item), points in sorted(series.items())[:MAX_SPARKS]:
        if len(points) < 2:
            continue
        values = [p[1] for p in points]
        low, high = min(values), max(values)
        t0, t1 = points[0][0], points[-1][0]
        span_t = (t1 - t0).total_seconds() or 1.0
        span_v = (high - low) or 1.0
        coords = " ".join(f"{(p[0] - t0).total_seconds() / span_t * SPARK_W:.1f},"
                          f"{SPARK_H - 2 - (p[1] - low) / span_v * (SPARK_H - 4):.1f}" for p in points)
        last = points[-1]
        out.append(Spark(check, item, last[2], last[3], last[1], low, high, coords, last[4]))
    return out


def diff_lines(text: str) -> tuple[tuple[str, str], ...]:
    out = []
    for line in text.splitlines():
        if line.startswith(("+++", "---")):
            kind = "meta"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        elif line.startswith("@@"):
            kind = "hunk"
        else:
            kind = "ctx"
        out.append((kind, line))
    return tuple(out)


def config_changes(history: Iterable[CheckResult], limit: int = 10) -> list[ConfigChange]:
    """Each configuration change netconfig reported with its diff, newest first, once each
    (the change result repeats every poll while it is recent)."""
    seen: dict[str, ConfigChange] = {}
    for r in history:
        if r.check == CHANGE_CHECK and r.state is not State.OK and r.details:
            seen.setdefault(r.summary, ConfigChange(r.observed_at, r.summary, diff_lines(r.details)))
    return sorted(seen.values(), key=lambda c: c.at, reverse=True)[:limit]
