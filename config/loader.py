"""Load YAML into a settings model with errors that name the file, the line and the key path.

PyYAML's composed node tree keeps each key's line, so the loader records a line for every
key path and maps pydantic's error locations back onto it. An unknown key gets the
closest known key as a suggestion ("did you mean 'interval_s'?").
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from config.fast_yaml import NO_DOCUMENT, NotPlain, load_plain

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(Exception):
    """One or more problems in a config or inventory file; ``str()`` lists them all."""

    def __init__(self, problems: Iterable[ConfigProblem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML data plus the line (1-based) of each key path."""

    file: str
    data: Any
    lines: Mapping[Loc, int]

    def line_of(self, loc: Loc) -> int | None:
        # Walk up until a recorded path: errors on a missing key point at its parent.
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


# libyaml when PyYAML was built with it (the wheels are): a 2000-target inventory parses
# in a tenth of the pure-Python time, which matters because every `patrol run` worker
# reads the config and inventory afresh.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Aliases let a few hundred bytes of YAML describe billions of values ("billion laughs"):
# the expanded size is computed on the node graph (each node once) and refused above this
# many values, before the data is built, validated or walked for line numbers.
MAX_EXPANDED_NODES = 2_000_000


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """A safe loader whose value errors (a date such as 2026-09-31, a malformed
    ``!!timestamp``) are YAML errors with the value's line, not bare Python exceptions."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            shown = f" {node.value!r}" if isinstance(node, yaml.ScalarNode) and len(node.value) <= 80 else ""
            kind = node.tag.rsplit(":", 1)[-1]
            # A ValueError says what is wrong (day is out of range for month); the others
            # are the constructor tripping over a value that does not match its tag.
            reason = str(exc) if isinstance(exc, ValueError) else f"not a valid {kind}"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read the value{shown} as a {kind}: {reason}", node.start_mark) from None


def _expanded_size(root: yaml.Node, limit: int) -> None:
    """Raise ``ConstructorError`` if ``root`` refers to itself through an alias or expands
    to more than ``limit`` values. Linear in the number of distinct nodes."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    # Iterative post-order: a deep document must not hit Python's recursion limit either.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            total = 1 + sum(sizes[id(c)] for c in _children(node))
            if total > limit:
                raise yaml.constructor.ConstructorError(
                    None, None, f"aliases expand to more than {limit:,} values (an alias bomb?)", node.start_mark)
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise yaml.constructor.ConstructorError(None, None, "recursive alias: a value contains itself",
                                                    node.start_mark)
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise yaml.constructor.ConstructorError(None, None, "recursive alias: a value contains itself",
                                                        child.start_mark)
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    """One parse gives both the nodes (for line numbers) and the data."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if "&" in text:  # aliases need anchors: a file without '&' has none (the usual case, 15% faster)
            _expanded_size(node, MAX_EXPANDED_NODES)
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


class _LineMapOnDemand(Mapping[Loc, int]):
    """The line map of a document read by the fast path, composed from the text the first
    time a line is asked for: only a file with a problem pays for it."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: dict[Loc, int] | None = None

    def _map(self) -> dict[Loc, int]:
        if self._lines is None:
            node, _ = _compose_and_construct(self._text)
            self._lines = _line_map(node) if node is not None else {(): 1}
        return self._lines

    def __getitem__(self, loc: Loc) -> int:
        return self._map()[loc]

    def __iter__(self) -> Iterator[Loc]:
        return iter(self._map())

    def __len__(self) -> int:
        return len(self._map())


def parse_yaml(text: str, file: str) -> YamlDocument:
    try:
        data = load_plain(text)
    except NotPlain:
        pass  # anchors, tags, merge keys or an error: the full loader below
    else:
        if data is NO_DOCUMENT:
            return YamlDocument(file, {}, {(): 1})
        return YamlDocument(file, data, _LineMapOnDemand(text))
    try:
        node, data = _compose_and_construct(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(file, line, "", f"not valid YAML: {reason}")]) from None
    if node is None:
        return YamlDocument(file, {}, {(): 1})
    return YamlDocument(file, data, _line_map(node))


def _line_map(root: yaml.Node) -> dict[Loc, int]:
    """The line of every key path. A node reached again through an alias is not walked
    again: its paths point at the alias's target, which is where an error would be fixed."""
    lines: dict[Loc, int] = {}
    walked: set[int] = set()
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        lines.setdefault(loc, node.start_mark.line + 1)
        if id(node) in walked:
            continue
        walked.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
                lines[loc + (key,)] = key_node.start_mark.line + 1
                stack.append((value_node, loc + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            for index, child in enumerate(node.value):
                lines[loc + (index,)] = child.start_mark.line + 1
                stack.append((child, loc + (index,)))
    return lines


# Config and inventory files above this are refused before they are read: loading is
# linear but not free (40,000 targets, 3.8 MB, take seconds), and a 50 MB file ran past
# two minutes and 2.3 GB. 16 MiB is well over 100,000 targets.
MAX_FILE_BYTES = 16 * 1024 * 1024


def read_bytes_capped(path: Path) -> bytes:
    """The file's bytes, or a ConfigError naming it when unreadable or over MAX_FILE_BYTES."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), None, "", f"cannot read: {exc.strerror}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError([ConfigProblem(str(path), None, "", f"larger than {MAX_FILE_BYTES // 2**20} MiB; split the "
                                         "inventory (one file per site or per collector)")])
    return raw


def read_yaml(path: Path) -> YamlDocument:
    raw = read_bytes_capped(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError([ConfigProblem(str(path), line, "", "not UTF-8 text")]) from None
    return parse_yaml(text, str(path))


def validate(model: type[M], doc: YamlDocument, *, root: Loc = (), context: Mapping[str, Any] | None = None) -> M:
    """Validate ``doc.data`` against ``model``; raise ``ConfigError`` naming lines and keys."""
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(doc.file, doc.line_of(root), dotted(root),
                                         f"expected a mapping of settings, got {type(data).__name__}")])
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, model, doc, root)) from None


def problems_from_validation(exc: ValidationError, model: type[BaseModel], doc: YamlDocument,
                             root: Loc = ()) -> list[ConfigProblem]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = root + tuple(error["loc"])
        message = _message(error, model, error["loc"])
        problems.append(ConfigProblem(doc.file, doc.line_of(loc), dotted(loc), message))
    return problems


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """"; did you mean 'x'?" for the closest known name (case-insensitive), or the list of
    known names; the hint every "unknown <name>" message ends with."""
    known = sorted(set(known))
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{lowered[close[0]]}'?"
    return f"; known: {', '.join(known)}" if known else ""


def _message(error: Mapping[str, Any], model: type[BaseModel], loc: Loc) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        key = str(loc[-1])
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else (f"; known keys: {', '.join(sorted(known))}" if known else "")
        return f"unknown key '{key}'{hint}"
    if kind == "missing":
        return "required key is missing"
    message = str(error["msg"])
    # pydantic prefixes custom errors with "Value error, "; engineers do not need it.
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _known_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names (and aliases) of the model found by walking ``loc`` through ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = getattr(current, "model_fields", {}).get(part)
        current = _model_in(field.annotation) if field is not None else None
    if current is None or not hasattr(current, "model_fields"):
        return []
    names = []
    for name, field in current.model_fields.items():
        names.append(field.alias or name)
    return names


def _model_in(annotation: Any) -> Any:
    """The BaseModel class inside an annotation (``X``, ``X | None``, ``tuple[X, ...]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def dotted(loc: Loc) -> str:
    """A key path as users write it: ``hosts[1].snmp.community``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_settings(path: Path | None):
    """The settings from ``path``, or the embedded defaults when ``path`` is None."""
    from config.schema import Settings  # late: keeps `import config.loader` light

    if path is None:
        return apply_central(Settings(), YamlDocument("(defaults)", {}, {}))
    doc = read_yaml(path)
    settings = validate(Settings, doc)
    from config.checks_order import threshold_problems

    problems = [ConfigProblem(doc.file, doc.line_of(loc), dotted(loc), message)
                for loc, message in threshold_problems(settings)]
    if problems:
        raise ConfigError(problems)
    return apply_central(settings.with_base_dir(path.resolve().parent), doc)


def apply_central(settings, doc: YamlDocument):
    """An enrolled agent's settings with the collector's check settings applied
    (config/central.py); anything else unchanged. A central document that does not
    validate is logged and ignored: it never stops the agent."""
    from config.fleet_state import FleetPaths

    fleet = FleetPaths.under(settings.state_dir)
    if not (settings.collector.url or fleet.enrolled()):
        return settings
    from config.central import merge_checks, read_central, warn_ignored_once

    central = read_central(fleet.central_config)
    if central is None:
        return settings
    data = dict(doc.data) if isinstance(doc.data, dict) else {}
    local_checks = data.get("checks") if isinstance(data.get("checks"), dict) else {}
    merged, ignored = merge_checks(central.checks, local_checks, central.local_overrides)
    try:
        result = type(settings).model_validate({**data, "checks": merged})
    except ValidationError as exc:
        problems = problems_from_validation(exc, type(settings), YamlDocument(str(fleet.central_config), merged, {}))
        logging.getLogger(__name__).error(
            "check settings from the collector ignored (this agent runs on its own file): %s",
            "; ".join(f"{p.path}: {p.message}" for p in problems))
        return settings
    warn_ignored_once(ignored, central.local_overrides, fleet.ignored_note)
    return result.with_base_dir(settings.base_dir)
