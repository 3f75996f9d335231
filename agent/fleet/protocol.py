"""The collector API's contract, shared by `patrol serve` and the agents that push to it.

Everything an agent sends is validated here (pydantic, ``extra="forbid"``, bounded
lengths), so a wrong body is a 422 naming the field, never a crash of the collector. The
same models give the OpenAPI schema that tests fuzz (schemathesis).

Paths (all below ``/api/v1``)::

    POST /enroll                 one-time token -> this agent's credential
    POST /results                a batch of check runs (gzip allowed), idempotent by (agent, seq)
    POST /assets                 this computer's asset snapshot (gzip allowed), only when its content hash changed
    GET  /agents/me/config       check settings from the centre (ETag / If-None-Match)
    POST /alertmanager           Alertmanager webhook v4 (bearer token from serve.alertmanager.token)
    GET  /ca.pem                 the collector's CA certificate, for pinning at enrolment
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from collectors import messages
from collectors.base import CheckResult, CheckRun, MessageRef, Metric, State

API = "/api/v1"
ENROLL_PATH = f"{API}/enroll"
RESULTS_PATH = f"{API}/results"
CONFIG_PATH = f"{API}/agents/me/config"
ASSETS_PATH = f"{API}/assets"
ALERTMANAGER_PATH = f"{API}/alertmanager"
CA_PATH = f"{API}/ca.pem"

Name = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Item = Annotated[str, StringConstraints(max_length=256)]
Text = Annotated[str, StringConstraints(max_length=4096)]
LongText = Annotated[str, StringConstraints(max_length=65536)]
MetricName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=128)]


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # year 1 with a positive offset, year 9999 with a negative one
        raise ValueError("a time that is out of range once converted to UTC") from None


# A time with its offset, held in UTC: converted when the batch is read, so a time that has
# no UTC equivalent is a 422 naming the field, not a 500 when it is stored.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
StateName = Literal["OK", "WARN", "CRIT", "UNKNOWN"]


class Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MachineIdentity(Wire):
    """What makes an agent the same computer across reinstalls, re-enrolment and IP changes."""

    hostname: Name
    machine_id: Annotated[str | None, StringConstraints(max_length=128)] = None
    smbios_uuid: Annotated[str | None, StringConstraints(max_length=64)] = None


class EnrollRequest(Wire):
    token: Annotated[str, StringConstraints(min_length=8, max_length=256)]
    name: Name  # the agent's own name (agent.name), its target name unless an admin renamed it
    identity: MachineIdentity
    os: Annotated[str, StringConstraints(max_length=256)] = ""
    version: Annotated[str, StringConstraints(max_length=64)] = ""


class EnrollResponse(Wire):
    agent_id: str
    site: str
    target: str
    credential: str  # shown once; the collector keeps only its hash
    reenrolled: bool  # True: this computer was known already, same target and history


class MetricIn(Wire):
    name: MetricName
    value: float
    unit: Annotated[str, StringConstraints(max_length=32)] = ""
    labels: Annotated[dict[Annotated[str, StringConstraints(max_length=64)], Annotated[str, StringConstraints(max_length=256)]],
                      Field(max_length=16)] = {}


class ResultIn(Wire):
    check: Name
    item: Item = ""
    state: StateName
    summary: Text
    details: LongText = ""
    observed_at: UtcDatetime
    metrics: Annotated[list[MetricIn], Field(max_length=256)] = []
    # The summary as a message id + parameters (collectors/messages.py); absent from older
    # agents. One that does not read as a message is dropped, the summary still counts.
    message: dict[str, Any] | None = None


class RunIn(Wire):
    collector: Name
    started_at: UtcDatetime
    duration_s: Annotated[float, Field(ge=0, le=86400)]
    error: Annotated[str | None, StringConstraints(max_length=4096)] = None
    results: Annotated[list[ResultIn], Field(max_length=10_000)]


class ResultBatch(Wire):
    """One push. ``seq`` counts up by one per batch of this agent; the collector stores each
    (agent, seq) once and never one older than what it has, so a re-sent batch is a no-op."""

    batch_id: Annotated[str, StringConstraints(min_length=8, max_length=64)]
    seq: Annotated[int, Field(ge=1, le=2**62)]
    sent_at: UtcDatetime  # the agent's clock, to notice skew
    hostname: Name
    version: Annotated[str, StringConstraints(max_length=64)] = ""
    os: Annotated[str, StringConstraints(max_length=256)] = ""
    interval_s: Annotated[float, Field(gt=0, le=7 * 86400)] = 300  # the agent's shortest schedule: for silence
    # bounded: every integer here ends up in a 64-bit database column
    dropped: Annotated[int, Field(ge=0, le=2**40)] = 0  # results the agent dropped past its outbox bound, since the last batch
    runs: Annotated[list[RunIn], Field(max_length=10_000)]


class BatchAck(Wire):
    batch_id: str
    seq: int
    stored: bool  # False: a batch with this or a later seq was stored already (a re-send)
    results: int


class AssetPush(Wire):
    """One asset snapshot of the agent's own computer (agent/assets/model.py). ``snapshot`` is
    the model's canonical JSON, checked field by field by ``model.from_json`` on arrival (a
    422 names the field); ``hash`` is its content hash, recomputed by the collector. Added
    after the results path: a collector that predates it answers 404 and the agent keeps the
    snapshot for later."""

    hostname: Name
    hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    snapshot: dict[str, Any]


class AssetAck(Wire):
    hash: str
    stored: bool  # False: the archive has this state already (same content hash)


class AgentConfig(Wire):
    """Check settings from the centre; an agent applies them under its own file's settings,
    except that its file may override only ``local_overrides``."""

    site: str
    target: str
    checks: dict[str, Any]
    local_overrides: list[str]


class Problem(Wire):
    """Every error reply: one line saying what was wrong."""

    detail: str


# --- conversions -------------------------------------------------------------------------


def run_to_wire(run: CheckRun) -> dict[str, Any]:
    """A run as the JSON an agent pushes (the target is implied by the agent's credential)."""
    return {
        "collector": run.collector, "started_at": run.started_at.isoformat(), "duration_s": max(0.0, run.duration_s),
        "error": run.error,
        "results": [{"check": r.check, "item": r.item, "state": r.state.name, "summary": r.summary,
                     "details": r.details, "observed_at": r.observed_at.isoformat(),
                     "metrics": [{"name": m.name, "value": m.value, "unit": m.unit, "labels": dict(m.labels)}
                                 for m in r.metrics],
                     **({"message": messages.to_json(r.message)} if r.message is not None else {})}
                    for r in run.results],
    }


# Name parts Prometheus' metric linter (promtool check metrics, client_golang promlint)
# rejects: abbreviated units and units that are not base units. The exporter converts
# Patrol's own "days" and "percent"; any other such name pushed by an agent (a plugin's, or
# hostile) would make the collector's whole /metrics fail the lint, so it is dropped here.
LINT_REFUSED_PARTS = frozenset({
    "s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d",  # abbreviations
    "minutes", "hours", "milliseconds", "microseconds", "nanoseconds", "bits", "kilobytes", "megabytes",
    "gigabytes", "terabytes", "petabytes", "kilograms", "grams", "kilometers", "millimeters", "fahrenheit",
})


def lint_clean(name: str, unit: str) -> bool:
    """Whether a pushed metric's exported name passes Prometheus' linter."""
    parts = name.split("_")
    if unit in ("days", "percent"):  # exported as _seconds / _ratio
        parts = parts[:-1]
    return not any(part in LINT_REFUSED_PARTS for part in parts)


def run_from_wire(run: RunIn, target: str) -> CheckRun:
    """A pushed run as a CheckRun on ``target`` (the agent's own, whatever the body says).

    A metric that breaks the product's naming rules (unit suffix, labels) or Prometheus'
    linter is dropped rather than failing the whole batch: the result's state and summary
    still count.
    """
    results = []
    for r in run.results:
        metrics = []
        for m in r.metrics:
            if not lint_clean(m.name, m.unit):
                continue
            try:
                metrics.append(Metric(m.name, m.value, m.unit, tuple(sorted(m.labels.items()))))
            except ValueError:
                continue
        results.append(CheckResult(check=r.check, target=target, item=r.item, state=State[r.state],
                                   summary=r.summary, details=r.details, metrics=tuple(metrics),
                                   observed_at=r.observed_at.astimezone(timezone.utc), message=_message(r.message)))
    return CheckRun(collector=run.collector, target=target, started_at=run.started_at.astimezone(timezone.utc),
                    duration_s=run.duration_s, results=tuple(results), error=run.error)


MAX_MESSAGE_CHARS = 4096


def _message(data: dict[str, Any] | None) -> MessageRef | None:
    """A pushed message, or None when it is absent, malformed or larger than a summary may be."""
    if data is None or len(json.dumps(data, ensure_ascii=False)) > MAX_MESSAGE_CHARS:
        return None
    return messages.from_json_or_none(data)


def utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc)
