"""Port samples, counter deltas and reboot detection between two polls (pure).

What is kept between polls (see pollstate.py) is a small JSON document::

    {"at": 1763784000.0, "uptime": 492446481, "last_reboot_at": null,
     "ports": {"10101": {"n": "Gi0/1", "o": 1, "hc": true, "c": [in_oct, out_oct, in_err, out_err, in_disc, out_disc]}}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collectors.frozen import quick_init
from collectors.snmp.health import text

# IF-MIB columns walked for every port (ifTable 1.3.6.1.2.1.2.2.1, ifXTable 1.3.6.1.2.1.31.1.1.1)
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"          # IF-MIB::ifDescr
IF_TYPE = "1.3.6.1.2.1.2.2.1.3"           # IF-MIB::ifType
IF_SPEED = "1.3.6.1.2.1.2.2.1.5"          # IF-MIB::ifSpeed (bit/s, Gauge32: tops out at 4.29 Gbit/s)
IF_ADMIN = "1.3.6.1.2.1.2.2.1.7"          # IF-MIB::ifAdminStatus (1 up, 2 down, 3 testing)
IF_OPER = "1.3.6.1.2.1.2.2.1.8"           # IF-MIB::ifOperStatus (1 up, 2 down, ... 5 dormant, 7 lowerLayerDown)
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"     # IF-MIB::ifInOctets (Counter32)
IF_IN_DISCARDS = "1.3.6.1.2.1.2.2.1.13"   # IF-MIB::ifInDiscards
IF_IN_ERRORS = "1.3.6.1.2.1.2.2.1.14"     # IF-MIB::ifInErrors
IF_OUT_OCTETS = "1.3.6.1.2.1.2.2.1.16"    # IF-MIB::ifOutOctets (Counter32)
IF_OUT_DISCARDS = "1.3.6.1.2.1.2.2.1.19"  # IF-MIB::ifOutDiscards
IF_OUT_ERRORS = "1.3.6.1.2.1.2.2.1.20"    # IF-MIB::ifOutErrors
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"        # IF-MIB::ifName
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"    # IF-MIB::ifHCInOctets (Counter64)
IF_HC_OUT_OCTETS = "1.3.6.1.2.1.31.1.1.1.10"  # IF-MIB::ifHCOutOctets (Counter64)
IF_HIGH_SPEED = "1.3.6.1.2.1.31.1.1.1.15"     # IF-MIB::ifHighSpeed (Mbit/s)

PORT_COLUMNS = (IF_DESCR, IF_TYPE, IF_SPEED, IF_ADMIN, IF_OPER, IF_IN_OCTETS, IF_IN_DISCARDS, IF_IN_ERRORS,
                IF_OUT_OCTETS, IF_OUT_DISCARDS, IF_OUT_ERRORS, IF_NAME, IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS,
                IF_HIGH_SPEED)

TICKS_WRAP = 2**32  # sysUpTime is TimeTicks (1/100 s), a 32-bit value: wraps after 497 days
C32 = 2**32


def _int(table: Mapping[str, Any], index: str) -> int | None:
    value = table.get(index)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_INT_OR_NONE = frozenset({int, type(None)})


def _int_column(column: Mapping[str, Any], indexes: list[str]) -> list[int | None]:
    """``_int(column, i)`` for every index. The usual column holds only plain ints (and gaps),
    which the type test over the whole column shows at once; any other column is read by _int."""
    values = list(map(column.get, indexes))
    if not _INT_OR_NONE.issuperset(map(type, values)):
        values = [_int(column, index) for index in indexes]
    return values


@quick_init
@dataclass(frozen=True, slots=True)
class PortSample:
    index: str
    name: str
    descr: str
    if_type: int | None
    admin: int | None
    oper: int | None
    speed_bps: float | None
    hc: bool
    counters: tuple[int | None, ...]  # in_oct, out_oct, in_err, out_err, in_disc, out_disc


# A port is a row of ifTable/ifXTable (never ifNumber, which agents get wrong): any of these
# columns having the row is enough, so an agent without ifOperStatus still lists its ports.
_ROW_COLUMNS = (IF_OPER, IF_ADMIN, IF_DESCR, IF_TYPE, IF_NAME)
# Objects whose absence changes what the check can say, with the MIB name used in messages.
NAMED_COLUMNS = {IF_ADMIN: "IF-MIB::ifAdminStatus", IF_OPER: "IF-MIB::ifOperStatus", IF_DESCR: "IF-MIB::ifDescr",
                 IF_TYPE: "IF-MIB::ifType", IF_IN_ERRORS: "IF-MIB::ifInErrors", IF_IN_DISCARDS: "IF-MIB::ifInDiscards",
                 IF_IN_OCTETS: "IF-MIB::ifInOctets"}


def _row_indexes(tables: Mapping[str, Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for col in _ROW_COLUMNS:
        for index in tables.get(col, {}):
            seen.setdefault(index, None)
    if len(seen) > len(tables.get(IF_OPER, {})):  # rows merged from several columns: keep ifIndex order
        return sorted(seen, key=lambda i: tuple(int(p) for p in i.split(".") if p.isdigit()))
    return list(seen)


def missing_columns(tables: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """MIB names of the port columns the agent serves no row of, when it has ports at all."""
    if not any(tables.get(col) for col in _ROW_COLUMNS):
        return []
    return [name for col, name in NAMED_COLUMNS.items() if not tables.get(col)]


def port_samples(tables: Mapping[str, Mapping[str, Any]]) -> list[PortSample]:
    empty: Mapping[str, Any] = {}
    indexes = _row_indexes(tables)
    # Column by column rather than row by row: this runs for every port of every device; a
    # column's rows are looked up by map() (no bytecode per row) and checked all at once.
    (hc_ins, hc_outs, in_octs, out_octs, highs, lows, if_types, admins, opers,
     in_errs, out_errs, in_discs, out_discs) = [
        _int_column(tables.get(col, empty), indexes)
        for col in (IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_IN_OCTETS, IF_OUT_OCTETS, IF_HIGH_SPEED, IF_SPEED,
                    IF_TYPE, IF_ADMIN, IF_OPER, IF_IN_ERRORS, IF_OUT_ERRORS, IF_IN_DISCARDS, IF_OUT_DISCARDS)]
    descrs = map(tables.get(IF_DESCR, empty).get, indexes)
    names = map(tables.get(IF_NAME, empty).get, indexes)
    out = []
    for (index, hc_in, hc_out, in_oct, out_oct, high, low, if_type, admin, oper, in_err, out_err, in_disc, out_disc,
         raw_descr, raw_name) in zip(indexes, hc_ins, hc_outs, in_octs, out_octs, highs, lows, if_types, admins, opers,
                                     in_errs, out_errs, in_discs, out_discs, descrs, names):
        hc = hc_in is not None and hc_out is not None
        if hc:
            in_oct, out_oct = hc_in, hc_out
        # ifHighSpeed when it is set; ifSpeed otherwise (it saturates at 4294967295 for >4G links)
        speed = high * 1e6 if high else (float(low) if low else None)
        descr = text(raw_descr) or ""
        name = text(raw_name) or descr or f"ifIndex {index}"
        out.append(PortSample(index, name, descr, if_type, admin, oper, speed, hc,
                              (in_oct, out_oct, in_err, out_err, in_disc, out_disc)))
    return out


def detect_reboot(previous: Mapping[str, Any] | None, at: float, uptime_ticks: int) -> bool:
    """Whether the device booted since ``previous`` was polled, allowing for the 32-bit wrap.

    Without a reboot uptime ~= previous uptime + elapsed. It booted after the last poll when
    its uptime is shorter than the time since then, unless the TimeTicks counter wrapped
    (previous + elapsed passed 2^32 and the new value is where the wrap puts it).
    """
    if not previous or not isinstance(previous.get("uptime"), int) or not isinstance(previous.get("at"), (int, float)):
        return False
    elapsed = at - previous["at"]
    if elapsed <= 0:
        return False
    tolerance = 6000 + elapsed * 100 * 0.05  # 60 s plus 5 %: agents' clocks drift, polls are not instant
    expected = previous["uptime"] + elapsed * 100
    if abs(uptime_ticks - expected) <= tolerance:
        return False
    if expected >= TICKS_WRAP and abs(uptime_ticks - (expected - TICKS_WRAP)) <= tolerance:
        return False  # wrapped, did not reboot
    return uptime_ticks < elapsed * 100 - tolerance or uptime_ticks < previous["uptime"]


def next_state(previous: Mapping[str, Any] | None, at: float, uptime_ticks: int | None,
               samples: list[PortSample]) -> dict[str, Any]:
    rebooted = uptime_ticks is not None and detect_reboot(previous, at, uptime_ticks)
    last_reboot = at - uptime_ticks / 100 if rebooted and uptime_ticks is not None \
        else (previous or {}).get("last_reboot_at")
    return {"at": at, "uptime": uptime_ticks, "last_reboot_at": last_reboot,
            "ports": {p.index: {"n": p.name, "o": p.oper, "hc": p.hc, "c": list(p.counters)} for p in samples}}


def counter_delta(current: int | None, previous: Any, bits: int) -> tuple[int | None, str | None]:
    """The increase of a counter, or None with the reason it cannot be trusted.

    A 32-bit counter that went down wrapped when the wrapped increase is under half its
    range; otherwise it was reset (clear counters, module swap). A 64-bit counter never
    wraps in practice: going down means reset, and the sample is ignored.
    """
    if current is None or not isinstance(previous, int):
        return None, None
    if current >= previous:
        return current - previous, None
    if bits == 32 and current + C32 - previous < C32 // 2:
        return current + C32 - previous, None
    return None, "counter went backwards (reset?); rate skipped this poll"


@quick_init
@dataclass(frozen=True, slots=True)
class PortRates:
    in_bps: float | None = None
    out_bps: float | None = None
    errors_per_s: float | None = None
    discards_per_s: float | None = None
    note: str | None = None


NO_RATES = PortRates()  # one object for every port of a first poll (it is frozen)


def port_rates(sample: PortSample, previous: Mapping[str, Any] | None, elapsed: float, rebooted: bool) -> PortRates:
    if not previous or elapsed <= 0:
        return NO_RATES
    if rebooted:
        return PortRates(note="device rebooted: counters restarted, rates from the next poll")
    if previous.get("n") != sample.name or bool(previous.get("hc")) != sample.hc:
        return PortRates(note="port renumbered or counter type changed; rates from the next poll")
    prev = previous.get("c")
    if not isinstance(prev, list) or len(prev) != 6:
        return NO_RATES
    notes = []
    deltas: list[int | None] = []
    for i, cur in enumerate(sample.counters):
        was = prev[i]
        # The common case first (a counter that went up), without a call: this runs for six
        # counters of every port of every device. ``type(...) is int`` leaves bools and other
        # odd values to counter_delta, which decides exactly as before.
        if cur is not None and type(was) is int and cur >= was:
            deltas.append(cur - was)
            continue
        d, why = counter_delta(cur, was, 64 if (i < 2 and sample.hc) else 32)
        if why:
            notes.append(why)
        deltas.append(d)
    in_bps = deltas[0] * 8 / elapsed if deltas[0] is not None else None
    out_bps = deltas[1] * 8 / elapsed if deltas[1] is not None else None
    if sample.speed_bps:
        limit = sample.speed_bps * 1.2  # beyond line rate: a counter discontinuity, not traffic
        if (in_bps or 0) > limit or (out_bps or 0) > limit:
            notes.append("traffic above line rate (counter discontinuity?); rate skipped this poll")
            in_bps = out_bps = None
    errors = _sum_rate(deltas[2], deltas[3], elapsed)
    discards = _sum_rate(deltas[4], deltas[5], elapsed)
    return PortRates(in_bps, out_bps, errors, discards, "; ".join(dict.fromkeys(notes)) if notes else None)


def _sum_rate(a: int | None, b: int | None, elapsed: float) -> float | None:
    if a is None and b is None:
        return None
    return ((a or 0) + (b or 0)) / elapsed
