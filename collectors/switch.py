"""Switch and router health over SNMP: reachability, uptime and reboots, ports, CPU,
memory, temperature, fans and power supplies (the vendor part comes from a profile).

Checks (``CheckResult.check``) and items:
- ``switch.reachability`` (""): answers SNMP, first round trip; CRIT when it does not.
- ``switch.uptime`` (""): sysUpTime; WARN for ``reboot_hold_s`` after a detected reboot.
- ``switch.port`` (ifName): oper/admin status and changes since the last poll, uplinks
  down CRIT, error/discard rates and utilization from counter deltas.
- ``switch.ports`` (""): how many ports are up, down and administratively down (never
  alarmed: an admin-down port is a decision, not a fault).
- ``switch.cpu`` / ``switch.memory`` / ``switch.temperature`` / ``switch.fan`` /
  ``switch.psu`` (sensor name): from the device profile (collectors/snmp/profiles/), or
  from the standard MIBs (the ``generic`` profile) for a reading the profile cannot get.
- ``switch.health`` (""): which of CPU, memory, temperature, fans and power supplies the
  device gives, which it does not (named with the objects tried), sensors whose value
  means "not supported", and objects the agent does not serve (sysUpTime.0, ifAdminStatus).
  Never silent: a device that gives no reading says so here.
- ``switch.neighbors`` (""): the LLDP and CDP neighbours (local port, remote system and
  port, chassis id, management address), one JSON object per line in the details; the
  topology store (agent/topology) keeps them with history.
- ``switch.neighbor`` (uplink port): the neighbour last seen behind an inventory uplink is
  gone (``neighbor_lost``), until it is back or ``neighbor_forget_s`` has passed.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from collectors.base import CheckResult, CollectorIO, MessageRef, Metric, ParseError, State, threshold_state
from collectors.frozen import quick_init
from collectors.messages import Messages, Said
from collectors.snmp import neighbors as N
from collectors.snmp import ports as P
from collectors.snmp.client import SnmpTimeout, SnmpWalkError, open_client, set_site_limit
from collectors.snmp.health import Health, fallback_sections, read_health, text
from collectors.snmp.pollstate import poll_state_for
from collectors.snmp.profiles import SECTIONS, Profile, load_profiles, select
from config.checks.switch import SwitchParams

SYS_DESCR = "1.3.6.1.2.1.1.1.0"      # SNMPv2-MIB::sysDescr.0
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"  # SNMPv2-MIB::sysObjectID.0
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"     # SNMPv2-MIB::sysUpTime.0 (TimeTicks, 1/100 s)
SYS_NAME = "1.3.6.1.2.1.1.5.0"       # SNMPv2-MIB::sysName.0
SYSTEM_OIDS = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME)

_STATES = {"ok": State.OK, "warn": State.WARN, "crit": State.CRIT, "unknown": State.UNKNOWN}
ADMIN_NAMES = {1: "up", 2: "down", 3: "testing"}
OPER_NAMES = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"}


@dataclass(frozen=True)
class SwitchPoll:
    """What fetch brought back (the raw sample of this check)."""

    at: float
    uplinks: tuple[str, ...] = ()
    unreachable: str | None = None
    response_time_s: float | None = None
    system: Mapping[str, Any] = field(default_factory=dict)
    profile: Profile | None = None
    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    previous: Mapping[str, Any] | None = None
    fallback: Profile | None = None         # the standard-MIB profile read where ``profile`` has nothing
    fallback_for: tuple[str, ...] = ()      # the sections it was walked for
    forget_s: float = 7 * 86400.0           # how long a lost uplink neighbour is remembered
    neighbor_error: str | None = None       # why the neighbour tables could not be walked
    # the port rows fetch already made of ``tables`` (for the poll state); parse reuses them
    # rather than reading the IF-MIB columns a second time. None: parse makes them.
    samples: tuple[P.PortSample, ...] | None = None
    # likewise the neighbours fetch read from ``tables`` for the uplinks' memory (None: parse reads them)
    neighbors: tuple[N.Neighbor, ...] | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Port:
    sample: P.PortSample
    was_oper: int | None
    rates: P.PortRates
    uplink: bool


@dataclass(frozen=True)
class SwitchModel:
    unreachable: str | None
    response_time_s: float | None = None
    sys_name: str = ""
    profile: str = ""
    uptime_s: float | None = None           # None: the agent does not serve sysUpTime.0
    rebooted_now: bool = False
    last_reboot_at: float | None = None
    at: float = 0.0
    ports: tuple[Port, ...] = ()
    missing_uplinks: tuple[str, ...] = ()
    health: Health = Health()
    missing_objects: tuple[str, ...] = ()   # MIB objects the agent does not serve, named for switch.health
    neighbors: tuple[N.Neighbor, ...] = ()
    neighbor_error: str | None = None
    lost_neighbors: tuple[tuple[str, tuple[str, ...], float], ...] = ()  # (uplink, names gone, last seen)


def _uptime(system: Mapping[str, Any]) -> int | None:
    """sysUpTime.0 in ticks, or None when the agent does not serve it (a partial agent still
    gives every other reading); a value of the wrong type is a broken agent."""
    value = system.get(SYS_UPTIME)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ParseError(f"sysUpTime.0 is {type(value).__name__}, not TimeTicks: not an SNMP agent we can read")
    return value


class SwitchCollector:
    name: ClassVar[str] = "switch"
    params_model: ClassVar[type] = SwitchParams

    def targets(self, params: SwitchParams, inventory: Any) -> list[Any]:
        return [d for d in inventory.network_devices if d.snmp is not None]

    async def fetch(self, target: Any, params: SwitchParams, io: CollectorIO) -> SwitchPoll:
        set_site_limit(params.site_concurrency)
        profiles = load_profiles(*([params.profiles_dir] if params.profiles_dir else []))
        state = poll_state_for(io, self.name)
        async with open_client(target.address, target.snmp, io.resolve_secret,
                               bulk_varbinds=params.bulk_varbinds, max_rows=params.max_rows) as snmp:
            await snmp.connect()  # socket and (v3) engine set-up are not the device's response time
            t0 = time.monotonic()
            try:
                system = await snmp.get(SYSTEM_OIDS)
            except SnmpTimeout as exc:
                return SwitchPoll(at=io.clock().timestamp(), uplinks=target.uplinks, unreachable=str(exc))
            rtt = time.monotonic() - t0
            oid = system.get(SYS_OBJECT_ID)
            profile = select(oid if isinstance(oid, str) else None, profiles, target.snmp_profile)
            uptime = _uptime(system)
            tables = await snmp.walk([*P.PORT_COLUMNS, *profile.columns()])
            neighbor_error = None
            if params.neighbors:
                # A walk of its own: a broken LLDP table (a real Ruijie core switch lists its
                # rows out of order) costs the neighbours, never the health readings.
                try:
                    tables = {**tables, **await snmp.walk(N.COLUMNS)}
                except SnmpWalkError as exc:
                    neighbor_error = f"LLDP-MIB/CISCO-CDP-MIB neighbours: {exc}"
            # Readings the profile could not get come from the standard MIBs: a second walk,
            # only for devices that need it (a complete vendor profile costs nothing more).
            fallback = profiles.get("generic")
            sections = fallback_sections(profile, tables, fallback)
            if sections and fallback is not None:
                tables = {**tables, **await snmp.walk(
                    [c for c in fallback.columns(sections) if c not in tables])}
        at = io.clock().timestamp()
        previous = state.load(target.name)
        samples = P.port_samples(tables)
        saved = P.next_state(previous, at, uptime, samples)
        uplink_ports = _uplink_ports(samples, target.uplinks)
        neighbors = None
        if uplink_ports:  # only uplinks' neighbours are remembered between polls
            neighbors = N.parse_neighbors(tables)
            saved["nb"] = N.remember_uplinks((previous or {}).get("nb"), at, neighbors,
                                             uplink_ports, params.neighbor_forget_s)
        state.save(target.name, saved)
        return SwitchPoll(at, target.uplinks, None, rtt, system, profile, tables, previous, fallback, sections,
                          params.neighbor_forget_s, neighbor_error, tuple(samples), neighbors)

    def parse(self, raw: SwitchPoll) -> SwitchModel:
        if raw.unreachable:
            return SwitchModel(unreachable=raw.unreachable, at=raw.at)
        uptime = _uptime(raw.system)
        prev = raw.previous or {}
        rebooted = uptime is not None and P.detect_reboot(raw.previous, raw.at, uptime)
        last_reboot = raw.at - uptime / 100 if rebooted and uptime is not None else prev.get("last_reboot_at")
        elapsed = raw.at - prev["at"] if isinstance(prev.get("at"), (int, float)) else 0.0
        prev_ports = prev.get("ports") if isinstance(prev.get("ports"), dict) else {}
        wanted = {u.lower() for u in raw.uplinks}
        found: set[str] = set()
        ports = []
        for sample in raw.samples if raw.samples is not None else P.port_samples(raw.tables):
            uplink = False
            if wanted:  # most devices name no uplink: no lower-casing and set work for their ports
                keys = {sample.name.lower(), sample.descr.lower()} & wanted
                found |= keys
                uplink = bool(keys)
            before = prev_ports.get(sample.index)
            before = before if isinstance(before, dict) else None
            rates = P.port_rates(sample, before, elapsed, rebooted)
            was = before.get("o") if before and before.get("n") == sample.name else None
            ports.append(Port(sample, was if isinstance(was, int) else None, rates, uplink))
        missing = tuple(u for u in raw.uplinks if u.lower() not in found)
        health = read_health(raw.profile, raw.tables, raw.fallback, raw.fallback_for) if raw.profile else Health()
        objects = ([] if uptime is not None else ["SNMPv2-MIB::sysUpTime.0"]) + P.missing_columns(raw.tables)
        neighbors = raw.neighbors if raw.neighbors is not None else N.parse_neighbors(raw.tables)
        lost = N.lost_on_uplinks(prev.get("nb"), raw.at, neighbors,
                                 tuple(p.sample.name for p in ports if p.uplink), raw.forget_s)
        return SwitchModel(None, raw.response_time_s, text(raw.system.get(SYS_NAME)) or "",
                           raw.profile.name if raw.profile else "", uptime / 100 if uptime is not None else None,
                           rebooted, last_reboot if isinstance(last_reboot, (int, float)) else None, raw.at,
                           tuple(ports), missing, health, tuple(objects), neighbors, raw.neighbor_error, lost)

    def evaluate(self, model: SwitchModel, params: SwitchParams, target: Any, now: datetime) -> Iterable[CheckResult]:
        def result(check: str, item: str, state: State, said: Said, details: str = "",
                   metrics: tuple[Metric, ...] = ()) -> CheckResult:
            return CheckResult(f"switch.{check}", target.name, item, state, said.text, details, metrics, now, said.ref)

        if model.unreachable:
            yield result("reachability", "", _STATES[params.unreachable],
                         MSG.say("switch.unreachable", detail=model.unreachable))
            return
        rtt = model.response_time_s or 0.0
        notes = "\n".join(model.health.notes)
        yield result("reachability", "", threshold_state(rtt, params.response_time_s.warn, params.response_time_s.crit),
                     MSG.say("switch.answers", ms=rtt * 1000, profile=model.profile), notes,
                     (Metric("response_time_seconds", rtt, "seconds"),))
        yield from self._uptime(model, params, result)
        yield self._port_counts(model, result)
        yield from self._ports(model, params, result)
        yield from self._health(model, params, result)
        yield self._readable(model, params, result)
        yield from self._neighbors(model, params, result)

    def _neighbors(self, model: SwitchModel, params: SwitchParams, result: Any) -> Iterable[CheckResult]:
        if params.neighbors and model.neighbor_error:
            yield result("neighbors", "", State.UNKNOWN, MSG.say("switch.neighbors.unreadable"), model.neighbor_error)
        elif params.neighbors:
            counts = {p: sum(1 for n in model.neighbors if n.protocol == p) for p in ("lldp", "cdp")}
            n = len(model.neighbors)
            summary = (MSG.say("switch.neighbors.none") if not n else
                       MSG.say("switch.neighbors.one" if n == 1 else "switch.neighbors.many", n=n,
                               lldp=counts["lldp"], cdp=counts["cdp"]))
            details = "\n".join(_NEIGHBOR_JSON(n.as_dict()) for n in model.neighbors)
            yield result("neighbors", "", State.OK, summary, details,
                         (Metric("neighbors_count", len(model.neighbors), "count"),))
        for port, gone, seen in model.lost_neighbors:
            ago = _duration(max(0.0, model.at - seen))
            yield result("neighbor", port, _STATES[params.neighbor_lost],
                         MSG.say("switch.neighbor.gone", names=", ".join(gone), port=port, ago=ago),
                         "LLDP/CDP no longer list it on this port: cable, remote switch or its LLDP/CDP down?")

    def _uptime(self, model: SwitchModel, params: SwitchParams, result: Any) -> Iterable[CheckResult]:
        if model.uptime_s is None:
            yield result("uptime", "", State.UNKNOWN, MSG.say("switch.uptime.unreadable"),
                         "no uptime, so no reboot detection; every other reading is still taken")
            return
        uptime = model.uptime_s
        metrics = (Metric("uptime_seconds", uptime, "seconds"),)
        recent = model.last_reboot_at is not None and model.at - model.last_reboot_at < params.reboot_hold_s
        if model.rebooted_now or recent:
            yield result("uptime", "", State.WARN, MSG.say("switch.uptime.rebooted", up=_duration(uptime)),
                         "sysUpTime went back since the previous poll (not a 32-bit TimeTicks wrap)", metrics)
        else:
            yield result("uptime", "", State.OK, MSG.say("switch.uptime", up=_duration(uptime)), metrics=metrics)

    def _port_counts(self, model: SwitchModel, result: Any) -> CheckResult:
        """Counts over every ifTable row (never ifNumber): up, down, administratively down."""
        total = len(model.ports)
        admin_down = sum(1 for p in model.ports if p.sample.admin == 2)
        up = sum(1 for p in model.ports if p.sample.oper == 1)
        down = total - up - admin_down
        summary = MSG.say("switch.ports", total=total, up=up, down=down, admin_down=admin_down)
        return result("ports", "", State.OK, summary, "counted from the ifTable rows",
                      (Metric("ports_count", total, "count"), Metric("ports_up_count", up, "count"),
                       Metric("ports_down_count", down, "count"),
                       Metric("ports_admin_down_count", admin_down, "count")))

    def _ports(self, model: SwitchModel, params: SwitchParams, result: Any) -> Iterable[CheckResult]:
        for name in model.missing_uplinks:
            yield result("port", name, State.UNKNOWN, MSG.say("switch.port.uplink_missing", name=name))
        limits = _PortLimits.of(params)
        port_types = params.port_types
        for port in model.ports:
            s = port.sample
            # admin None: the agent does not serve ifAdminStatus; its ports are still reported
            if not port.uplink and (s.if_type not in port_types or s.admin not in (1, None)):
                continue
            yield self._port(port, limits, result)

    def _port(self, port: Port, limits: _PortLimits, result: Any) -> CheckResult:
        """One port's result. Runs for every port of every switch (a site's most made result),
        so: refs of the common sentences are made once (_port_lead, _port_said), thresholds are
        read once per poll (_PortLimits), only states worse than OK are kept for State.worst,
        and metric names are constants."""
        s, r = port.sample, port.rates
        state, mid, oper = _port_lead(s, port, limits)
        problems: list[State] = [] if state is None or state is State.OK else [state]
        extra: list[MessageRef] = []  # parts after the speed: thresholds crossed (rare)
        metrics = []
        speed = s.speed_bps
        if r.in_bps is not None or r.out_bps is not None:  # none in a first poll: no loop to set up
            for value, ref_id, metric, util_metric in ((r.in_bps, "switch.port.in_utilization", _M_IN_BPS, _M_IN_UTIL),
                                                       (r.out_bps, "switch.port.out_utilization", _M_OUT_BPS,
                                                        _M_OUT_UTIL)):
                if value is None:
                    continue
                metrics.append(Metric(metric, value, "bits_per_second"))
                if speed:
                    pct = 100.0 * value / speed
                    metrics.append(Metric(util_metric, pct, "percent"))
                    st = threshold_state(pct, limits.util_warn, limits.util_crit)
                    if st is not State.OK:
                        problems.append(st)
                        extra.append(MSG.ref(ref_id, pct=pct))
        if r.errors_per_s is not None or r.discards_per_s is not None:
            for value, ref_id, warn, crit, metric in (
                    (r.errors_per_s, "switch.port.errors_rate", limits.errors_warn, limits.errors_crit, _M_ERRORS),
                    (r.discards_per_s, "switch.port.discards_rate", limits.discards_warn, limits.discards_crit,
                     _M_DISCARDS)):
                if value is None:
                    continue
                metrics.append(Metric(metric, value, "packets_per_second"))
                st = threshold_state(value, warn, crit)
                if st is not State.OK:
                    problems.append(st)
                    extra.append(MSG.ref(ref_id, rate=value))
        # Cumulative counters beside the rates: the report shows errors since the last inspection.
        c = s.counters
        for a, b, metric in ((c[2], c[3], "port_errors_total"), (c[4], c[5], "port_discards_total")):
            if a is not None or b is not None:
                metrics.append(Metric(metric, float((a or 0) + (b or 0)), "total"))
        if extra:
            lead = _lead(mid, oper)
            said = MSG.say_list("switch.port", "parts", (lead, _bits(speed), *extra) if speed else (lead, *extra))
        else:
            said = _port_said(mid, oper, speed)
        # admin/oper as words: the console's ports grid colours a port by them (agent/serve/console/device.py).
        admin = "unknown" if s.admin is None else ADMIN_NAMES.get(s.admin) or f"status{s.admin}"
        details = (f"ifIndex {s.index}; ifDescr {s.descr}; admin {admin}; oper {OPER_NAMES.get(s.oper, 'unknown')}"
                   + (f"; {r.note}" if r.note else ""))
        return result("port", s.name, State.worst(problems) if problems else State.OK, said, details,
                      tuple(metrics))

    def _health(self, model: SwitchModel, params: SwitchParams, result: Any) -> Iterable[CheckResult]:
        h = model.health
        for name, r in _unique((c.name, c) for c in h.cpu):
            st = threshold_state(r.value, r.warn or params.cpu_percent.warn, r.crit or params.cpu_percent.crit)
            yield result("cpu", name, st, MSG.say("switch.cpu", value=r.value), metrics=(Metric("cpu_load_percent", r.value, "percent"),))
        for name, m in _unique((m.name, m) for m in h.memory):
            st = threshold_state(m.used_percent, params.memory_percent.warn, params.memory_percent.crit)
            metrics = [Metric("memory_used_percent", m.used_percent, "percent")]
            if m.used_bytes is not None and m.total_bytes is not None:
                metrics += [Metric("memory_used_bytes", m.used_bytes, "bytes"),
                            Metric("memory_total_bytes", m.total_bytes, "bytes")]
            yield result("memory", name, st, MSG.say("switch.memory", used=m.used_percent), metrics=tuple(metrics))
        for name, t in _unique((t.name, t) for t in h.temperature):
            if t.warn is not None or t.crit is not None:
                st = threshold_state(t.value, t.warn, t.crit)
                source = "device thresholds"
            else:
                st = threshold_state(t.value, params.temperature_c.warn, params.temperature_c.crit)
                source = "configured thresholds"
            if t.device_state:
                st = State.worst(st, _STATES.get(t.device_state, State.UNKNOWN))
            yield result("temperature", name, st,
                         MSG.say("switch.temperature", value=t.value) if t.device_state in (None, "ok") else
                         MSG.say("switch.temperature.device_says", value=t.value,
                                 state=MSG.ref(f"switch.sensor.{t.device_state}") if t.device_state in _SENSOR_STATES
                                 else t.device_state),
                         f"compared with {source}", (Metric("temperature_celsius", t.value, "celsius"),))
        for check, readings in (("fan", h.fans), ("psu", h.psus)):
            for name, f in _unique((f.name, f) for f in readings):
                state_word = MSG.ref(f"switch.sensor.{f.state}") if f.state in _SENSOR_STATES else f.state
                yield result(check, name, _STATES.get(f.state, State.UNKNOWN),
                             MSG.say(f"switch.{check}", state=state_word),
                             f"{f.rpm:g} rpm" if f.rpm is not None else f"status code {f.raw}")


    def _readable(self, model: SwitchModel, params: SwitchParams, result: Any) -> CheckResult:
        """switch.health: what the device gives and what it does not, never silent."""
        h = model.health
        have = tuple(MSG.ref("switch.health.count", reading=MSG.ref(f"switch.reading.{s}"), n=h.count(s))
                     for s in SECTIONS if h.count(s))
        lacking = tuple(MSG.ref(f"switch.reading.{m.section}") for m in h.missing)
        parts: list[MessageRef] = []
        if lacking:
            parts.append(MSG.ref("switch.health.not_readable", readings=lacking))
        parts.append(MSG.ref("switch.health.reads", readings=have) if have else MSG.ref("switch.health.reads_nothing"))
        if h.absent:  # an empty slot is information: named, neither a reading nor a fault (all in details)
            names = [n for _, n in h.absent]
            shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
            parts.append(MSG.ref("switch.health.absent", n=len(names), names=shown))
        if h.unreadable:
            parts.append(MSG.ref("switch.health.unsupported", n=len(h.unreadable)))
        details = [f"profile {model.profile}"]
        details += [f"not readable: {_READING_NAMES[m.section]} (no reading from "
                    f"{', '.join(m.tried) if m.tried else 'any object: the profile has none'})" for m in h.missing]
        details += [f"{_READING_NAMES[s]} from the standard MIBs (the profile has none)" for s in h.from_fallback]
        details += [f"not fitted (the device says its slot is empty): {_READING_NAMES[s]} {n}" for s, n in h.absent]
        details += [f"not a reading: {u}" for u in h.unreadable]
        details += [f"not served by the agent: {o}" for o in model.missing_objects]
        states = [_STATES[params.not_readable] if h.missing else State.OK]
        if model.missing_objects:
            parts.append(MSG.ref("switch.health.agent_lacks", objects=", ".join(model.missing_objects)))
        metrics = tuple(Metric(f"{s}_readings_count", h.count(s), "count") for s in SECTIONS)
        summary = parts[-1]
        for part in reversed(parts[:-1]):  # "a; b; c": parts of different kinds, as in a semicolon list
            summary = MSG.ref("switch.health.join", first=part, rest=summary)
        return result("health", "", State.worst(states), MSG.say("switch.health", parts=summary),
                      "\n".join(details), metrics)


# json.dumps(value, ensure_ascii=False, sort_keys=True), without making an encoder per neighbour
_NEIGHBOR_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_READING_NAMES = {"cpu": "CPU", "memory": "memory", "temperature": "temperature", "fans": "fans",
                  "psus": "power supplies"}


@dataclass(frozen=True, slots=True)
class _PortLimits:
    """The port thresholds of one poll, read from the settings once rather than per port."""

    util_warn: float | None
    util_crit: float | None
    errors_warn: float | None
    errors_crit: float | None
    discards_warn: float | None
    discards_crit: float | None
    went_down: State
    uplink_down: State

    @classmethod
    def of(cls, params: SwitchParams) -> _PortLimits:
        u, e, d = params.utilization_percent, params.errors_per_s, params.discards_per_s
        return cls(u.warn, u.crit, e.warn, e.crit, d.warn, d.crit, _STATES[params.port_went_down],
                   _STATES[params.uplink_down])


_M_IN_BPS, _M_OUT_BPS = "port_in_bits_per_second", "port_out_bits_per_second"
_M_IN_UTIL, _M_OUT_UTIL = "port_in_utilization_percent", "port_out_utilization_percent"
_M_ERRORS, _M_DISCARDS = "port_errors_packets_per_second", "port_discards_packets_per_second"


def _port_lead(s: P.PortSample, port: Port, limits: _PortLimits) -> tuple[State | None, str, int | None]:
    """The first part of a port's sentence, as (the state it sets or None, message id, the
    ifOperStatus it names or None): see _lead."""
    if s.admin != 1 and port.uplink:
        return limits.uplink_down, "switch.port.uplink_admin_down", None
    if s.oper is None:
        return (State.UNKNOWN if port.uplink else State.OK), "switch.port.oper_not_served", None
    if s.oper != 1:
        if port.uplink:
            return limits.uplink_down, "switch.port.uplink_oper", s.oper
        if port.was_oper == 1:
            return limits.went_down, "switch.port.went", s.oper
        return None, "switch.port.oper", s.oper
    return None, ("switch.port.came_up" if port.was_oper not in (None, 1) else "switch.port.up"), None


# Refs and English sentences of ports, made once per kind rather than per port: nearly every
# port of a site says one of a few sentences ("up, 1 Gbit/s", "down, 100 Mbit/s"). Keyed by
# plain values (str, int, float), which hash in C where a MessageRef hashes in Python.
# Bounded (an oper status is a device's number): cleared when full, like Messages' cache.
_LEADS: dict[tuple[str, int | None], Said] = {}
_PORT_SAID: dict[tuple[str, int | None, float | None], Said] = {}


def _lead(mid: str, oper: int | None) -> Said:
    said = _LEADS.get((mid, oper))
    if said is None:
        if oper is None:
            said = MSG.say(mid)
        else:
            word = (MSG.ref(f"switch.oper.{OPER_NAMES[oper]}") if oper in OPER_NAMES
                    else MSG.ref("switch.oper.other", code=oper))
            said = MSG.say(mid, oper=word)
        if len(_LEADS) >= 256:
            _LEADS.clear()
        _LEADS[(mid, oper)] = said
    return said


def _port_said(mid: str, oper: int | None, speed: float | None) -> Said:
    """MSG.say("switch.port", parts=(lead, speed)) of a port with no threshold crossed."""
    said = _PORT_SAID.get((mid, oper, speed))
    if said is None:
        lead = _lead(mid, oper)
        said = MSG.say_list("switch.port", "parts", (lead, _bits(speed)) if speed else (lead,))
        if len(_PORT_SAID) >= 1024:
            _PORT_SAID.clear()
        _PORT_SAID[(mid, oper, speed)] = said
    return said


def _uplink_ports(samples: Iterable[P.PortSample], uplinks: tuple[str, ...]) -> tuple[str, ...]:
    """ifNames of the inventory uplinks (given as ifName or ifDescr), as LLDP/CDP neighbours name local ports."""
    if not uplinks:
        return ()
    wanted = {u.lower() for u in uplinks}
    return tuple(s.name for s in samples if {s.name.lower(), s.descr.lower()} & wanted)


def _unique(pairs: Iterable[tuple[str, Any]]) -> Iterable[tuple[str, Any]]:
    """Items must be unique per check: a second sensor with the same name gets ' #2'."""
    seen: dict[str, int] = {}
    for name, value in pairs:
        seen[name] = seen.get(name, 0) + 1
        yield (name if seen[name] == 1 else f"{name} #{seen[name]}"), value


def _duration(seconds: float) -> MessageRef:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return MSG.ref("switch.duration.days", days=days, hours=hours)
    return MSG.ref("switch.duration.hours", hours=hours, minutes=rest // 60)


@functools.lru_cache(maxsize=256)  # a site has a few link speeds; a port past a threshold says its own
def _bits(bps: float) -> str:
    """A link speed; units are the same in every language, so it is a plain parameter."""
    for unit, size in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if bps >= size:
            return f"{bps / size:g} {unit}"
    return f"{bps:g} bit/s"


_SENSOR_STATES = ("ok", "warn", "crit", "unknown", "absent")  # collectors/snmp/health.py StatusReading.state
MSG = Messages({
    "switch.unreachable": "{detail}",  # the SNMP client's own words (address, timeout, tries)
    "switch.answers": "answers SNMP in {ms:.0f} ms (profile {profile})",
    "switch.neighbors.unreadable": "neighbours not readable",
    "switch.neighbors.none": "0 neighbours (no LLDP or CDP entries)",
    "switch.neighbors.one": "{n} neighbour (LLDP {lldp}, CDP {cdp})",
    "switch.neighbors.many": "{n} neighbours (LLDP {lldp}, CDP {cdp})",
    "switch.neighbor.gone": "neighbour {names} on uplink {port} is gone (last seen {ago} ago)",
    "switch.uptime.unreadable": "not readable: the agent does not serve SNMPv2-MIB::sysUpTime.0",
    "switch.uptime.rebooted": "rebooted: up {up} since the reboot",
    "switch.uptime": "up {up}",
    "switch.duration.days": "{days} d {hours} h",
    "switch.duration.hours": "{hours} h {minutes} min",
    "switch.ports": "{total} ports: {up} up, {down} down, {admin_down} administratively down (not alarmed)",
    "switch.port": "{parts}",
    "switch.port.uplink_missing": "uplink {name} is not among the device's ports (ifName/ifDescr)",
    "switch.port.uplink_admin_down": "uplink administratively down",
    "switch.port.oper_not_served": "oper status not served (IF-MIB::ifOperStatus)",
    "switch.port.uplink_oper": "uplink {oper}",
    "switch.port.went": "went {oper} since the last poll",
    "switch.port.oper": "{oper}",
    "switch.port.up": "up",
    "switch.port.came_up": "up (came up since the last poll)",
    "switch.port.in_utilization": "in {pct:.0f}% of link",
    "switch.port.out_utilization": "out {pct:.0f}% of link",
    "switch.port.errors_rate": "errors {rate:.2f}/s",
    "switch.port.discards_rate": "discards {rate:.2f}/s",
    **{f"switch.oper.{name}": name for name in OPER_NAMES.values()},
    "switch.oper.other": "status {code}",
    "switch.cpu": "CPU {value:.0f}%",
    "switch.memory": "memory {used:.0f}% used",
    "switch.temperature": "{value:.1f} °C",
    "switch.temperature.device_says": "{value:.1f} °C (device says {state})",
    "switch.fan": "fan {state}",
    "switch.psu": "power supply {state}",
    **{f"switch.sensor.{name}": name for name in _SENSOR_STATES},
    "switch.health": "{parts}",
    "switch.health.join": "{first}; {rest}",
    "switch.health.count": "{reading} {n}",
    "switch.health.not_readable": "not readable: {readings}",
    "switch.health.reads": "reads {readings}",
    "switch.health.reads_nothing": "reads nothing",
    "switch.health.unsupported": "{n} sensor(s) not supported",
    "switch.health.absent": "{n} not fitted ({names})",
    "switch.health.agent_lacks": "agent lacks {objects}",
    **{f"switch.reading.{section}": name for section, name in _READING_NAMES.items()},
})
