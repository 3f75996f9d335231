"""Turn walked profile columns into CPU, memory, temperature, fan and PSU readings (pure).

Every odd row is skipped with a reason rather than guessed at: a value of the wrong type
(an OCTET STRING where a number belongs), a missing column in a row, a "no sensor here"
marker (H3C's 65535), a status code the profile does not map. The reasons travel in
``Health.notes`` so an engineer sees why a sensor is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from collectors.snmp.profiles import Profile, Source

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
    """A fan or power supply: ``state`` is ok / warn / crit / absent / unknown."""

    name: str
    state: str
    raw: int


@dataclass(frozen=True, slots=True)
class Health:
    cpu: tuple[Reading, ...] = ()
    memory: tuple[MemoryReading, ...] = ()
    temperature: tuple[Reading, ...] = ()
    fans: tuple[StatusReading, ...] = ()
    psus: tuple[StatusReading, ...] = ()
    notes: tuple[str, ...] = ()


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
            if all(self._matches(w.column, w.equals, index) for w in src.where):
                out.append(index)
        return out

    def _matches(self, column: str, equals: tuple[int | str, ...], index: str) -> bool:
        value = self.tables.get(column, {}).get(index)
        if isinstance(value, bytes):
            value = text(value)
        return value in equals

    def number(self, column: str | None, index: str, what: str) -> float | None:
        if column is None:
            return None
        value = self.tables.get(column, {}).get(index)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.notes.append(f"{self.section} {index}: {what} is {type(value).__name__}, not a number; ignored")
            return None
        return float(value)

    def name(self, index: str) -> str:
        src = self.source
        label = text(self.tables.get(src.name, {}).get(index)) if src.name else None
        if not label and src.descr:
            label = text(self.tables.get(src.descr, {}).get(index))
        return label or f"{src.label or self.section} {index}".strip()


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


def _readings(source: Source, tables: Tables, section: str, notes: list[str]) -> list[Reading]:
    rows = _Rows(source, tables, section, notes)
    out = []
    for index in rows.indexes(source.value or ""):
        value = rows.number(source.value, index, "value")
        if value is None:
            continue
        if int(value) in source.ignore_values:
            continue
        state, _ = _status(rows, index)
        if state == "absent":
            continue
        warn = rows.number(source.warn, index, "warn threshold")
        crit = rows.number(source.crit, index, "crit threshold")
        out.append(Reading(rows.name(index), _scaled(rows, index, value),
                           _scaled(rows, index, warn) if warn else None,
                           _scaled(rows, index, crit) if crit else None, state))
    return out


def _memory(source: Source, tables: Tables, notes: list[str]) -> list[MemoryReading]:
    rows = _Rows(source, tables, "memory", notes)
    key = source.percent or source.used or source.total or ""
    out = []
    for index in rows.indexes(key):
        name = rows.name(index)
        if source.percent:
            pct = rows.number(source.percent, index, "percent")
            if pct is None or int(pct) in source.ignore_values:
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
        if not total or total <= 0 or used < 0 or used > total:
            notes.append(f"memory {name}: used {used:g} of total {total} is impossible; ignored")
            continue
        out.append(MemoryReading(name, 100.0 * used / total, used * factor, total * factor))
    return out


def _statuses(source: Source, tables: Tables, section: str, notes: list[str]) -> list[StatusReading]:
    rows = _Rows(source, tables, section, notes)
    out = []
    for index in rows.indexes(source.status or ""):
        state, raw = _status(rows, index)
        if state is None or state == "absent" or raw is None:
            continue
        out.append(StatusReading(rows.name(index), state, raw))
    return out


def read_health(profile: Profile, tables: Tables) -> Health:
    notes: list[str] = []
    cpu = [r for s in profile.sources("cpu") for r in _readings(s, tables, "cpu", notes)]
    temps = [r for s in profile.sources("temperature") for r in _readings(s, tables, "temperature", notes)]
    memory = [m for s in profile.sources("memory") for m in _memory(s, tables, notes)]
    fans = [f for s in profile.sources("fans") for f in _statuses(s, tables, "fan", notes)]
    psus = [p for s in profile.sources("psus") for p in _statuses(s, tables, "psu", notes)]
    return Health(tuple(cpu), tuple(memory), tuple(temps), tuple(fans), tuple(psus), tuple(notes))
