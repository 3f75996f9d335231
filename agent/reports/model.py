"""The report models: what an inspection report and a fault analysis contain.

They are frozen pydantic models so that the JSON output *is* the model and its JSON
Schema (data/inspection.schema.json, data/faults.schema.json) is generated from them
(``python -m agent.reports.schema``; a test fails when the checked-in files drift).
Texts that depend on the language (recommendations) are resolved when the model is built
for a language; everything else is data, and templates label it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION = 1

CellState = Literal["ok", "warn", "crit", "unknown", "not_checked"]
SlaStatus = Literal["met", "breached", "open"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SiteInfo(Frozen):
    name: str
    customer: str | None = None
    address: str | None = None
    contract_end: date | None = None


class PeriodInfo(Frozen):
    label: str
    kind: Literal["month", "quarter", "range"]
    first_day: date
    last_day: date
    timezone: str
    start: datetime
    end: datetime


class StateCounts(Frozen):
    ok: int = 0
    warn: int = 0
    crit: int = 0
    unknown: int = 0
    not_checked: int = 0

    @property
    def checked(self) -> int:
        return self.ok + self.warn + self.crit + self.unknown


class Summary(Frozen):
    devices_total: int
    devices_inspected: int
    items: StateCounts
    samples: int
    previous_period: str
    previous_devices_inspected: int | None = None
    previous_items: StateCounts | None = None


class Evidence(Frozen):
    check: str
    item: str
    state: Literal["ok", "warn", "crit", "unknown"]
    summary: str  # in the report's language when the result has a message id, else as the collector said it
    message_id: str | None = None
    observed_at: datetime
    samples: int
    ok_ratio: float


class ChecklistCell(Frozen):
    row: str
    number: int | None
    state: CellState
    evidence: tuple[Evidence, ...] = ()


class DeviceAsset(Frozen):
    number: str | None = None
    label: str | None = None
    user: str | None = None
    location: str | None = None


class PortCounters(Frozen):
    """A switch's port errors and discards since the last inspection (agent/reports/counters.py)."""

    errors: int
    discards: int
    ports: int          # ports with a counter at the end of both periods
    restarted: int = 0  # of them, ports whose counter was reset in between (counted from zero)


class DeviceSection(Frozen):
    name: str
    kind: Literal["host", "network_device", "printer"]
    address: str
    criticality: str
    asset: DeviceAsset
    state: CellState
    cells: tuple[ChecklistCell, ...]
    port_counters: PortCounters | None = None  # switches: errors and discards since the last inspection


class FindingRow(Frozen):
    fingerprint: str
    check: str
    target: str
    item: str
    severity: Literal["warn", "crit", "unknown"]
    summary: str
    message_id: str | None = None
    first_seen: datetime
    last_seen: datetime
    recommendation: str
    recovered_at: datetime | None = None  # closed by ticketing after its last bad result: listed as recovered


class Recommendation(Frozen):
    id: str
    severity: Literal["warn", "crit", "unknown"]
    count: int
    targets: tuple[str, ...]
    title: str
    action: str


class TicketRow(Frozen):
    key: str
    fingerprint: str
    target: str
    title: str
    priority: str
    status: str
    opened_at: datetime
    resolved_at: datetime | None = None
    sla: SlaStatus
    response_minutes: float | None = None
    resolve_minutes: float | None = None


class SignOff(Frozen):
    provider: str | None = None
    engineer: str | None = None
    customer: str | None = None
    signed_on: date | None = None


class AssetConflict(Frozen):
    field: Literal["maker", "model", "serial"]
    typed: str  # kept
    captured: str


class AssetRow(Frozen):
    """One device of the asset archive appendix: typed-in values win (agent/assets/join.py)."""

    name: str
    kind: str
    number: str | None = None
    maker: str | None = None
    model: str | None = None
    serial: str | None = None
    warranty_end: date | None = None
    warranty: Literal["in_warranty", "ends_soon", "expired", "unknown"] = "unknown"
    last_captured: datetime | None = None
    conflicts: tuple[AssetConflict, ...] = ()  # typed in (kept) and captured values that disagree


class AssetChangeRow(Frozen):
    """A change in the period: hardware (with firmware) or software (with the OS)."""

    target: str
    at: datetime
    category: str
    action: Literal["added", "removed", "changed"]
    part: str  # "memory ChannelA-DIMM0.serial", "钉钉"
    before: str | None = None
    after: str | None = None


class AssetAppendix(Frozen):
    """The report's appendix from the asset archive (docs/assets.md)."""

    assets: tuple[AssetRow, ...]
    hardware_changes: tuple[AssetChangeRow, ...]
    software_changes: tuple[AssetChangeRow, ...]
    omitted_changes: int = 0  # past the appendix's bound: `patrol assets export` has them all


class InspectionReport(Frozen):
    schema_version: int = SCHEMA_VERSION
    kind: Literal["inspection"] = "inspection"
    lang: Literal["zh-CN", "en"]
    site: SiteInfo
    period: PeriodInfo
    generated_at: datetime
    inspected_by: str
    has_data: bool
    last_observed: datetime | None = None
    summary: Summary
    devices: tuple[DeviceSection, ...]
    findings: tuple[FindingRow, ...]
    recommendations: tuple[Recommendation, ...]
    tickets: tuple[TicketRow, ...]
    tickets_source: Literal["ticketing", "none"]
    findings_source: Literal["ticketing", "results"]
    signoff: SignOff
    assets: AssetAppendix | None = None  # None: nothing archived or typed in for the site


class CountRow(Frozen):
    key: str
    count: int
    previous: int


class RecurringRow(Frozen):
    fingerprint: str
    target: str
    check: str
    item: str
    occurrences: int
    last_summary: str
    message_id: str | None = None


class NoisyRow(Frozen):
    target: str
    problems: int
    non_ok_ratio: float
    checks: tuple[str, ...]


class TierRow(Frozen):
    tier: str
    tickets: int
    met: int
    breached: int
    open: int
    compliance: float | None


class TrendPoint(Frozen):
    index: int
    label: str
    problems: int
    previous: int | None


class TicketTimes(Frozen):
    tickets: int
    mtta_minutes: float | None
    mttr_minutes: float | None
    previous_tickets: int
    previous_mtta_minutes: float | None
    previous_mttr_minutes: float | None


class FaultAnalysis(Frozen):
    schema_version: int = SCHEMA_VERSION
    kind: Literal["faults"] = "faults"
    lang: Literal["zh-CN", "en"]
    site: SiteInfo
    period: PeriodInfo
    previous_period: str
    generated_at: datetime
    has_data: bool
    recurring_after: int
    problems: int
    previous_problems: int
    by_type: tuple[CountRow, ...]
    by_device: tuple[CountRow, ...]
    by_site: tuple[CountRow, ...]
    recurring: tuple[RecurringRow, ...]
    noisy: tuple[NoisyRow, ...]
    trend: tuple[TrendPoint, ...]
    times: TicketTimes
    sla_by_tier: tuple[TierRow, ...]
    tickets_source: Literal["ticketing", "none"]
    problems_source: Literal["ticketing", "results"]
    recommendations: tuple[Recommendation, ...]
