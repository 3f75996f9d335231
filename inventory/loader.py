"""Load an inventory from YAML or CSV, resolving groups and defaults once.

YAML layout (see docs/inventory.md)::

    site: {name: hq, customer: ACME}
    defaults: {criticality: normal}
    groups:
      core: {criticality: critical, snmp: {community: env:SNMP_RO}}
    hosts:
      - {name: pc-001, address: 10.1.0.21, groups: [office], depends_on: [sw-core-1]}
    network_devices:
      - {name: sw-core-1, address: 10.1.0.1, groups: [core], platform: cisco_ios}
    printers:
      - {name: prn-2f, address: 10.1.0.50}

A CSV file has one target a row with the columns ``kind,name,address,groups,platform,
criticality,depends_on`` (lists separated by ``;``) plus optional ``asset.*`` columns;
groups and defaults come from an optional YAML file beside it with the same stem.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import gc
import io
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.checks.base import Strict
from config.loader import (ConfigError, ConfigProblem, YamlDocument, dotted, problems_from_validation,
                           read_bytes_capped, read_yaml)
from inventory.models import Host, Inventory, NetworkDevice, Printer, Site

SECTIONS: Mapping[str, type[Strict]] = {"hosts": Host, "network_devices": NetworkDevice, "printers": Printer}
_TOP_KEYS = {"site", "defaults", "groups", *SECTIONS}
# Keys merged field by field (a group's snmp.community plus a host's snmp.port).
_DEEP_KEYS = {"snmp", "cli", "asset", "tags"}
_LIST_KEYS = {"depends_on", "uplinks"}


def load_inventory(path: Path | None, *, local_name: str | None = None) -> Inventory:
    """The resolved inventory from ``path`` (YAML or CSV), plus this computer as a local host."""
    if path is None:
        return with_local_host(Inventory(), local_name)
    with _cycle_collector_paused():
        return with_local_host(resolve(read_document(path)), local_name)


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off while an inventory is built. Loading allocates millions
    of dicts, strings and models and none of them form a cycle, yet each allocation burst
    set off collections that scanned everything built so far: a third of the CPU of loading
    40,000 targets (bench/inventory_load.py). Reference counting still frees all garbage."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_document(path: Path) -> YamlDocument:
    """The inventory file as data with the line of each key path (YAML or CSV)."""
    return _csv_document(path) if path.suffix.lower() == ".csv" else read_yaml(path)


def resolve(doc: YamlDocument) -> Inventory:
    data = doc.data or {}
    problems: list[ConfigProblem] = []

    def problem(loc: tuple, message: str) -> None:
        problems.append(ConfigProblem(doc.file, doc.line_of(loc), dotted(loc), message))

    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(doc.file, 1, "", "expected a mapping with site, groups, hosts, ...")])
    for key in data:
        if key not in _TOP_KEYS:
            problem((key,), f"unknown section '{key}'; expected one of {', '.join(sorted(_TOP_KEYS))}")

    defaults = data.get("defaults") or {}
    groups = data.get("groups") or {}
    if not isinstance(defaults, dict):
        problem(("defaults",), "expected a mapping of default fields")
        defaults = {}
    if not isinstance(groups, dict):
        problem(("groups",), "expected a mapping of group name to fields")
        groups = {}
    for gname, gfields in groups.items():
        if not isinstance(gfields, dict):
            problem(("groups", gname), "expected a mapping of fields")
        elif "groups" in gfields:
            problem(("groups", gname, "groups"), "groups cannot contain groups")
        else:
            _check_inherited_keys(gfields, ("groups", gname), problem)
    _check_inherited_keys(defaults, ("defaults",), problem)

    resolved: dict[str, list[Any]] = {name: [] for name in SECTIONS}
    seen: dict[str, tuple] = {}
    inherited_seen: set[ConfigProblem] = set()
    for section, model in SECTIONS.items():
        # Read once: a model class's model_fields is a property that costs microseconds a call.
        fields = frozenset(model.model_fields)
        entries = data.get(section) or []
        if not isinstance(entries, list):
            problem((section,), "expected a list of targets")
            continue
        for index, entry in enumerate(entries):
            loc = (section, index)
            if not isinstance(entry, dict):
                problem(loc, "expected a mapping with at least 'name'")
                continue
            name = entry.get("name")
            if isinstance(name, str):
                if name in seen:
                    first = seen[name]
                    problem(loc + ("name",), f"duplicate name '{name}' (first at line {doc.line_of(first)})")
                    continue
                seen[name] = loc + ("name",)
            merged = dict(defaults) if isinstance(defaults, dict) else {}
            entry_groups = entry.get("groups") or ()
            if not isinstance(entry_groups, (list, tuple)) or not all(isinstance(g, str) for g in entry_groups):
                problem(loc + ("groups",), "expected a list of group names, e.g. [office, floor-2]")
                continue
            for gname in entry_groups:
                if gname not in groups:
                    close = [g for g in groups if g.lower() == str(gname).lower()]
                    hint = f"; did you mean '{close[0]}'?" if close else f"; defined groups: {', '.join(sorted(groups)) or 'none'}"
                    problem(loc + ("groups",), f"unknown group '{gname}'{hint}")
                    continue
                merged = _merge(merged, groups[gname] if isinstance(groups[gname], dict) else {})
            # Inherited fields apply where this kind of target has them (snmp is for devices and
            # printers, not hosts); the target's own keys are validated strictly.
            merged = {k: v for k, v in merged.items() if k in fields}
            merged = _merge(merged, entry)
            merged.pop("kind", None)
            try:
                resolved[section].append(model.model_validate(merged))
            except ValidationError as exc:
                origin = _origins(defaults, groups, entry_groups)
                problems.extend(_inherited_at_source(problems_from_validation(exc, model, doc, root=loc),
                                                     loc, entry, origin, doc, inherited_seen))

    site_data = data.get("site") or {}
    try:
        site = Site.model_validate(site_data)
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, Site, doc, root=("site",)))
        site = Site()

    names = set(seen)
    for section in SECTIONS:
        for index, target in enumerate(resolved[section]):
            for parent in target.depends_on:
                if parent not in names:
                    problem((section, index, "depends_on"), f"'{target.name}' depends on unknown target '{parent}'")
    if problems:
        raise ConfigError(problems)
    inventory = Inventory(site=site, hosts=tuple(resolved["hosts"]),
                          network_devices=tuple(resolved["network_devices"]), printers=tuple(resolved["printers"]))
    cycle = _dependency_cycle(inventory)
    if cycle:
        raise ConfigError([ConfigProblem(doc.file, None, "depends_on", "dependency cycle: " + " -> ".join(cycle))])
    return inventory


def _origins(defaults: Any, groups: Mapping[str, Any], entry_groups: Any) -> dict[str, tuple]:
    """Where each inherited key of a target was set: its last group listing it, else
    ``defaults``. Worked out only for a target that failed validation."""
    origin: dict[str, tuple] = {key: ("defaults", key) for key in (defaults if isinstance(defaults, dict) else ())}
    for gname in entry_groups:
        if isinstance(groups.get(gname), dict):
            origin.update({key: ("groups", gname, key) for key in groups[gname]})
    return origin


def _inherited_at_source(problems: list[ConfigProblem], loc: tuple, entry: Mapping[str, Any],
                         origin: Mapping[str, tuple], doc: YamlDocument, seen: set[ConfigProblem]) -> list[ConfigProblem]:
    """A problem in a field the target inherited (a plain-text secret in ``defaults``) is
    reported once, at the line that sets it, not at every target that inherits it."""
    prefix = dotted(loc)
    out: list[ConfigProblem] = []
    for p in problems:
        rest = p.path[len(prefix):].lstrip(".")
        key = rest.split(".", 1)[0].split("[", 1)[0]
        if key and key not in entry and key in origin:
            source = origin[key]
            path = dotted(source[:-1]) + "." + rest if len(source) > 1 else rest
            p = ConfigProblem(p.file, doc.line_of(source), path, p.message)
            if p in seen:
                continue
            seen.add(p)
        out.append(p)
    return out


def _check_inherited_keys(fields: Mapping[str, Any], loc: tuple, problem: Any) -> None:
    known = {name for model in SECTIONS.values() for name in model.model_fields} - {"name", "kind", "local"}
    for key in fields:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problem(loc + (key,), f"unknown key '{key}' (not a field of any target kind){hint}")


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if key in _DEEP_KEYS and isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = {**out[key], **value}
        elif key in _LIST_KEYS and isinstance(out.get(key), list) and isinstance(value, list):
            # A malformed list (a nested list) is left for the model to reject with its line.
            joined = [*out[key], *value]
            out[key] = list(dict.fromkeys(joined)) if all(isinstance(v, str) for v in joined) else joined
        else:
            out[key] = value
    return out


def _dependency_cycle(inventory: Inventory) -> list[str] | None:
    """A cycle in ``depends_on``, or None. Each target is finished once (linear: an
    8,000-target chain used to take 37 s when every start walked the whole chain again)."""
    parents = {t.name: t.depends_on for t in inventory.targets}
    done: set[str] = set()
    for start in parents:
        if start in done:
            continue
        path = [start]
        stack = [(start, iter(parents[start]))]
        on_path = {start}
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                on_path.discard(node)
                done.add(node)
                path.pop()
                continue
            if nxt in on_path:
                return [*path[path.index(nxt):], nxt]
            if nxt in parents and nxt not in done:
                on_path.add(nxt)
                path.append(nxt)
                stack.append((nxt, iter(parents[nxt])))
    return None


def with_local_host(inventory: Inventory, local_name: str | None) -> Inventory:
    """Mark the inventory's entry for this computer as local, or add one."""
    name = local_name or socket.gethostname()
    hosts = list(inventory.hosts)
    for index, host in enumerate(hosts):
        if host.name == name:
            hosts[index] = host.model_copy(update={"local": True})
            return inventory.model_copy(update={"hosts": tuple(hosts)})
    try:
        local = Host(name=name, address="127.0.0.1", local=True)
    except ValidationError:
        # A host name that is not a valid target name (rare): keep its safe part.
        safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in name).strip("-.") or "localhost"
        local = Host(name=safe, address="127.0.0.1", local=True)
    return inventory.model_copy(update={"hosts": (local, *hosts)})


_CSV_LISTS = {"groups", "depends_on", "uplinks"}
_CSV_KIND_SECTION = {"host": "hosts", "network_device": "network_devices", "switch": "network_devices",
                     "router": "network_devices", "printer": "printers"}


# Excel on a Chinese Windows saves "CSV" in the ANSI code page (GBK, read here as its
# superset GB18030) and "Unicode text" as UTF-16 with a BOM; both are read as they are.
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# A cell larger than this is not an inventory field (the csv module's own limit is 128 KB).
_CSV_FIELD_LIMIT = 64 * 1024


def _csv_text(path: Path) -> str:
    raw = read_bytes_capped(path)
    encodings = [enc for bom, enc in _BOMS if raw.startswith(bom)][:1] or ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            failure = exc
    line = raw[: failure.start].count(b"\n") + 1
    raise ConfigError([ConfigProblem(str(path), line, "", f"cannot read as {' or '.join(encodings)}; "
                                     "save the file as \"CSV UTF-8\" (Excel) or UTF-8 text")])


def _delimiter(header: str) -> str:
    """',' unless the header is clearly separated by ';' or tabs (Excel in many locales
    writes ';')."""
    for candidate in ("\t", ";"):
        if candidate in header and "," not in header and "name" in header.split(candidate):
            return candidate
    return ","


def _csv_sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_suffix(".yaml")
    if not sidecar.exists():
        return {}
    doc = read_yaml(sidecar)
    side = doc.data if doc.data is not None else {}
    if not isinstance(side, dict):
        raise ConfigError([ConfigProblem(str(sidecar), 1, "", "expected a mapping with site, defaults and groups, "
                                         f"got {type(side).__name__}")])
    return {k: v for k, v in side.items() if k in ("site", "defaults", "groups")}


def _csv_document(path: Path) -> YamlDocument:
    """A CSV inventory as the same document shape the YAML loader reads, lines kept."""
    text = _csv_text(path)
    base = _csv_sidecar(path)
    data: dict[str, Any] = {**base, **{s: [] for s in SECTIONS}}
    lines: dict[tuple, int] = {(): 1}
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = _delimiter(header)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    problems = []
    previous_limit = csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        fieldnames = reader.fieldnames
        if not fieldnames or "name" not in [f.strip() for f in fieldnames]:
            found = ", ".join(repr(f) for f in (fieldnames or [])[:6]) or "nothing"
            raise ConfigError([ConfigProblem(str(path), 1, "", "the header needs at least the columns kind,name,address "
                                             f"separated by commas; found {found}")])
        reader.fieldnames = [f.strip() for f in fieldnames]
        for row in reader:
            line = reader.line_num
            entry, problem = _csv_entry(row)
            if problem is not None:
                problems.append(ConfigProblem(str(path), line, problem[0], problem[1]))
                continue
            section = _CSV_KIND_SECTION[(row.get("kind") or "host").strip().lower()]
            index = len(data[section])
            data[section].append(entry)
            lines[(section, index)] = line
            for key in entry:
                lines[(section, index, key)] = line
    except csv.Error as exc:
        # line_num counts the lines read before the one that failed
        problems.append(ConfigProblem(str(path), reader.line_num + 1, "", f"not readable as CSV: {exc}"))
    finally:
        csv.field_size_limit(previous_limit)
    if problems:
        raise ConfigError(problems)
    return YamlDocument(str(path), data, lines)


def _csv_entry(row: Mapping[str | None, Any]) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """One row as an inventory entry, or the (column, message) that makes it unusable."""
    kind = (row.get("kind") or "host").strip().lower()
    if kind not in _CSV_KIND_SECTION:
        return {}, ("kind", f"unknown kind {kind!r}; expected host, switch, router or printer")
    entry: dict[str, Any] = {}
    for column, value in row.items():
        if column is None or column == "kind" or not isinstance(value, str) or value.strip() == "":
            continue
        value = value.strip()
        if column in _CSV_LISTS:
            entry[column] = [v.strip() for v in value.split(";") if v.strip()]
        elif "." in column:
            outer, inner = column.split(".", 1)
            nested = entry.setdefault(outer, {})
            if not isinstance(nested, dict):
                return {}, (column, f"column '{column}' puts a field inside '{outer}', which is not a group of "
                                    "fields (use asset.*, snmp.*, cli.* or tags.*)")
            nested[inner] = value
        elif isinstance(entry.get(column), dict):
            return {}, (column, f"column '{column}' clashes with the '{column}.*' columns")
        else:
            entry[column] = value
    return entry, None
