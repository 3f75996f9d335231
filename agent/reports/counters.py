"""Port errors and discards since the last inspection, per switch (pure).

The switch check keeps each port's cumulative error and discard counters beside the rates
(metrics ``port_errors_total`` and ``port_discards_total`` of ``switch.port``). The report
takes, per port, the value at the end of this period minus the value at the end of the
previous one (the last inspection) and sums the ports. A counter lower than before was reset
(a reboot, a replaced line card): what it counts now all happened since, so that value is
taken, and the port is counted in ``restarted``. A port with no value in either period is
left out; a switch with no port in both periods has no figure (its first inspection).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from agent.reports.model import PortCounters

PORT_CHECK = "switch.port"
ERRORS, DISCARDS = "port_errors_total", "port_discards_total"


def _totals(raw: Any) -> dict[str, float]:
    if isinstance(raw, str):  # JSON columns come back as text from some drivers
        raw = json.loads(raw)
    return {m["name"]: float(m["value"]) for m in raw or () if m.get("name") in (ERRORS, DISCARDS)
            and isinstance(m.get("value"), (int, float)) and not m.get("labels")}


def _by_port(keys: Iterable[Any]) -> dict[str, dict[str, float]]:
    """port -> totals at the end of the period, from each (check, item)'s last stored result."""
    return {k.item: totals for k in keys if k.check == PORT_CHECK and (totals := _totals(k.last.last_metrics))}


def port_counters(current: Iterable[Any], previous: Iterable[Any]) -> PortCounters | None:
    now, before = _by_port(current), _by_port(previous)
    sums = {ERRORS: 0, DISCARDS: 0}
    ports = restarted = 0
    for port, totals in now.items():
        then = before.get(port)
        if not then or not any(name in then for name in totals):
            continue
        ports += 1
        reset = False
        for name, value in totals.items():
            if name not in then:
                continue
            if value >= then[name]:
                sums[name] += int(value - then[name])
            else:
                sums[name] += int(value)
                reset = True
        restarted += reset
    if not ports:
        return None
    return PortCounters(errors=sums[ERRORS], discards=sums[DISCARDS], ports=ports, restarted=restarted)
