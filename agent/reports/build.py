"""Build the inspection report and the fault analysis of a site and period from the store.

Both read the daily rollup (rollup.py), never the raw results: a checklist cell's state
is the worst of the last states, within the period, of the checks that map to its row;
its evidence is each check's last summary with the share of OK samples over the period.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from agent.reports import rollup, sources
from agent.reports.checklist import Checklist, default_checklist
from agent.reports.counters import port_counters
from agent.reports.i18n import Translator
from agent.reports.model import (
    ChecklistCell, CountRow, DeviceAsset, DeviceSection, Evidence, FaultAnalysis, FindingRow, InspectionReport,
    NoisyRow, PeriodInfo, RecurringRow, SignOff, SiteInfo, StateCounts, Summary, TicketRow, TicketTimes, TierRow,
    TrendPoint,
)
from agent.reports.periods import Period
from agent.reports.recommendations import Problem, default_catalogue, group
from agent.ticketing import sla  # pure: the SLA rule reports share with ticketing
from agent.findings import fingerprint
from agent.store import core
from config.reports import ReportsSettings
from inventory.models import Inventory

_ORDER = {"ok": 0, "warn": 1, "unknown": 2, "crit": 3}
# The standard's tiers, most urgent first; configured tiers beyond these follow by name.
TIER_ORDER = ("urgent", "serious", "general")


class UnknownSite(LookupError):
    pass


@dataclass
class _Key:
    """What a period holds for one (target, check, item)."""

    target: str
    check: str
    item: str
    samples: int
    ok: int
    starts: int
    first_bad_day: date | None
    last: rollup.DayRow


def known_sites(engine: sa.Engine, inventory: Inventory, default_site: str) -> list[str]:
    with engine.connect() as conn:
        stored = {s for (s,) in conn.execute(sa.select(core.latest.c.site).distinct())}
    return sorted(stored | {inventory.site.name, default_site})


def check_site(engine: sa.Engine, inventory: Inventory, default_site: str, site: str) -> None:
    sites = known_sites(engine, inventory, default_site)
    if site not in sites:
        from config.loader import did_you_mean

        raise UnknownSite(f"--site: unknown site {site!r}{did_you_mean(site, sites)}")


def _collect(engine: sa.Engine, site: str, period: Period) -> list[_Key]:
    """Per key: sums over the period and its last day's row, aggregated in SQL (one row a key)."""
    d = rollup.rollup_days
    in_period = sa.and_(d.c.site == site, d.c.day >= period.first_day, d.c.day <= period.last_day)
    bad = d.c.n_warn + d.c.n_crit + d.c.n_unknown
    sums = (sa.select(d.c.target, d.c.check, d.c.item,
                      sa.func.sum(d.c.n_ok + bad).label("p_samples"), sa.func.sum(d.c.n_ok).label("p_ok"),
                      sa.func.sum(d.c.starts).label("p_starts"),
                      sa.func.min(sa.case((bad > 0, d.c.day))).label("first_bad_day"),
                      sa.func.max(d.c.day).label("last_day"))
            .where(in_period).group_by(d.c.target, d.c.check, d.c.item).subquery())
    # Only the columns reports use; metrics stay JSON text until a finding needs them.
    query = (sa.select(d.c.target, d.c.check, d.c.item, d.c.day, d.c.n_ok, d.c.n_warn, d.c.n_crit, d.c.n_unknown,
                       d.c.starts, d.c.last_state, d.c.last_summary, sa.type_coerce(d.c.last_metrics, sa.Text),
                       d.c.last_observed_at, d.c.last_bad_summary, sa.type_coerce(d.c.last_message, sa.Text),
                       sums.c.p_samples, sums.c.p_ok, sums.c.p_starts, sums.c.first_bad_day)
             .join(sums, sa.and_(d.c.target == sums.c.target, d.c.check == sums.c.check, d.c.item == sums.c.item,
                                 d.c.day == sums.c.last_day))
             .where(d.c.site == site))
    out = []
    with engine.connect() as conn:
        for r in conn.execute(query):
            (target, check, item, day, n_ok, n_warn, n_crit, n_unknown, starts, last_state, last_summary, metrics,
             observed_at, bad_summary, message, p_samples, p_ok, p_starts, first_bad) = r
            if isinstance(first_bad, str):  # SQLite hands back MIN() of a date as text
                first_bad = date.fromisoformat(first_bad)
            last = rollup.DayRow(site, target, check, item, day, n_ok, n_warn, n_crit, n_unknown, starts, last_state,
                                 last_summary, metrics, observed_at, bad_summary, message)
            out.append(_Key(target, check, item, int(p_samples), int(p_ok), int(p_starts), first_bad, last))
    return out


def _last_problem(engine: sa.Engine, site: str, period: Period, k: _Key) -> tuple[str, Any]:
    """What the key's latest problem in the period said (its last summary may be OK again): summary, message."""
    d = rollup.rollup_days
    query = (sa.select(d.c.last_bad_summary, sa.type_coerce(d.c.last_bad_message, sa.Text))
             .where(d.c.site == site, d.c.target == k.target, d.c.check == k.check, d.c.item == k.item,
                    d.c.day >= period.first_day, d.c.day <= period.last_day, d.c.last_bad_summary.is_not(None))
             .order_by(d.c.day.desc()).limit(1))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return (row[0], row[1]) if row is not None else (k.last.last_summary, k.last.last_message)


def _streak_start(engine: sa.Engine, site: str, period: Period, k: _Key) -> date:
    """The day the key's current problem began, looking back before the period if need be:
    the day after the last day that ended OK (or the key's first day if none did)."""
    d = rollup.rollup_days
    key = sa.and_(d.c.site == site, d.c.target == k.target, d.c.check == k.check, d.c.item == k.item)
    with engine.connect() as conn:
        last_ok = conn.execute(sa.select(sa.func.max(d.c.day))
                               .where(key, d.c.day <= period.last_day, d.c.last_state == "ok")).scalar()
        if isinstance(last_ok, str):
            last_ok = date.fromisoformat(last_ok)
        query = sa.select(sa.func.min(d.c.day)).where(key, d.c.day <= period.last_day)
        if last_ok is not None:
            query = query.where(d.c.day > last_ok)
        first = conn.execute(query).scalar()
    if isinstance(first, str):
        first = date.fromisoformat(first)
    return first or k.first_bad_day or k.last.day


def _starts_by(engine: sa.Engine, period: Period, columns: Sequence[str], site: str | None) -> dict[Any, int]:
    """Problem starts in the period grouped by rollup columns (day; site; target and check)."""
    d = rollup.rollup_days
    cols = [d.c[c] for c in columns]
    query = (sa.select(*cols, sa.func.sum(d.c.starts)).where(d.c.day >= period.first_day, d.c.day <= period.last_day)
             .group_by(*cols))
    if site is not None:
        query = query.where(d.c.site == site)
    out: dict[Any, int] = {}
    with engine.connect() as conn:
        for *key, n in conn.execute(query):
            if not n:
                continue
            if columns == ["day"] and isinstance(key[0], str):  # SQLite hands dates of a GROUP BY back as text
                key[0] = date.fromisoformat(key[0])
            out[key[0] if len(key) == 1 else tuple(key)] = int(n)
    return out


def _metrics(raw: Any) -> dict[str, float]:
    if isinstance(raw, str):  # JSON columns come back as text from some drivers
        raw = json.loads(raw)
    # Labelled metrics (missing_updates_count{severity=...}) are parts, not the item's value.
    return {m["name"]: float(m["value"]) for m in raw or () if not m.get("labels")}


def _sum_by(counts: Mapping[tuple[str, str], int], index: int) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for key, n in counts.items():
        out[key[index]] += n
    return dict(out)


def _said(t: Translator, summary: str, message: Any, field: str = "summary") -> dict[str, Any]:
    """A result's sentence in the report's language and the message id it came from (None:
    the result has none, so the English summary is shown as it is)."""
    text, message_id = t.result_text(summary, message)
    return {field: text, "message_id": message_id}


def _site_info(inventory: Inventory, site: str) -> SiteInfo:
    s = inventory.site
    if s.name == site:
        return SiteInfo(name=site, customer=s.customer, address=s.address, contract_end=s.contract_end)
    return SiteInfo(name=site)


def _period_info(period: Period) -> PeriodInfo:
    return PeriodInfo(label=period.label, kind=period.kind, first_day=period.first_day, last_day=period.last_day,
                      timezone=period.zone, start=period.start, end=period.end)


def _devices(inventory: Inventory, site: str, keys: Iterable[_Key]) -> dict[str, tuple[str, Any]]:
    """Devices of the report: the inventory's targets plus any target that reported results."""
    out: dict[str, tuple[str, Any]] = {}
    if inventory.site.name == site:
        for t in inventory.targets:
            out[t.name] = (t.kind, t)
    for k in keys:
        out.setdefault(k.target, ("host", None))
    return out


def _cells(checklist: Checklist, kind: str, keys: Sequence[_Key], t: Translator) -> tuple[ChecklistCell, ...]:
    by_row: dict[str, list[_Key]] = defaultdict(list)
    for k in keys:
        by_row[checklist.row_of(kind, k.check)].append(k)
    cells = []
    for row in checklist.rows_for(kind):
        members = sorted(by_row.get(row.id, ()), key=lambda k: (k.check, k.item))
        if not members:
            if row.id != "other":
                cells.append(ChecklistCell(row=row.id, number=row.number, state="not_checked"))
            continue
        evidence = tuple(Evidence(check=k.check, item=k.item, state=k.last.last_state,
                                  **_said(t, k.last.last_summary, k.last.last_message),
                                  observed_at=k.last.last_observed_at, samples=k.samples,
                                  ok_ratio=round(k.ok / k.samples, 4) if k.samples else 0.0) for k in members)
        state = max((e.state for e in evidence), key=_ORDER.__getitem__)
        cells.append(ChecklistCell(row=row.id, number=row.number, state=state, evidence=evidence))
    return tuple(cells)


def _cell_states(checklist: Checklist, kind: str, keys: Iterable[_Key]) -> list[str]:
    """The states of a device's cells, as _cells gives them, without building evidence (for comparisons)."""
    states: dict[str, str] = {row.id: "not_checked" for row in checklist.rows_for(kind) if row.id != "other"}
    for k in keys:
        row = checklist.row_of(kind, k.check)
        current = states.get(row, "not_checked")
        if current == "not_checked" or _ORDER[k.last.last_state] > _ORDER[current]:
            states[row] = k.last.last_state
    return list(states.values())


def _count_states(states: Iterable[str]) -> StateCounts:
    n: dict[str, int] = defaultdict(int)
    for state in states:
        n[state] += 1
    return StateCounts(**n)


def _worst(cells: Sequence[ChecklistCell]) -> str:
    checked = [c.state for c in cells if c.state != "not_checked"]
    return max(checked, key=_ORDER.__getitem__) if checked else "not_checked"


def _midnight(day: date, zone: str) -> datetime:
    """The start of a local day, in UTC like every time in the model."""
    return datetime.combine(day, time.min, ZoneInfo(zone)).astimezone(timezone.utc)


def build_inspection(engine: sa.Engine, inventory: Inventory, site: str, period: Period, *, now: datetime,
                     lang: str, settings: ReportsSettings, inspected_by: str, store: Any = None,
                     checklist: Checklist | None = None) -> InspectionReport:
    """The inspection report (巡检报告) of ``site`` over ``period``."""
    checklist = checklist or default_checklist()
    t = Translator(lang, period.zone)
    rollup.refresh(engine, period.zone)
    keys = _collect(engine, site, period)
    devices = _devices(inventory, site, keys)
    by_target: dict[str, list[_Key]] = defaultdict(list)
    for k in keys:
        by_target[k.target].append(k)

    previous = period.previous()
    prev_keys = _collect(engine, site, previous)
    prev_by_target: dict[str, list[_Key]] = defaultdict(list)
    for k in prev_keys:
        prev_by_target[k.target].append(k)

    sections = []
    for name in sorted(devices):
        kind, target = devices[name]
        cells = _cells(checklist, kind, by_target.get(name, ()), t)
        asset = DeviceAsset(**target.asset.model_dump(include={"number", "label", "user", "location"})) if target else DeviceAsset()
        counters = (port_counters(by_target.get(name, ()), prev_by_target.get(name, ()))
                    if kind == "network_device" else None)
        sections.append(DeviceSection(name=name, kind=kind, address=target.address if target else "",
                                      criticality=target.criticality if target else "normal", asset=asset,
                                      state=_worst(cells), cells=cells, port_counters=counters))
    prev_devices = _devices(inventory, site, prev_keys)
    prev_states = [state for name, (kind, _) in prev_devices.items()
                   for state in _cell_states(checklist, kind, prev_by_target.get(name, ()))]
    summary = Summary(
        devices_total=len(sections),
        devices_inspected=sum(1 for s in sections if s.state != "not_checked"),
        items=_count_states(c.state for s in sections for c in s.cells), samples=sum(k.samples for k in keys),
        previous_period=previous.label,
        previous_devices_inspected=len(prev_by_target) if prev_keys else None,
        previous_items=_count_states(prev_states) if prev_keys else None)

    # The inspection's findings are the items not OK at its end; ticketing (when present)
    # adds its fingerprint, title and the time the episode really began.
    episodes = {(f.target, f.check, f.item): f
                for f in sources.findings_between(store, period.start, period.end) or ()}
    latest_metrics = {(k.target, k.check, k.item): _metrics(k.last.last_metrics) for k in keys
                      if k.last.last_state != "ok"}
    finding_rows = []
    recovered: dict[tuple[str, str, str], datetime] = {}
    for k in keys:
        if k.last.last_state == "ok":
            continue
        episode = episodes.get((k.target, k.check, k.item))
        if (episode is not None and episode.resolved_at is not None and episode.resolved_at < period.end
                and episode.resolved_at >= k.last.last_observed_at):
            # Ticketing closed it after its last bad result: the item went away (a disk unmounted, a port
            # removed) or stopped being reported. It is listed as recovered, with no recommendation.
            recovered[(k.target, k.check, k.item)] = episode.resolved_at
        if episode is not None and episode.resolved_at is None:
            finding_rows.append((episode.fingerprint, k.check, k.target, k.item, k.last.last_state,
                                 _said(t, k.last.last_summary, k.last.last_message), episode.first_seen,
                                 k.last.last_observed_at))
        else:
            finding_rows.append((fingerprint(site, k.target, k.check, k.item), k.check, k.target, k.item,
                                 k.last.last_state, _said(t, k.last.last_summary, k.last.last_message),
                                 _midnight(_streak_start(engine, site, period, k), period.zone),
                                 k.last.last_observed_at))
    findings_source = "ticketing" if episodes else "results"
    recs = group([Problem(check=r[1], target=r[2], severity=r[4], metrics=latest_metrics.get((r[2], r[1], r[3]), {}))
                  for r in finding_rows if (r[2], r[1], r[3]) not in recovered], lang)
    catalogue = default_catalogue()
    findings = tuple(
        FindingRow(fingerprint=fp, check=check, target=target, item=item, severity=severity, **text,
                   first_seen=first_seen, last_seen=last_seen, recommendation=catalogue.recommendation_id(check),
                   recovered_at=recovered.get((target, check, item)))
        for fp, check, target, item, severity, text, first_seen, last_seen
        in sorted(finding_rows, key=lambda r: ((r[2], r[1], r[3]) in recovered, -_ORDER[r[4]], r[2], r[1], r[3])))

    ticket_records = sources.tickets_between(store, period.start, period.end) if store is not None else None
    tickets = tuple(ticket_row(t, now) for t in sorted(ticket_records or (), key=lambda t: (t.opened_at, t.key)))

    return InspectionReport(
        lang=lang, site=_site_info(inventory, site), period=_period_info(period), generated_at=now,
        inspected_by=inspected_by, has_data=bool(keys),
        last_observed=max((k.last.last_observed_at for k in keys), default=None), summary=summary,
        devices=tuple(sections), findings=findings, recommendations=recs, tickets=tickets,
        tickets_source="none" if ticket_records is None else "ticketing", findings_source=findings_source,
        signoff=SignOff(provider=settings.provider, engineer=settings.engineer,
                        customer=inventory.site.customer if inventory.site.name == site else None),
        assets=_asset_appendix(engine, inventory, site, period, now))


def _asset_appendix(engine: sa.Engine, inventory: Inventory, site: str, period: Period, now: datetime) -> Any:
    """The asset archive's appendix (agent/assets/report.py); None for a store without its tables."""
    from agent.assets.report import appendix

    try:
        return appendix(engine, inventory, site, period.start, period.end, now.astimezone(ZoneInfo(period.zone)).date())
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):  # no asset_* tables: a store of an older build
        return None


def _minutes(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round((end - start).total_seconds() / 60, 1)


def sla_status(t: sources.TicketRecord, now: datetime) -> str:
    """met, breached or open, by ticketing's one SLA rule (agent/ticketing/sla.py): a response is met when the
    ticket was acknowledged or resolved by ``due_response``; a deadline past and unmet is breached even before
    ticketing has marked it."""
    return sla.sla_status(due_response=t.due_response, due_resolve=t.due_resolve, acknowledged_at=t.acknowledged_at,
                          resolved_at=t.resolved_at, now=now).overall


def ticket_row(t: sources.TicketRecord, now: datetime) -> TicketRow:
    return TicketRow(key=t.key, fingerprint=t.fingerprint, target=t.target, title=t.title, priority=t.priority,
                     status=t.status, opened_at=t.opened_at, resolved_at=t.resolved_at, sla=sla_status(t, now),
                     response_minutes=_minutes(t.opened_at, t.acknowledged_at),
                     resolve_minutes=_minutes(t.opened_at, t.resolved_at))


def _count_rows(current: Mapping[Any, int], previous: Mapping[Any, int], limit: int | None = None) -> tuple[CountRow, ...]:
    keys = set(current) | set(previous)
    rows = sorted((CountRow(key=str(k), count=current.get(k, 0), previous=previous.get(k, 0)) for k in keys),
                  key=lambda r: (-r.count, -r.previous, r.key))
    return tuple(rows[:limit] if limit else rows)


def _trend(current: Mapping[date, int], previous: Mapping[date, int], period: Period, prev: Period,
           t_label: Any) -> tuple[TrendPoint, ...]:
    """Problems per week (per day for a month or shorter), aligned with the previous period by index."""
    step = 7 if (period.last_day - period.first_day).days > 31 else 1

    def buckets(counts: Mapping[date, int], p: Period) -> list[int]:
        n = (p.last_day - p.first_day).days // step + 1
        out = [0] * n
        for day, count in counts.items():
            out[(day - p.first_day).days // step] += count
        return out

    cur, old = buckets(current, period), buckets(previous, prev)
    return tuple(TrendPoint(index=i, label=t_label(period.first_day + timedelta(days=i * step)), problems=n,
                            previous=old[i] if i < len(old) else None) for i, n in enumerate(cur))


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 1) if present else None


def build_faults(engine: sa.Engine, inventory: Inventory, site: str, period: Period, *, now: datetime, lang: str,
                 settings: ReportsSettings, store: Any = None) -> FaultAnalysis:
    """The fault analysis (故障分析) of ``site``: a problem is a change from OK to not OK."""
    rollup.refresh(engine, period.zone)
    prev = period.previous()
    keys = _collect(engine, site, period)
    current = defaultdict(int)
    for k in keys:
        if k.starts:
            current[(k.target, k.check)] += k.starts
    previous = _starts_by(engine, prev, ["target", "check"], site)
    by_check, prev_by_check = _sum_by(current, 1), _sum_by(previous, 1)
    by_target, prev_by_target = _sum_by(current, 0), _sum_by(previous, 0)
    per_day = _starts_by(engine, period, ["day"], site)

    recurring = sorted((k for k in keys if k.starts > settings.recurring_after),
                       key=lambda k: (-k.starts, k.target, k.check, k.item))
    noisy_acc: dict[str, list[_Key]] = defaultdict(list)
    for k in keys:
        noisy_acc[k.target].append(k)
    noisy = []
    for target, members in noisy_acc.items():
        problems = sum(k.starts for k in members)
        if not problems:
            continue
        samples = sum(k.samples for k in members)
        worst_checks = sorted({k.check for k in members if k.starts}, key=lambda c: -sum(k.starts for k in members if k.check == c))
        noisy.append(NoisyRow(target=target, problems=problems,
                              non_ok_ratio=round(1 - sum(k.ok for k in members) / samples, 4) if samples else 0.0,
                              checks=tuple(worst_checks[:3])))
    noisy.sort(key=lambda r: (-r.problems, -r.non_ok_ratio, r.target))

    tickets = sources.tickets_between(store, period.start, period.end) if store is not None else None
    prev_tickets = sources.tickets_between(store, prev.start, prev.end) if store is not None else None
    rows = [ticket_row(t, now) for t in tickets or ()]
    prev_rows = [ticket_row(t, now) for t in prev_tickets or ()]
    tiers: dict[str, list[TicketRow]] = defaultdict(list)
    for r in rows:
        tiers[r.priority or "-"].append(r)
    sla_rows = []
    for tier in sorted(tiers, key=lambda name: (TIER_ORDER.index(name) if name in TIER_ORDER else len(TIER_ORDER), name)):
        members = tiers[tier]
        met = sum(r.sla == "met" for r in members)
        breached = sum(r.sla == "breached" for r in members)
        sla_rows.append(TierRow(tier=tier, tickets=len(members), met=met, breached=breached,
                           open=sum(r.sla == "open" for r in members),
                           compliance=round(met / (met + breached), 4) if met + breached else None))

    t = Translator(lang, period.zone)
    return FaultAnalysis(
        lang=lang, site=_site_info(inventory, site), period=_period_info(period), previous_period=prev.label,
        generated_at=now, has_data=bool(keys), recurring_after=settings.recurring_after,
        problems=sum(by_check.values()), previous_problems=sum(prev_by_check.values()),
        by_type=_count_rows(by_check, prev_by_check),
        by_device=_count_rows(by_target, prev_by_target, limit=50),
        by_site=_count_rows(_starts_by(engine, period, ["site"], None), _starts_by(engine, prev, ["site"], None)),
        recurring=tuple(RecurringRow(fingerprint=fingerprint(site, k.target, k.check, k.item), target=k.target,
                                     check=k.check, item=k.item, occurrences=k.starts,
                                     **_said(t, *_last_problem(engine, site, period, k), field="last_summary"))
                        for k in recurring),
        noisy=tuple(noisy[:settings.top_noisy]),
        trend=_trend(per_day, _starts_by(engine, prev, ["day"], site), period, prev, t.short_date),
        times=TicketTimes(tickets=len(rows), mtta_minutes=_mean(r.response_minutes for r in rows),
                          mttr_minutes=_mean(r.resolve_minutes for r in rows), previous_tickets=len(prev_rows),
                          previous_mtta_minutes=_mean(r.response_minutes for r in prev_rows),
                          previous_mttr_minutes=_mean(r.resolve_minutes for r in prev_rows)),
        sla_by_tier=tuple(sla_rows), tickets_source="none" if tickets is None else "ticketing", problems_source="results",
        recommendations=group([Problem(check=k.check, target=k.target,
                                       severity=k.last.last_state if k.last.last_state != "ok" else "warn",
                                       metrics=_metrics(k.last.last_metrics)) for k in recurring], lang))
