"""Turn walked profile columns into CPU, memory, temperature, fan and PSU readings (pure).

Every odd row is skipped with a reason rather than guessed at: a value of the wrong type
(an OCTET STRING where a number belongs), a missing column in a row, a "no sensor here"
marker (H3C's 65535), a status code the profile does not map. The reasons travel in
``Health.notes`` so an engineer sees why a sensor is missing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from collectors.snmp.profiles import SECTIONS, Profile, Source

Tables = Mapping[str, Mapping[str, object]]


@dataclass(frozen=True, slots=True)
class Reading:
    """A CPU load or a temperature: ``value`` in percent or celsius."""

    name: str
    value: float
    warn: float | None = None  # the device's own thresholds, when it has them
    crit: float | None = None
    device_state: str | None = None


@dataclass(frozen=True, slots=True)
class MemoryReading:
    name: str
    used_percent: float
    used_bytes: float | None = None
    total_bytes: float | None = None


@dataclass(frozen=True, slots=True)
class StatusReading:
    """A fan or power supply: ``state`` is ok / warn / crit / unknown (absent units are in
    ``Health.absent``). ``rpm`` is set when the state comes from a fan's speed alone."""

    name: str
    state: str
    raw: int
    rpm: float | None = None


@dataclass(frozen=True, slots=True)
class Missing:
    """A reading the device does not give: which section and which objects were tried."""

    section: str
    tried: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Health:
    cpu: tuple[Reading, ...] = ()
    memory: tuple[MemoryReading, ...] = ()
    temperature: tuple[Reading, ...] = ()
    fans: tuple[StatusReading, ...] = ()
    psus: tuple[StatusReading, ...] = ()
    notes: tuple[str, ...] = ()
    # sensors that exist but whose value means "not supported" or whose status is unknown:
    # named, never turned into a reading
    unreadable: tuple[str, ...] = ()
    missing: tuple[Missing, ...] = ()          # sections with no reading at all
    from_fallback: tuple[str, ...] = ()        # sections read from the standard MIBs, not the profile
    # (section, name) of units the device reports as not fitted in their slot (a supply slot
    # left empty): named by switch.health as information, never a reading nor a fault
    absent: tuple[tuple[str, str], ...] = ()

    def count(self, section: str) -> int:
        return len(getattr(self, section))


# Values agents put where they have no reading (MIB "not supported" conventions and
# unsigned/signed all-ones): never a CPU load, a temperature or a memory percentage.
NOT_SUPPORTED = frozenset({-1, 65535, 2147483647, -2147483648, 4294967295})


def text(value: object) -> str | None:
    """A DisplayString as text; device strings are mostly ASCII, sometimes GBK on Chinese gear."""
    if isinstance(value, bytes):
        for enc in ("utf-8", "gbk"):
            try:
                return value.decode(enc).strip().strip("\x00")
            except UnicodeDecodeError:
                continue
        return value.decode("latin-1").strip()
    if isinstance(value, str):
        return value.strip()
    return None


class _Rows:
    """The rows of one source: index -> {column: value}, filtered by ``where``/``index_prefix``."""

    def __init__(self, source: Source, tables: Tables, section: str, notes: list[str]):
        self.source, self.tables, self.section, self.notes = source, tables, section, notes

    def indexes(self, key_column: str) -> list[str]:
        src = self.source
        out = []
        for index in self.tables.get(key_column, {}):
            if src.index_prefix and not index.startswith(src.index_prefix):
                continue
            if all(self._matches(w.column, w.equals, w.matches, index) for w in src.where):
                out.append(index)
        if src.contained_in:
            parents = {str(self.tables.get(src.contained_in, {}).get(i)) for i in out}
            out = [i for i in out if i not in parents]
        if src.index_containers:
            stems = [_stem(i) for i in out]
            out = [i for i, stem in zip(out, stems) if not any(o.startswith(stem + ".") for o in stems)]
        return out

    def _matches(self, column: str, equals: tuple[int | str, ...], pattern: str | None, index: str) -> bool:
        value = self.tables.get(column, {}).get(index)
        if isinstance(value, bytes):
            value = text(value)
        if pattern is not None:
            return isinstance(value, str) and _search(pattern, value)
        return value in equals

    def number(self, column: str | None, index: str, what: str) -> float | None:
        if column is None:
            return None
        value = self.tables.get(column, {}).get(index)
        if value is None:
            return None
        if self.source.pattern and column in (self.source.value, self.source.percent) and isinstance(value, (bytes, str)):
            return self._from_text(text(value) or "", index, what)
        if isinstance(value, bool) or not isinstance(value, int):
            self.notes.append(f"{self.section} {index}: {what} is {type(value).__name__}, not a number; ignored")
            return None
        return float(value)

    def _from_text(self, value: str, index: str, what: str) -> float | None:
        found = re.search(self.source.pattern or "", value)
        if found:
            try:
                return float(found.group(1))
            except (TypeError, ValueError):
                why = "the pattern's group is not a number"
        else:
            why = "no number where the profile's pattern expects one"
        self.notes.append(f"{self.section} {index}: {what} {value[:40]!r}: {why}; ignored")
        return None

    def name(self, index: str) -> str:
        src = self.source
        label = text(self.tables.get(src.name, {}).get(index)) if src.name else None
        if not label and src.descr:
            label = text(self.tables.get(src.descr, {}).get(index))
        if label:
            return label
        if index == "0" and src.label and len(self.tables.get(_key_column(src), {})) == 1:
            return src.label  # a scalar (hpSwitchCpuStat.0): the label alone names it; row 0 of a table does not
        return f"{src.label or self.section} {index}".strip()


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _search(pattern: str, value: str) -> bool:
    return _compiled(pattern).search(value) is not None


def _stem(index: str) -> str:
    """An index without its trailing zero levels: "4.1.0.0" -> "4.1" (Juniper container indexes)."""
    parts = index.split(".")
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return ".".join(parts)


def _scaled(rows: _Rows, index: str, value: float) -> float:
    src = rows.source
    value *= src.scale
    exponent = rows.number(src.sensor_scale, index, "scale")
    if exponent is not None:  # ENTITY-SENSOR-MIB SensorDataScale: 9 = units, 8 = milli, 10 = kilo
        value *= 10 ** (3 * (int(exponent) - 9))
    precision = rows.number(src.precision, index, "precision")
    if precision:
        value /= 10 ** int(precision)
    return value


def _status(rows: _Rows, index: str) -> tuple[str | None, int | None]:
    src = rows.source
    raw = rows.number(src.status, index, "status")
    if raw is None:
        return None, None
    state = src.status_map.get(int(raw))
    if state is None:
        rows.notes.append(f"{rows.section} {rows.name(index)}: status code {int(raw)} not in the profile; unknown")
        state = "unknown"
    return state, int(raw)


def _readings(source: Source, tables: Tables, section: str, notes: list[str],
              unreadable: list[str], absent: list[tuple[str, str]]) -> list[Reading]:
    rows = _Rows(source, tables, section, notes)
    out = []
    for index in rows.indexes(source.value or ""):
        value = rows.number(source.value, index, "value")
        if value is None:
            continue
        if int(value) in source.ignore_values:
            continue
        state, raw = _status(rows, index)
        if state == "absent":
            absent.append((section, rows.name(index)))
            continue
        if int(value) in NOT_SUPPORTED or state == "unknown":
            why = f"value {int(value)} means not supported" if int(value) in NOT_SUPPORTED else \
                f"the device says its state is unknown (status {raw})"
            unreadable.append(f"{section} {rows.name(index)}: {why}")
            continue
        scaled = _scaled(rows, index, value)
        if section == "cpu" and not 0 <= scaled <= 100:
            unreadable.append(f"cpu {rows.name(index)}: {scaled:g} is not a percentage")
            continue
        warn = rows.number(source.warn, index, "warn threshold")
        crit = rows.number(source.crit, index, "crit threshold")
        out.append(Reading(rows.name(index), scaled,
                           _scaled(rows, index, warn) if warn and int(warn) not in NOT_SUPPORTED else None,
                           _scaled(rows, index, crit) if crit and int(crit) not in NOT_SUPPORTED else None, state))
    return out


def _memory(source: Source, tables: Tables, notes: list[str], unreadable: list[str]) -> list[MemoryReading]:
    rows = _Rows(source, tables, "memory", notes)
    key = source.percent or source.used or source.total or ""
    out = []
    for index in rows.indexes(key):
        name = rows.name(index)
        if source.percent:
            pct = rows.number(source.percent, index, "percent")
            if pct is None or int(pct) in source.ignore_values:
                continue
            if int(pct) in NOT_SUPPORTED or not 0 <= pct <= 100:
                unreadable.append(f"memory {name}: {int(pct)} is not a percentage (not supported)")
                continue
            out.append(MemoryReading(name, pct))
            continue
        unit = rows.number(source.units, index, "allocation units") if source.units else 1.0
        used = rows.number(source.used, index, "used")
        free = rows.number(source.free, index, "free")
        total = rows.number(source.total, index, "total")
        known = sum(v is not None for v in (used, free, total))
        if unit is None or known < 2:  # two of used/free/total give the third
            notes.append(f"memory {name}: incomplete row; ignored")
            continue
        factor = unit * source.scale
        if total is None:
            total = used + free  # type: ignore[operator]
        if used is None:
            used = total - free  # type: ignore[operator]
        reclaimable = _reclaimable(rows, unit) if source.minus else 0.0
        if reclaimable and 0 <= used - reclaimable:
            used -= reclaimable
        if not total or total <= 0 or used < 0 or used > total:
            unreadable.append(f"memory {name}: used {used:g} of total {total:g} is impossible (not supported?)")
            continue
        out.append(MemoryReading(name, 100.0 * used / total, used * factor, total * factor))
    return out


def _reclaimable(rows: _Rows, unit: float) -> float:
    """Buffers and cache counted in a RAM row's use (``minus`` rows), in that row's units."""
    src, total = rows.source, 0.0
    for index, label in rows.tables.get(src.name or "", {}).items():
        if text(label) not in src.minus:
            continue
        used = rows.number(src.used, index, "used")
        units = rows.number(src.units, index, "allocation units") if src.units else 1.0
        if used is not None and units:
            total += used * units / unit
    return total


def _statuses(source: Source, tables: Tables, section: str, notes: list[str],
              unreadable: list[str], absent: list[tuple[str, str]]) -> list[StatusReading]:
    rows = _Rows(source, tables, section, notes)
    if source.status is None and source.value:
        return _fans_by_speed(rows, section, unreadable)
    out = []
    for index in rows.indexes(source.status or ""):
        state, raw = _status(rows, index)
        if state == "absent":
            absent.append((section, rows.name(index)))
            continue
        if state is None or raw is None:
            continue
        out.append(StatusReading(rows.name(index), state, raw))
    return out


def _fans_by_speed(rows: _Rows, section: str, unreadable: list[str]) -> list[StatusReading]:
    """Fans a device gives only as a speed (MikroTik's mtxrHlFanSpeed1/2): a turning fan is ok;
    0 rpm is a stopped fan or an empty place, which the speed alone cannot tell apart, so it is
    named as not readable rather than alarmed or dropped."""
    out = []
    for index in rows.indexes(rows.source.value or ""):
        rpm = rows.number(rows.source.value, index, "speed")
        if rpm is None:
            continue
        if int(rpm) in NOT_SUPPORTED or rpm <= 0:
            unreadable.append(f"{section} {rows.name(index)}: speed {rpm:g} rpm (stopped, or no fan fitted)")
            continue
        out.append(StatusReading(rows.name(index), "ok", int(rpm), rpm * rows.source.scale))
    return out


_SECTION_NAMES = {"cpu": "cpu", "memory": "memory", "temperature": "temperature", "fans": "fan", "psus": "psu"}


def _key_column(source: Source) -> str:
    return source.value or source.percent or source.used or source.total or source.status or ""


def described(source: Source) -> str:
    """How a "not readable" message names what was tried: the MIB object, else its OID."""
    return source.object or _key_column(source)


def _read_section(section: str, sources: tuple[Source, ...], tables: Tables, notes: list[str],
                  unreadable: list[str], absent: list[tuple[str, str]]) -> list:
    label = _SECTION_NAMES[section]
    out: list = []
    gone: list[tuple[str, str]] = []  # (label, name) of absent units, kept under the section's key
    read_previous = True
    for source in sources:
        # a fallback source is read only when those before it gave nothing; a ``with_previous``
        # source goes with the one before it
        skip = not read_previous if source.with_previous else bool(source.fallback and out)
        read_previous = not skip
        if skip:
            continue
        if section in ("cpu", "temperature"):
            out += _readings(source, tables, label, notes, unreadable, gone)
        elif section == "memory":
            out += _memory(source, tables, notes, unreadable)
        else:
            out += _statuses(source, tables, label, notes, unreadable, gone)
    absent.extend((section, name) for _, name in gone)
    return out


def fallback_sections(profile: Profile, tables: Tables, fallback: Profile | None) -> tuple[str, ...]:
    """Sections the profile has no rows for and that ``fallback`` (the standard MIBs) reads differently.

    Decided on the key columns alone (cheap: it runs on every poll): a vendor table whose
    rows hold no usable value is named by switch.health rather than fallen back from.
    """
    if fallback is None:
        return ()
    out = []
    for section in SECTIONS:
        extra = fallback.sources(section)
        if not extra or extra == profile.sources(section):
            continue
        if not any(tables.get(_key_column(s)) for s in profile.sources(section)):
            out.append(section)
    return tuple(out)


def read_health(profile: Profile, tables: Tables, fallback: Profile | None = None,
                fallback_for: tuple[str, ...] = ()) -> Health:
    """Readings per section from the profile's sources; a section in ``fallback_for`` that the
    profile cannot read comes from ``fallback``'s sources (the standard MIBs) instead."""
    notes: list[str] = []
    unreadable: list[str] = []
    absent: list[tuple[str, str]] = []
    got: dict[str, list] = {}
    missing: list[Missing] = []
    used_fallback: list[str] = []
    for section in SECTIONS:
        sources = profile.sources(section)
        readings = _read_section(section, sources, tables, notes, unreadable, absent)
        tried = [described(s) for s in sources]
        if not readings and fallback is not None and section in fallback_for:
            extra = fallback.sources(section)
            readings = _read_section(section, extra, tables, notes, unreadable, absent)
            tried += [described(s) for s in extra if described(s) not in tried]
            if readings:
                used_fallback.append(section)
        if not readings:
            missing.append(Missing(section, tuple(tried)))
        got[section] = readings
    return Health(tuple(got["cpu"]), tuple(got["memory"]), tuple(got["temperature"]), tuple(got["fans"]),
                  tuple(got["psus"]), tuple(notes), tuple(unreadable), tuple(missing), tuple(used_fallback),
                  tuple(dict.fromkeys(absent)))
