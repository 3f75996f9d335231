"""Patrol's health readings next to LibreNMS's, for the same recorded walks (pure).

LibreNMS (a mature open-source poller) keeps, beside each user's recorded walk, the readings it
took from it (data/librenms/NAME.readings.json, one file per recording, reduced by
make_fixtures.py; `load_recorded` reads every one of them). This module sorts those
into the five kinds Patrol reads, pairs them with the results of one Patrol poll of the same walk
and says, per kind, how many of LibreNMS's readings Patrol also takes and where the two disagree.
Used by tests/snmp/test_librenms.py (which pins the figures) and bench/health_vs_librenms.py
(which prints them).

What counts as one of LibreNMS's readings, and why:
- CPU: every processor; memory: every memory pool of class "system" (LibreNMS also lists
  virtual memory, buffers, caches and swap, which are not RAM pools);
- temperature, fans, supplies: sensors of a port or radio (groups such as "transceiver",
  "SFPs", "Ports", "PoE_Ports", "Wireless", "Transceiver Temperatures": optics, PoE) are port
  data, not device health;
  so are sensors of an optics table when LibreNMS lists them without a group (older
  versions: MikroTik's mtxrOpticalTable, sensor_index "mtxrOpticalTemperature.N") and
  sensors LibreNMS says it measured on "ports" (entPhysicalIndex_measured: Cisco optics);
- fans: fan-speed sensors and state sensors naming a fan; supplies: state sensors naming a
  supply. LibreNMS often lists one fan or supply twice (its speed and its state, or a vendor
  state and an ENTITY-SENSOR state): those are one unit, keyed by the name without the words
  "rpm", "for", "speed", "state", "status" and "power sensor for";
- a state sensor naming a measurement of a supply ("PS1 Temp", "PS1 VIN", "INA219 PS1 Vbus":
  FortiGate's alarm flag of each hardware sensor) is that measurement's alarm, not a supply;
- a reading whose OID is kept in the readings file ("oid": LibreNMS's processor_oid,
  sensor_oid) and absent from the walk the test serves was taken from another version of the
  recording (the index can serve a walk and its readings file at different commits): no
  poller could take it from this walk, so it is listed apart ("not in this walk"), not counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from collectors.base import CheckResult, State

KINDS = ("cpu", "memory", "temperature", "fans", "psus")
KIND_NAMES = {"cpu": "CPU", "memory": "memory", "temperature": "temperature", "fans": "fans",
              "psus": "power supplies"}
PORT_GROUPS = frozenset({"transceiver", "transceivers", "sfps", "ports", "poe_ports", "wireless"})
# sensor_index of an optics table's sensor (LibreNMS names the index after the MIB column)
_OPTICS_INDEX = re.compile(r"^(mtxrOptical|ddmStatus|arubaWiredPmXcvr)", re.I)
_FAN = re.compile(r"fan", re.I)
_PSU = re.compile(r"psu|power ?supply|powersupply|pwr|\bps\d|power ?stat", re.I)
_MEASUREMENT = re.compile(r"\b(temp\w*|vin|vout\w*|vsht|vbus|volt\w*|current)\b", re.I)
_NOISE = re.compile(r"\b(power sensor for|rpm|for|speed|state|status)\b", re.I)
# how far apart two numbers may be and still agree: percentage points, degrees
TOLERANCE = {"cpu": 2.0, "memory": 2.0, "temperature": 1.0}
_CHECKS = {"switch.cpu": "cpu", "switch.memory": "memory", "switch.temperature": "temperature",
           "switch.fan": "fans", "switch.psu": "psus"}
_METRICS = {"cpu": "cpu_load_percent", "memory": "memory_used_percent", "temperature": "temperature_celsius"}
_LIBRENMS_STATES = {"ok": State.OK, "warning": State.WARN, "critical": State.CRIT}


@dataclass(frozen=True)
class Item:
    """One reading: a number (CPU, memory, temperature) or a state (fans, supplies)."""

    name: str
    value: float | None = None
    state: State | None = None
    absent: bool = False   # Patrol names the unit as not fitted (switch.health): reported, not a reading
    oid: str | None = None  # LibreNMS's OID for the reading, where the readings file keeps it


@dataclass(frozen=True)
class Difference:
    device: str
    kind: str
    librenms: str          # LibreNMS's reading, as it names it
    what: str              # "not read by Patrol" or the two values

    def key(self) -> tuple[str, str, str]:
        return self.device, self.kind, self.librenms


@dataclass
class Tally:
    librenms: int = 0
    patrol_also: int = 0   # LibreNMS readings Patrol takes too
    patrol_only: int = 0   # Patrol readings LibreNMS does not take


@dataclass
class Comparison:
    tallies: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in KINDS})
    differences: list[Difference] = field(default_factory=list)
    # LibreNMS readings whose OID the served walk lacks (another version of the recording)
    not_in_walk: list[Difference] = field(default_factory=list)


READINGS_SUFFIX = ".readings.json"


def load_recorded(folder: Path) -> dict[str, dict]:
    """LibreNMS's readings per recording: every NAME.readings.json in the folder, by NAME (one
    file per recording, so recordings can be added without touching a shared file)."""
    return {path.name[: -len(READINGS_SUFFIX)]: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*" + READINGS_SUFFIX))}


def _key(name: str) -> str:
    return " ".join(_NOISE.sub(" ", name.lower()).split())


def librenms_items(recorded: Mapping) -> dict[str, list[Item]]:
    """LibreNMS's readings of one device, by kind (see the module doc for what counts)."""
    out: dict[str, list[Item]] = {k: [] for k in KINDS}
    out["cpu"] = [Item(p["descr"], float(p["value"]), oid=p.get("oid")) for p in recorded.get("cpu", [])]
    out["memory"] = [Item(m["descr"], float(m["percent"])) for m in recorded.get("memory", [])
                     if m.get("class") in (None, "system")]
    units: dict[str, dict[str, Item]] = {"fans": {}, "psus": {}}
    for s in recorded.get("sensors", []):
        group = str(s.get("group") or "").lower()
        if group in PORT_GROUPS or "transceiver" in group or _OPTICS_INDEX.match(str(s.get("index") or "")) \
                or s.get("measured") == "ports":
            continue
        text = f"{s['descr']} {s['type']}"
        if s["class"] == "temperature":
            out["temperature"].append(Item(s["descr"], float(s["value"]), oid=s.get("oid")))
            continue
        kind = ("fans" if s["class"] == "fanspeed" or (s["class"] == "state" and _FAN.search(text)) else
                "psus" if s["class"] == "state" and _PSU.search(text) and not _MEASUREMENT.search(s["descr"]) else None)
        if kind is None:
            continue
        state = _LIBRENMS_STATES.get(s.get("state") or "") if s["class"] == "state" else None
        seen = units[kind].get(_key(s["descr"]))
        if seen is None or (seen.state is None and state is not None):  # keep the unit's state when listed twice
            units[kind][_key(s["descr"])] = Item(s["descr"], None, state)
    out["fans"], out["psus"] = list(units["fans"].values()), list(units["psus"].values())
    return out


_NOT_FITTED = re.compile(r"^not fitted \(the device says its slot is empty\): (fans|power supplies) (.+)$")
_KIND_BY_NAME = {name: kind for kind, name in KIND_NAMES.items()}


def patrol_items(results: Iterable[CheckResult]) -> dict[str, list[Item]]:
    """Patrol's readings of one device, by kind, from the switch check's results; a fan or supply
    switch.health names as not fitted counts as reported (it is named, not silently dropped)."""
    out: dict[str, list[Item]] = {k: [] for k in KINDS}
    for r in results:
        if r.check == "switch.health":
            for line in (r.details or "").splitlines():
                found = _NOT_FITTED.match(line)
                if found:
                    out[_KIND_BY_NAME[found.group(1)]].append(Item(found.group(2), absent=True))
            continue
        kind = _CHECKS.get(r.check)
        if kind is None:
            continue
        if kind in _METRICS:
            value = next((m.value for m in r.metrics if m.name == _METRICS[kind]), None)
            out[kind].append(Item(r.item, value))
        else:
            out[kind].append(Item(r.item, None, r.state))
    return out


def _pairs(kind: str, theirs: list[Item], ours: list[Item]) -> list[tuple[Item, Item | None]]:
    """Each of LibreNMS's readings with Patrol's reading of the same thing, if any: the same
    name first, then (numbers) the closest value or (states) the next one in order."""
    free = list(ours)
    paired: dict[int, Item] = {}
    for i, item in enumerate(theirs):
        same = next((o for o in free if _key(o.name) == _key(item.name)), None)
        if same is not None:
            paired[i] = same
            free.remove(same)
    for i, item in enumerate(theirs):
        if i in paired or not free:
            continue
        if kind in TOLERANCE and item.value is not None:
            best = min(free, key=lambda o: abs((o.value if o.value is not None else 1e9) - item.value))
        else:
            best = free[0]
        paired[i] = best
        free.remove(best)
    return [(item, paired.get(i)) for i, item in enumerate(theirs)]


def compare_device(name: str, recorded: Mapping, results: Iterable[CheckResult], into: Comparison,
                   served: frozenset[str] | None = None) -> None:
    """``served``: the OIDs the walk holds (None: not checked)."""
    theirs, ours = librenms_items(recorded), patrol_items(results)
    for kind in KINDS:
        if served is not None:
            kept = []
            for item in theirs[kind]:
                if item.oid is not None and item.oid.lstrip(".") not in served:
                    into.not_in_walk.append(Difference(name, kind, item.name, f"{item.oid} is not in the walk"))
                else:
                    kept.append(item)
            theirs[kind] = kept
        tally = into.tallies[kind]
        pairs = _pairs(kind, theirs[kind], ours[kind])
        tally.librenms += len(pairs)
        tally.patrol_also += sum(1 for _, o in pairs if o is not None)
        tally.patrol_only += len(ours[kind]) - sum(1 for _, o in pairs if o is not None)
        for item, mine in pairs:
            if mine is None:
                into.differences.append(Difference(name, kind, item.name, "not read by Patrol"))
            elif kind in TOLERANCE and item.value is not None and mine.value is not None:
                if abs(item.value - mine.value) > TOLERANCE[kind]:
                    into.differences.append(Difference(
                        name, kind, item.name, f"LibreNMS {item.value:g}, Patrol {mine.value:g} ({mine.name})"))
            elif mine.absent:
                if item.state not in (None, State.OK):
                    into.differences.append(Difference(
                        name, kind, item.name, f"LibreNMS {item.state.name}, Patrol: not fitted ({mine.name})"))
            elif item.state is not None and mine.state is not None and item.state is not mine.state:
                into.differences.append(Difference(
                    name, kind, item.name, f"LibreNMS {item.state.name}, Patrol {mine.state.name} ({mine.name})"))


def compare(recorded: Mapping[str, Mapping], results: Mapping[str, Iterable[CheckResult]],
            served: Mapping[str, frozenset[str]] | None = None) -> Comparison:
    """Every recorded device's readings against Patrol's results for it; ``served``: each
    walk's OIDs (walk_oids), to set apart readings of another version of the recording."""
    out = Comparison()
    for name in sorted(recorded):
        compare_device(name, recorded[name], results.get(name, ()), out,
                       None if served is None else served.get(name, frozenset()))
    return out


def walk_oids(folder: Path, names: Iterable[str]) -> dict[str, frozenset[str]]:
    """The OIDs each recording's walk holds (NAME.snmprec: "oid|type|value" lines)."""
    return {name: frozenset(line.split("|", 1)[0].lstrip(".")
                            for line in (folder / f"{name}.snmprec").read_text(encoding="latin-1").splitlines()
                            if "|" in line)
            for name in names}


def coverage_lines(c: Comparison) -> list[str]:
    lines = []
    for kind in KINDS:
        t = c.tallies[kind]
        pct = f"{100 * t.patrol_also / t.librenms:.0f}%" if t.librenms else "-"
        lines.append(f"{KIND_NAMES[kind]} {t.patrol_also} of {t.librenms} ({pct})"
                     + (f"; Patrol reads {t.patrol_only} more" if t.patrol_only else ""))
    if c.not_in_walk:
        lines.append(f"not counted: {len(c.not_in_walk)} LibreNMS readings whose OID the served walk does not hold "
                     "(another version of the recording)")
    return lines


# Every remaining difference, with why (docs/network-snmp.md has the same table). The test
# fails when a difference appears that is not here, or one here no longer appears.
# the optic temperatures LibreNMS's Huawei VRP discovery lists without a group
OPTIC_VRP = ("hwEntityOpticalTemperature (1.3.6.1.4.1.2011.5.25.31.1.1.3.1.5, "
             "hwOpticalModuleInfoTable): the SFP module's own temperature, which LibreNMS's VRP discovery lists "
             "without a group; Patrol counts optics as port data, not switch health, as for every other vendor")

EXPLAINED: dict[tuple[str, str, str], str] = {
    ("arubaos-cx_10.16", "temperature", "Temp"):
        "ENTITY-SENSOR's \"Temp Sensor\" (28.875 °C) is the vendor table's 1/1-Inlet-Air (28.875 °C): "
        "one sensor listed twice; Patrol reads the vendor table, where every sensor has its own name",
    ("powerconnect_2824", "temperature", "Internal Temperature"):
        "rlPhdUnitEnvParamTempSensorValue is column 9 of the older RADLAN-Physicaldescription-MIB "
        "and column 10 of the newer one, where column 9 is rlPhdUnitEnvParamFan6Status; the walk "
        "alone does not say which MIB the agent follows (LibreNMS guesses from the value: above 10 "
        "means a temperature), so Patrol names it not readable rather than guess",
    ("dell-os10_s4128ton-psu", "psus", "PSU 1"):
        "os10PowerSupplyOperStatus notPresent(6): LibreNMS calls an empty supply slot critical; "
        "Patrol names it in switch.health as not fitted (information: a single-supply build is not a fault)",
    ("vrp_5720", "temperature", "XGigabitEthernet0/0/1"):
        OPTIC_VRP,
    ("vrp_5720", "temperature", "XGigabitEthernet0/0/2"):
        OPTIC_VRP,
    ("vrp_5720", "temperature", "XGigabitEthernet0/0/4"):
        OPTIC_VRP,
}
