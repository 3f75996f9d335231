"""Check settings from the centre (issue 12, point 5): how an enrolled agent combines the
collector's ``checks`` with its own file's.

The collector's settings are the base; the local file may override only the keys the
collector allows (``local_overrides``: dotted paths below ``checks``, ``fnmatch`` patterns
such as ``web.*``); any other local key under ``checks`` is ignored, and named in one
warning. A central document that is not valid is logged and ignored: the agent then runs
on its own file, as before it was enrolled.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CentralConfig:
    """What `config:pull` saved from ``GET /api/v1/agents/me/config``."""

    checks: dict[str, Any]
    local_overrides: tuple[str, ...]
    etag: str | None = None


class CentralConfigError(ValueError):
    pass


def parse_central(text: str) -> CentralConfig:
    """The saved document (``{"etag": ..., "config": AgentConfig JSON}``); CentralConfigError when it is not one."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CentralConfigError(f"not JSON ({exc.msg} at line {exc.lineno})") from None
    body = data.get("config") if isinstance(data, dict) else None
    if not isinstance(body, dict):
        raise CentralConfigError("no 'config' object")
    checks, overrides = body.get("checks"), body.get("local_overrides", [])
    if not isinstance(checks, dict):
        raise CentralConfigError("'config.checks' is not a mapping")
    if not isinstance(overrides, list) or not all(isinstance(p, str) for p in overrides):
        raise CentralConfigError("'config.local_overrides' is not a list of strings")
    etag = data.get("etag")
    return CentralConfig(checks, tuple(overrides), etag if isinstance(etag, str) else None)


def leaves(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted paths of the non-mapping values (lists are values, not descended into)."""
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            yield from leaves(value, path)
        else:
            yield path, value


def allowed(path: str, patterns: Sequence[str]) -> bool:
    """Whether ``path`` (or one of its parents: ``web`` allows ``web.urls``) matches a pattern."""
    parts = path.split(".")
    candidates = [".".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in candidates)


def merge_checks(central: Mapping[str, Any], local: Mapping[str, Any],
                 patterns: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """Central ``checks`` with the allowed local leaves set over them; returns (merged, ignored local paths)."""
    merged = copy.deepcopy(dict(central))
    ignored = []
    for path, value in leaves(local):
        if not allowed(path, patterns):
            ignored.append(path)
            continue
        node = merged
        *parents, last = path.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[last] = copy.deepcopy(value)
    return merged, ignored


def read_central(path: Path) -> CentralConfig | None:
    """The saved central document, or None (none yet, or unreadable: logged)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        log.error("check settings from the collector ignored: cannot read %s: %s", path, exc)
        return None
    try:
        return parse_central(text)
    except CentralConfigError as exc:
        log.error("check settings from the collector ignored: %s: %s", path, exc)
        return None


def warn_ignored_once(ignored: Sequence[str], patterns: Sequence[str], note: Path) -> None:
    """One warning naming the ignored local keys; every worker loads settings, so the last
    warned set is kept in ``note`` and the warning repeats only when it changes."""
    text = "\n".join(sorted(ignored))
    try:
        if note.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    if ignored:
        log.warning("this agent's check settings come from its collector; local settings ignored (the collector "
                    "allows only %s): checks.%s", ", ".join(patterns) or "none",
                    ", checks.".join(sorted(ignored)))
    try:
        note.write_text(text, encoding="utf-8")
    except OSError:
        pass

