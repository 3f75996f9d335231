"""Device profiles: which MIB columns give CPU, memory, temperature, fans and power supplies.

A profile is a YAML file in collectors/snmp/profiles/ (or a folder given in settings),
chosen by the longest ``sysobjectid`` prefix that matches the device's sysObjectID, and
may ``extends:`` another profile (its sections are inherited unless redefined). A new
vendor is a new YAML file; nothing here knows any vendor.

Each health section is a list of sources; a source names columns of one SNMP table
(rows joined by index) and how to read them::

    temperature:
      - name: 1.3.6.1.4.1.9.9.13.1.3.1.2     # CISCO-ENVMON-MIB::ciscoEnvMonTemperatureStatusDescr
        value: 1.3.6.1.4.1.9.9.13.1.3.1.3    # ciscoEnvMonTemperatureStatusValue (celsius)
        crit: 1.3.6.1.4.1.9.9.13.1.3.1.4     # ciscoEnvMonTemperatureThreshold
        status: 1.3.6.1.4.1.9.9.13.1.3.1.6   # ciscoEnvMonTemperatureState
        status_map: {1: ok, 2: warn, 3: crit, 4: crit, 5: absent, 6: crit}
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from config.checks.base import Strict

PROFILE_DIR = Path(__file__).with_name("profiles")
DeviceState = Literal["ok", "warn", "crit", "absent", "unknown"]
SECTIONS = ("cpu", "memory", "temperature", "fans", "psus")


def _oid(value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip().lstrip(".")
    parts = text.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{value!r} is not a numeric OID")
    return text


Oid = Annotated[str, Field(description="a numeric column OID")]


class Where(Strict):
    """Keep a row only when ``column`` (same index) has one of ``equals``, or (text columns)
    when ``matches`` (a regular expression, searched case-insensitively) finds something in it:
    FortiGate's fgHwSensorTable says what a row measures only in its name ("Fan 1", "PS1 Status")."""

    column: Oid
    equals: tuple[int | str, ...] = ()
    matches: str | None = None

    _check = field_validator("column")(classmethod(lambda cls, v: _oid(v)))

    @field_validator("matches")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return v

    @model_validator(mode="after")
    def _one_test(self) -> "Where":
        if bool(self.equals) == (self.matches is not None):
            raise ValueError("give either equals or matches")
        return self


class Source(Strict):
    """Columns of one table that give one kind of reading; see the module doc."""

    label: str = Field("", description="item name prefix when there is no name column")
    name: Oid | None = None
    descr: Oid | None = None       # name when ``name`` is empty (entPhysicalDescr behind entPhysicalName)
    value: Oid | None = None       # cpu percent, temperature
    percent: Oid | None = None     # memory used percent
    used: Oid | None = None
    free: Oid | None = None
    total: Oid | None = None
    scale: float = 1.0             # multiplier for value/used/free/total (KiB -> bytes: 1024)
    units: Oid | None = None       # per-row multiplier column (hrStorageAllocationUnits)
    # memory: rows of the same table (by ``name``) whose use is counted in ``used`` but is not
    # memory in use: net-snmp on Linux counts buffers and page cache in "Physical memory"
    minus: tuple[str, ...] = ()
    sensor_scale: Oid | None = None  # ENTITY-SENSOR-MIB style SI exponent (9 = units, 8 = milli)
    precision: Oid | None = None     # digits after the decimal point
    warn: Oid | None = None        # device's own thresholds
    crit: Oid | None = None
    status: Oid | None = None
    status_map: dict[int, DeviceState] = {}
    where: tuple[Where, ...] = ()
    index_prefix: str | None = None  # keep rows whose index starts with this ("4." = Juniper fans)
    ignore_values: tuple[int, ...] = ()  # values that mean "no such sensor here" (H3C: 65535)
    # A value or percent given as text (FASTPATH's "5 Secs ( 96.49%)   60 Secs ( 54.22%) ...", ZTE's
    # "9.4"): the first number this regular expression captures (group 1) is the reading.
    pattern: str | None = None
    # Containers are not sensors: a fan tray holding fans is not a fan. ``contained_in`` names
    # ENTITY-MIB::entPhysicalContainedIn (rows another kept row sits in are dropped);
    # ``index_containers`` does the same by index (Juniper: 4.1.0.0 holds 4.1.1.0 ... 4.1.12.0).
    contained_in: Oid | None = None
    index_containers: bool = False
    fallback: bool = False         # read only when the sources before it in the section gave no reading
    # read exactly when the source just before it is read: one fallback made of several scalars
    # (MikroTik's mtxrHlFanSpeed1 and mtxrHlFanSpeed2)
    with_previous: bool = False
    object: str = ""               # MIB name of the key column, for "not readable" messages

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                if re.compile(v).groups < 1:
                    raise ValueError("needs one capturing group: the number")
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return v

    @field_validator("name", "descr", "value", "percent", "used", "free", "total", "units", "sensor_scale", "precision",
                     "warn", "crit", "status", "contained_in")
    @classmethod
    def _oids(cls, v: str | None) -> str | None:
        return _oid(v)

    def columns(self) -> list[str]:
        cols = [self.name, self.descr, self.value, self.percent, self.used, self.free, self.total, self.units,
                self.sensor_scale, self.precision, self.warn, self.crit, self.status, self.contained_in]
        cols.extend(w.column for w in self.where)
        return [c for c in cols if c]


class Profile(Strict):
    name: str
    description: str = ""
    extends: str | None = None
    sysobjectid: tuple[str, ...] = ()
    cpu: tuple[Source, ...] | None = None
    memory: tuple[Source, ...] | None = None
    temperature: tuple[Source, ...] | None = None
    fans: tuple[Source, ...] | None = None
    psus: tuple[Source, ...] | None = None

    def sources(self, section: str) -> tuple[Source, ...]:
        return getattr(self, section) or ()

    def columns(self, sections: Iterable[str] = SECTIONS) -> list[str]:
        """Every column this profile walks (for ``sections``), each once, in a stable order."""
        seen: dict[str, None] = {}
        for section in sections:
            for source in self.sources(section):
                for col in source.columns():
                    seen.setdefault(col, None)
        return list(seen)


class ProfileError(ValueError):
    pass


def _read(path: Path) -> Profile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Profile.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ProfileError(f"SNMP profile {path}: {exc}") from None


def _merge(child: Profile, parent: Profile) -> Profile:
    update = {s: parent.sources(s) for s in SECTIONS if getattr(child, s) is None and getattr(parent, s) is not None}
    return child.model_copy(update=update)


@functools.lru_cache(maxsize=8)
def load_profiles(*folders: Path) -> dict[str, Profile]:
    """The built-in profiles plus those in ``folders`` (same name overrides), ``extends`` resolved."""
    raw: dict[str, Profile] = {}
    for folder in (PROFILE_DIR, *folders):
        if not Path(folder).is_dir():
            raise ProfileError(f"SNMP profile folder {folder} does not exist")
        raw.update({p.name: p for p in (_read(f) for f in sorted(Path(folder).glob("*.yaml")))})

    def resolve(name: str, chain: tuple[str, ...]) -> Profile:
        if name in chain:
            raise ProfileError(f"SNMP profile {name}: 'extends' loops through {' -> '.join(chain)}")
        prof = raw.get(name)
        if prof is None:
            raise ProfileError(f"SNMP profile {chain[-1] if chain else name} extends unknown profile {name!r}")
        if prof.extends is None:
            return prof
        return _merge(prof, resolve(prof.extends, (*chain, name)))

    return {name: resolve(name, ()) for name in raw}


def select(sys_object_id: str | None, profiles: dict[str, Profile], forced: str | None = None) -> Profile:
    """The profile for a device: ``forced`` by the inventory, else the longest matching prefix, else generic."""
    if forced:
        if forced not in profiles:
            raise ProfileError(f"unknown SNMP profile {forced!r} (known: {', '.join(sorted(profiles))})")
        return profiles[forced]
    best, best_len = profiles.get("generic"), -1
    oid = (sys_object_id or "").strip().lstrip(".")
    for prof in profiles.values():
        for prefix in prof.sysobjectid:
            prefix = prefix.strip().lstrip(".").rstrip(".")
            if (oid == prefix or oid.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = prof, len(prefix)
    if best is None:
        raise ProfileError("no 'generic' SNMP profile to fall back on")
    return best


def all_columns(profiles: Iterable[Profile]) -> list[str]:
    seen: dict[str, None] = {}
    for prof in profiles:
        for col in prof.columns():
            seen.setdefault(col, None)
    return list(seen)
