"""Patches: missing (security) updates, their age, the last update, and pending reboots.

Checklist item 4 of the service standard. One data source per platform / package
manager, chosen by a detect step (``SOURCES`` and ``LINUX_MANAGERS``); each source module
under collectors/platforms/ fetches thinly and parses into the ``PatchReport`` below; the
evaluate step is shared and takes every threshold from ``PatchesParams``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any, ClassVar

from collectors.base import CheckResult, CollectorIO, FetchError, Metric, State, threshold_state
from collectors.messages import Messages, Said, as_param
from config.checks.patches import PatchesParams
from inventory.models import Host, Inventory

# Normalized severities, most severe first: MSRC ratings (Windows) and Red Hat's impact
# ratings use the same four words; apt has no severity and reports "unspecified".
SEVERITIES = ("critical", "important", "moderate", "low", "unspecified")


@dataclass(frozen=True, slots=True)
class PendingUpdate:
    name: str  # package name or update title
    severity: str  # one of SEVERITIES
    security: bool
    kb: str = ""
    advisory: str = ""
    version: str = ""
    released: datetime | None = None


@dataclass(frozen=True, slots=True)
class RebootState:
    required: bool | None  # None: could not be read
    since: datetime | None = None
    reasons: tuple[str, ...] = ()
    since_note: str | Said = ""  # how ``since`` was derived, when it is an estimate


@dataclass(frozen=True, slots=True)
class InstalledUpdate:
    """The newest installed update, the freshness fallback when the update search cannot run."""

    name: str  # "KB5070000"
    installed: datetime
    what: str | Said  # where the date comes from


@dataclass(frozen=True, slots=True)
class PatchReport:
    source: str
    updates: tuple[PendingUpdate, ...]
    last_update: datetime | None
    last_update_what: str | Said  # what the date is: "package lists refreshed", "last successful install"
    reboot: RebootState
    error: str | Said | None = None  # the update search failed; reboot and last update may still be known
    notes: tuple[str, ...] = ()
    severity_rated: bool = True  # False (apt): no severities, so no critical_age result
    newest_installed: InstalledUpdate | None = None  # read only when the search failed


@dataclass(frozen=True, slots=True)
class PatchRaw:
    source: str
    payload: Any


SOURCE_MODULES: Mapping[str, str] = {
    "windows_update": "collectors.platforms.windows.windows_update",
    "apt": "collectors.platforms.linux.apt_updates",
    "dnf": "collectors.platforms.linux.dnf_updates",
}
# Detect step on Linux: the first package manager whose program exists.
LINUX_MANAGERS: tuple[tuple[str, str], ...] = (("apt", "/usr/bin/apt-get"), ("dnf", "/usr/bin/dnf"))


def _module(source: str) -> ModuleType:
    return importlib.import_module(SOURCE_MODULES[source])


def detect_source(params: PatchesParams, io: CollectorIO) -> str:
    if io.platform == "windows":
        return "windows_update"
    if params.linux_manager != "auto":
        return params.linux_manager
    for manager, program in LINUX_MANAGERS:
        if io.path(program).exists():
            return manager
    raise FetchError(f"no supported package manager found (looked for {', '.join(p for _, p in LINUX_MANAGERS)})")


def _age_days(then: datetime, now: datetime) -> float:
    return max(0.0, (now - then).total_seconds() / 86400)


class PatchesCollector:
    name: ClassVar[str] = "patches"
    params_model: ClassVar[type[PatchesParams]] = PatchesParams

    def targets(self, params: PatchesParams, inventory: Inventory) -> Sequence[Host]:
        return [inventory.local]

    def fetch(self, target: Host, params: PatchesParams, io: CollectorIO) -> PatchRaw:
        source = detect_source(params, io)
        return PatchRaw(source, _module(source).fetch(params, io))

    def parse(self, raw: PatchRaw) -> PatchReport:
        return _module(raw.source).parse(raw.payload)

    def evaluate(self, model: PatchReport, params: PatchesParams, target: Host, now: datetime) -> Iterable[CheckResult]:
        def result(check: str, state: State, said: Said, details: str = "", metrics: tuple[Metric, ...] = ()) -> CheckResult:
            return CheckResult(f"patches.{check}", target.name, "", state, said.text, details, metrics, now, said.ref)

        if model.error is not None and model.newest_installed is not None:
            yield self._fallback(model.error, model.newest_installed, params, now, result)
        elif model.error is not None:
            yield result("updates", State.UNKNOWN, MSG.say("patches.error", error=as_param(model.error)))
        else:
            yield from self._updates(model, params, now, result)
        yield self._last_update(model, params, now, result)
        yield self._reboot(model.reboot, params, now, result)

    @staticmethod
    def _updates(model: PatchReport, params: PatchesParams, now: datetime, result: Any) -> Iterable[CheckResult]:
        updates = model.updates
        security = [u for u in updates if u.security]
        by_severity = {s: sum(1 for u in updates if u.severity == s) for s in SEVERITIES}
        metrics = tuple(Metric("missing_updates_count", n, "count", (("severity", s),)) for s, n in by_severity.items())
        metrics += (Metric("missing_security_updates_count", len(security), "count"),)
        state = State.worst(threshold_state(len(security), params.security_count.warn, params.security_count.crit),
                            threshold_state(len(updates), params.pending_count.warn, params.pending_count.crit))
        # A breakdown only where the source rates severity (apt does not: all "unspecified").
        rated = any(n for s, n in by_severity.items() if s != "unspecified")
        counts = tuple(MSG.ref(f"patches.severity.{s}", n=n) for s, n in by_severity.items() if n) if rated else ()
        summary = (MSG.say("patches.updates.rated", n=len(updates), security=len(security), counts=counts) if counts
                   else MSG.say("patches.updates", n=len(updates), security=len(security)))
        shown = sorted(updates, key=lambda u: (SEVERITIES.index(u.severity), not u.security, u.name))[:50]
        details = "\n".join(
            f"{u.severity}{' security' if u.security else ''}: {u.name}"
            + (f" KB{u.kb}" if u.kb else "") + (f" {u.advisory}" if u.advisory else "")
            + (f" {u.version}" if u.version else "") + (f" released {u.released:%Y-%m-%d}" if u.released else "")
            for u in shown)
        if len(updates) > len(shown):
            details += f"\n... and {len(updates) - len(shown)} more"
        if model.notes:
            details = "\n".join(model.notes) + ("\n" + details if details else "")
        yield result("updates", state, summary, details, metrics)

        if not model.severity_rated:
            return  # an "OK, no critical updates" here would only mean "not rated"
        aged = [u for u in updates if u.severity in params.age_severities]
        dated = [u for u in aged if u.released is not None]
        wanted = "/".join(params.age_severities)
        if not aged:
            yield result("critical_age", State.OK, MSG.say("patches.critical_age.none", wanted=wanted),
                         metrics=(Metric("oldest_critical_update_age_days", 0, "days"),))
        elif not dated:
            yield result("critical_age", State.WARN, MSG.say("patches.critical_age.undated", n=len(aged), wanted=wanted))
        else:
            oldest = min(dated, key=lambda u: u.released)  # type: ignore[arg-type, return-value]
            age = _age_days(oldest.released, now)  # type: ignore[arg-type]
            yield result("critical_age", threshold_state(age, params.critical_age_days.warn, params.critical_age_days.crit),
                         MSG.say("patches.critical_age", wanted=wanted, days=age,
                                 name=oldest.name + (f" (KB{oldest.kb})" if oldest.kb else "")
                                 + (f" ({oldest.advisory})" if oldest.advisory else "")),
                         metrics=(Metric("oldest_critical_update_age_days", round(age, 3), "days"),))

    @staticmethod
    def _fallback(error: str | Said, newest: InstalledUpdate, params: PatchesParams, now: datetime, result: Any) -> CheckResult:
        """The search failed (offline, WSUS unreachable): how fresh the installed updates are
        is judged from the newest one, with the last_update thresholds, and the summary says so."""
        age = _age_days(newest.installed, now)
        limits = params.last_update_days
        return result("updates", threshold_state(age, limits.warn, limits.crit),
                      MSG.say("patches.fallback", name=newest.name, days=age, date=f"{newest.installed:%Y-%m-%d}"),
                      f"{error}\n{newest.what}", (Metric("newest_installed_update_age_days", round(age, 3), "days"),))

    @staticmethod
    def _last_update(model: PatchReport, params: PatchesParams, now: datetime, result: Any) -> CheckResult:
        if model.last_update is None and model.newest_installed is not None:
            newest = model.newest_installed
            age = _age_days(newest.installed, now)
            return result("last_update", threshold_state(age, params.last_update_days.warn, params.last_update_days.crit),
                          MSG.say("patches.last_update.newest", name=newest.name, days=age,
                                  date=f"{newest.installed:%Y-%m-%d}", what=as_param(newest.what)),
                          metrics=(Metric("last_update_age_days", round(age, 3), "days"),))
        if model.last_update is None:
            return result("last_update", State.UNKNOWN, MSG.say("patches.last_update.unknown", what=as_param(model.last_update_what)))
        age = _age_days(model.last_update, now)
        return result("last_update", threshold_state(age, params.last_update_days.warn, params.last_update_days.crit),
                      MSG.say("patches.last_update", what=as_param(model.last_update_what), days=age,
                              at=f"{model.last_update:%Y-%m-%d %H:%M}"),
                      metrics=(Metric("last_update_age_days", round(age, 3), "days"),))

    @staticmethod
    def _reboot(reboot: RebootState, params: PatchesParams, now: datetime, result: Any) -> CheckResult:
        reasons = "; ".join(reboot.reasons)
        if reboot.required is None:
            return result("reboot", State.UNKNOWN, MSG.say("patches.reboot.unreadable"), reasons)
        if not reboot.required:
            return result("reboot", State.OK, MSG.say("patches.reboot.none"), metrics=(Metric("reboot_pending_days", 0, "days"),))
        if reboot.since is None:
            return result("reboot", _lowest(params.reboot_pending_days), MSG.say("patches.reboot.since_unknown"), reasons)
        age = _age_days(reboot.since, now)
        said = (MSG.say("patches.reboot.note", days=age, note=as_param(reboot.since_note)) if reboot.since_note
                else MSG.say("patches.reboot", days=age))
        return result("reboot", threshold_state(age, params.reboot_pending_days.warn, params.reboot_pending_days.crit),
                      said, reasons,
                      metrics=(Metric("reboot_pending_days", round(age, 3), "days"),))


MSG = Messages({
    "patches.error": "{error}",
    # A Linux package manager's command failed: its first error line, or its exit code.
    "patches.failed": "{command} failed: {error}",
    "patches.exit_code": "exit code {code}",
    "patches.updates": "{n} pending update(s), {security} security",
    "patches.updates.rated": "{n} pending update(s), {security} security ({counts})",
    **{f"patches.severity.{s}": f"{{n}} {s}" for s in SEVERITIES},
    "patches.critical_age.none": "no missing {wanted} updates",
    "patches.critical_age.undated": "{n} missing {wanted} update(s) without a release date",
    "patches.critical_age": "oldest missing {wanted} update released {days:.0f} days ago: {name}",
    "patches.fallback": "update search failed, so freshness is judged from the newest installed update instead: "
                        "{name} installed {days:.0f} days ago ({date})",
    "patches.last_update.newest": "no install history; newest installed update {name} {days:.1f} days ago ({date}, {what})",
    "patches.last_update.unknown": "time of the last update not known ({what})",
    "patches.last_update": "{what} {days:.1f} days ago ({at} UTC)",
    "patches.reboot.unreadable": "whether a reboot is pending could not be read",
    "patches.reboot.none": "no reboot pending",
    "patches.reboot.since_unknown": "reboot pending (since an unknown time)",
    "patches.reboot": "reboot pending for {days:.1f} days",
    "patches.reboot.note": "reboot pending for {days:.1f} days ({note})",
})


def _lowest(limits: Any) -> State:
    if limits.warn is not None:
        return State.WARN
    return State.CRIT if limits.crit is not None else State.OK
