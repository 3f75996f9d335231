"""What a worker process tells `patrol run`: one JSON object per line on its stdout.

Both sides import this module, so it stays light (no pydantic, no SQLAlchemy): the whole
point of the worker split is that the long-lived process never loads them.

Messages (``kind`` and its fields)::

    {"kind": "plan", "site": ..., "version": ..., "exporter": {...}, "log": {...}, "jobs": [...]}
    {"kind": "run", "run": {...}}        a finished check run (already stored by the worker)
    {"kind": "latest", "runs": [...]}    the store's last known states, to seed /metrics
    {"kind": "outbox", "pending": N, ...} ticket activity (see ``TicketActivity``): calls waiting for
                                         the backend, open tickets per tier, call outcomes, deadlines
    {"kind": "push", "pending": N, "held": N, "dropped_total": N, "last_success": T|null}
                                         the push outbox of an enrolled agent (agent/run/push.py)
    {"kind": "confirm", "tasks": ["confirm:<family>:<target>", ...], "after_s": S}
                                         run these re-checks S seconds from now (a down check failed once)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collectors import messages
from collectors.base import CheckResult, CheckRun, Metric, State


class WireError(ValueError):
    """A worker line that is not a message this version understands."""


@dataclass(frozen=True, slots=True)
class Message:
    kind: str
    body: dict[str, Any]


def encode(kind: str, **body: Any) -> str:
    return json.dumps({"kind": kind, **body}, ensure_ascii=False, separators=(",", ":"))


def decode(line: str) -> Message:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise WireError(f"not JSON ({exc.msg} at column {exc.colno}): {line[:120]!r}") from None
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        raise WireError(f"not a message object with a 'kind': {line[:120]!r}")
    kind = data.pop("kind")
    return Message(kind, data)


def result_to_json(result: CheckResult) -> dict[str, Any]:
    return {"check": result.check, "target": result.target, "item": result.item, "state": result.state.name,
            "summary": result.summary, "details": result.details, "observed_at": result.observed_at.isoformat(),
            "metrics": [[m.name, m.value, m.unit, [list(kv) for kv in m.labels]] for m in result.metrics],
            **({"message": messages.to_json(result.message)} if result.message is not None else {})}


def result_from_json(data: dict[str, Any]) -> CheckResult:
    try:
        return CheckResult(
            check=data["check"], target=data["target"], item=data["item"], state=State[data["state"]],
            summary=data["summary"], details=data.get("details", ""),
            metrics=tuple(Metric(name, float(value), unit, tuple((str(k), str(v)) for k, v in labels))
                          for name, value, unit, labels in data.get("metrics", ())),
            observed_at=datetime.fromisoformat(data["observed_at"]),
            message=messages.from_json(data["message"]) if data.get("message") is not None else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"bad check result ({type(exc).__name__}: {exc})") from None


def run_to_json(run: CheckRun) -> dict[str, Any]:
    return {"collector": run.collector, "target": run.target, "started_at": run.started_at.isoformat(),
            "duration_s": run.duration_s, "error": run.error, "results": [result_to_json(r) for r in run.results]}


def run_from_json(data: dict[str, Any]) -> CheckRun:
    try:
        return CheckRun(collector=data["collector"], target=data["target"],
                        started_at=datetime.fromisoformat(data["started_at"]), duration_s=float(data["duration_s"]),
                        results=tuple(result_from_json(r) for r in data["results"]), error=data.get("error"))
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"bad check run ({type(exc).__name__}: {exc})") from None


@dataclass(frozen=True, slots=True)
class LatestEntry:
    """A last known state from the store, as ``Snapshot.load`` takes it."""

    collector: str
    result: CheckResult
    duration_s: float


def latest_from_json(data: dict[str, Any]) -> LatestEntry:
    try:
        return LatestEntry(str(data["collector"]), result_from_json(data["result"]), float(data["duration_s"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"bad latest state ({type(exc).__name__}: {exc})") from None


@dataclass(frozen=True, slots=True)
class Deadline:
    ticket: str  # the ticket system's number (RT #8)
    tier: str
    deadline: str  # response | resolve
    at: float  # unix time


@dataclass(frozen=True, slots=True)
class TicketActivity:
    """The ``outbox`` message: what /metrics shows about tickets. ``operations`` are counts since the
    worker's previous message (the supervisor sums them); the rest is the state now."""

    site: str | None
    pending: int
    oldest_queued_at: float | None
    open: dict[str, int]  # tier -> open tickets
    operations: tuple[tuple[str, str, int], ...]  # (op, outcome, count)
    deadlines: tuple[Deadline, ...]
    notifications: tuple[tuple[str, str, int], ...] = ()  # (channel, outcome, count) since the previous message


def ticket_activity_from_json(data: dict[str, Any]) -> TicketActivity:
    """Also reads the older ``{"pending": N}`` form (a worker of the previous version)."""
    try:
        oldest = data.get("oldest_queued_at")
        return TicketActivity(
            site=str(data["site"]) if data.get("site") is not None else None, pending=int(data["pending"]),
            oldest_queued_at=float(oldest) if oldest is not None else None,
            open={str(k): int(v) for k, v in (data.get("open") or {}).items()},
            operations=tuple((str(op), str(outcome), int(n)) for op, outcome, n in data.get("operations") or ()),
            deadlines=tuple(Deadline(str(d["ticket"]), str(d["tier"]), str(d["deadline"]), float(d["at"]))
                            for d in data.get("deadlines") or ()),
            notifications=tuple((str(c), str(o), int(n)) for c, o, n in data.get("notifications") or ()))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WireError(f"bad outbox message ({type(exc).__name__}: {exc})") from None
