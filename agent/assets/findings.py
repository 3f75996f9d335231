"""The archive's check results: ``assets.hardware`` and ``assets.warranty``, one per asset.

They go the way of every result (store, findings, tickets; agent/findings.py), so a
hardware change or an ending warranty is one finding with one ticket:

- ``assets.hardware``: WARN while the asset's newest hardware change (diff.counts_as_hardware:
  a module, disk, CPU or component added, removed or swapped, a serial changed) is younger
  than ``hardware_change_days``; the summary says what changed and the details hold the
  whole diff, one change per line. Every change inside the window belongs to the same
  finding. Then OK: the finding resolves, the change stays in the history.
- ``assets.warranty``: from the typed-in ``warranty_end`` (inventory): WARN within
  ``warranty_days.warn`` days of its end, CRIT within ``warranty_days.crit``; OK once it
  has ended (the reminder is over; the archive and the report say "out of warranty").

``hardware_result`` and ``warranty_result`` are pure; ``archive_runs`` reads the archive.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.assets.archive import asset_ids, changes_between
from agent.assets.diff import Change, counts_as_hardware
from collectors.base import CheckResult, CheckRun, Metric, State

HARDWARE_CHECK = "assets.hardware"
WARRANTY_CHECK = "assets.warranty"
# The runs these results come in: not the capture's collector name ("assets"), so that storing
# one kind of run never forgets the latest rows of the other (Store.forget_latest).
COLLECTOR = "archive"
CAPTURE_COLLECTOR = "assets"
SUMMARY_CHANGES = 3
log = logging.getLogger(__name__)  # changes named in the summary; the details hold them all


@dataclass(frozen=True, slots=True)
class Rules:
    """The settings the results depend on (checks.assets)."""

    hardware_change_days: float = 7
    warranty_warn_days: float | None = 90
    warranty_crit_days: float | None = 30

    @classmethod
    def from_params(cls, params: Any) -> "Rules":
        """From ``checks.assets`` (config/checks/assets.py)."""
        return cls(params.hardware_change_days, params.warranty_days.warn, params.warranty_days.crit)


def describe(change: Change) -> str:
    """One change in words: ``memory ChannelA-DIMM0 serial 3A1B2C3D -> 5F0E9D11``."""
    where = change.path.replace("[", " ").replace("]", "")
    if change.action == "added":
        return f"{where} added ({part_text(change.after)})"
    if change.action == "removed":
        return f"{where} removed ({part_text(change.before)})"
    return f"{where}: {_value(change.before)} -> {_value(change.after)}"


def part_text(value: Any) -> str:
    """A part (a JSON object) in a few words: model, maker, serial, size or version; else the value."""
    if not isinstance(value, dict):
        return _value(value)
    shown = [str(value[k]) for k in ("model", "maker", "serial", "version") if value.get(k) not in (None, "")]
    size = value.get("size_bytes")
    if isinstance(size, int) and not isinstance(size, bool):
        shown.append(f"{size / 2**30:.0f} GiB" if size < 10**12 else f"{size / 10**12:.1f} TB")
    return ", ".join(shown) or "no details"


def _value(value: Any) -> str:
    return "none" if value is None else str(value) if not isinstance(value, (dict, list)) else json.dumps(value, ensure_ascii=False)


def diff_lines(changes: Sequence[Change]) -> str:
    """The diff as text, one change per line: time, path, before -> after (JSON)."""
    return "\n".join(f"{c.at.isoformat(timespec='seconds')} {c.path}: "
                     f"{json.dumps(c.before, ensure_ascii=False)} -> {json.dumps(c.after, ensure_ascii=False)}"
                     for c in changes)


def hardware_result(asset_id: str, changes: Sequence[Change], now: datetime, rules: Rules) -> CheckResult:
    """``changes``: the asset's changes (any category, oldest first); those inside the window count."""
    since = now - timedelta(days=rules.hardware_change_days)
    recent = [c for c in changes if since <= c.at <= now and counts_as_hardware(c)]
    metrics = (Metric("asset_hardware_changes_count", float(len(recent)), "count"),)
    if not recent:
        return CheckResult(HARDWARE_CHECK, asset_id, "", State.OK,
                           f"no hardware change in the last {rules.hardware_change_days:g} days",
                           metrics=metrics, observed_at=now)
    named = "; ".join(describe(c) for c in recent[:SUMMARY_CHANGES])
    more = f" and {len(recent) - SUMMARY_CHANGES} more" if len(recent) > SUMMARY_CHANGES else ""
    day = recent[-1].at.date().isoformat()
    return CheckResult(HARDWARE_CHECK, asset_id, "", State.WARN,
                       f"hardware changed ({day}): {named}{more}", details=diff_lines(recent),
                       metrics=metrics, observed_at=now)


def warranty_result(asset_id: str, warranty_end: date, today: date, now: datetime, rules: Rules) -> CheckResult:
    left = (warranty_end - today).days
    metrics = (Metric("asset_warranty_left_days", float(left), "days"),)
    if left < 0:
        return CheckResult(WARRANTY_CHECK, asset_id, "", State.OK,
                           f"out of warranty since {warranty_end.isoformat()}", metrics=metrics, observed_at=now)
    state = State.OK
    if rules.warranty_crit_days is not None and left <= rules.warranty_crit_days:
        state = State.CRIT
    elif rules.warranty_warn_days is not None and left <= rules.warranty_warn_days:
        state = State.WARN
    when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
    summary = f"warranty ends {when} ({warranty_end.isoformat()})"
    if state is not State.OK:
        summary += ": renew it or plan the replacement"
    return CheckResult(WARRANTY_CHECK, asset_id, "", state, summary, metrics=metrics, observed_at=now)


def archive_runs(engine: sa.Engine, site: str, inventory: Any, now: datetime, rules: Rules, *,
                 today: date | None = None) -> list[CheckRun]:
    """One ``assets`` run per asset: its hardware result (archived assets) and its warranty
    result (inventory targets with a warranty end). ``today`` is the local date of ``now``."""
    today = today or now.date()
    since = now - timedelta(days=rules.hardware_change_days)
    recent = changes_between(engine, site, since, None, categories=("hardware",))
    results: dict[str, list[CheckResult]] = {}
    for asset_id in asset_ids(engine, site):
        results.setdefault(asset_id, []).append(hardware_result(asset_id, recent.get(asset_id, ()), now, rules))
    if inventory is not None and inventory.site.name == site:
        for target in inventory.targets:
            if target.asset.warranty_end is not None:
                results.setdefault(target.name, []).append(
                    warranty_result(target.name, target.asset.warranty_end, today, now, rules))
    return [CheckRun(COLLECTOR, asset_id, now, 0.0, tuple(rs)) for asset_id, rs in sorted(results.items())]


EVALUATE_EVERY = timedelta(hours=1)  # without a capture in the cycle: warranties and ageing changes


def due(engine: sa.Engine, site: str, now: datetime) -> bool:
    """Whether the archive's results are older than EVALUATE_EVERY (or absent)."""
    from agent.store.core import latest

    with engine.connect() as conn:
        newest = conn.execute(sa.select(sa.func.max(latest.c.observed_at)).where(
            latest.c.site == site, latest.c.check.in_((HARDWARE_CHECK, WARRANTY_CHECK)))).scalar()
    if newest is not None and newest.tzinfo is None:  # SQLite's max() returns the stored naive UTC text
        newest = newest.replace(tzinfo=now.tzinfo)
    return newest is None or now - newest >= EVALUATE_EVERY


def after_cycle(ctx: Any, runs: Sequence[CheckRun], record: Any) -> list[CheckRun]:
    """The archive's runs after a cycle (the local agent's `patrol inspect` and `patrol run`
    workers, the collector's device workers): at once after a cycle that captured assets,
    else at most every EVALUATE_EVERY (a warranty comes closer, a change ages out of the
    window with no capture). ``record`` stores each one as the cycle stores its own runs.
    Never raises: the cycle's results matter more."""
    try:
        from zoneinfo import ZoneInfo

        if not ctx.settings.checks.assets.enabled:
            return []
        now = ctx.clock()
        engine = ctx.store.engine
        if not any(run.collector == CAPTURE_COLLECTOR for run in runs) and not due(engine, ctx.store.site, now):
            return []
        derived = archive_runs(engine, ctx.store.site, ctx.inventory, now,
                               Rules.from_params(ctx.settings.checks.assets),
                               today=now.astimezone(ZoneInfo(ctx.settings.reports.timezone)).date())
    except Exception:
        log.exception("the asset archive's findings could not be evaluated")
        return []
    for run in derived:
        record(run)
    return derived
