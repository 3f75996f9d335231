"""Domain results from the parsed model, with the thresholds from the settings (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from collectors.base import CheckResult, Metric, State, threshold_state
from collectors.domain.model import DomainModel, Outcome
from config.checks.domain import DomainParams
from inventory.models import Host

# Failure kinds whose state is UNKNOWN (we could not tell); every other non-ok kind is CRIT.
_UNKNOWN_KINDS = frozenset({"timeout", "not_installed", "failed"})


def _state(outcome: Outcome) -> State:
    if outcome.kind == "ok":
        return State.OK
    return State.UNKNOWN if outcome.kind in _UNKNOWN_KINDS else State.CRIT


def evaluate(model: DomainModel, params: DomainParams, target: Host, now: datetime) -> Iterable[CheckResult]:
    def result(check: str, item: str, state: State, summary: str, metrics: tuple[Metric, ...] = ()) -> CheckResult:
        return CheckResult(f"domain.{check}", target.name, item, state, summary, metrics=metrics, observed_at=now)

    for status in model.membership or ():
        state = (State.UNKNOWN if status.healthy is None else State.CRIT if not status.healthy
                 else State.WARN if status.degraded else State.OK)
        yield result(status.aspect, status.item, state, status.summary)
    dc = model.dc or ""
    if model.kerberos is not None:
        yield result("kerberos", model.realm or "",
                     *_across_dcs([(dc, model.kerberos), *((d, k) for d, k, _ in model.other_dcs)], "Kerberos"))
    if model.ldap is not None:
        yield result("ldap", dc, *_across_dcs([(dc, model.ldap), *((d, lo) for d, _, lo in model.other_dcs)], "LDAP"))
    if model.account is not None:
        yield _account_result(model, params, now, result)
    skew = _skew_result(model, params, result)
    if skew is not None:
        yield skew
    for unc, outcome in model.shares:
        yield result("share", unc, _state(outcome), outcome.message)


def _across_dcs(outcomes: list[tuple[str, Outcome | None]], what: str) -> tuple[State, str]:
    """One state for a step tried against every DC: all fine OK, some failing WARN (the
    domain still works, with less redundancy), all failing the worst of their states."""
    tried = [(dc, outcome) for dc, outcome in outcomes if outcome is not None]
    if len(tried) == 1:
        return _state(tried[0][1]), tried[0][1].message
    failing = [(dc, o) for dc, o in tried if o.kind != "ok"]
    fine = [dc for dc, o in tried if o.kind == "ok"]
    if not failing:
        return State.OK, f"{what} works on all {len(tried)} domain controllers ({', '.join(fine)}); " + tried[0][1].message
    problems = "; ".join(f"{dc}: {o.message}" for dc, o in failing)
    if fine:
        return State.WARN, (f"{what} fails on {len(failing)} of {len(tried)} domain controllers (redundancy lost): "
                            f"{problems}; works on {', '.join(fine)}")
    return State.worst(_state(o) for _, o in failing), f"{what} fails on every domain controller: {problems}"


def _account_result(model: DomainModel, params: DomainParams, now: datetime, result: Any) -> CheckResult:
    account, name = model.account, model.username or ""
    assert account is not None
    if account.disabled or account.locked or account.password_expired:
        what = "is disabled" if account.disabled else ("is locked out" if account.locked else "has an expired password")
        return result("account", name, State.CRIT, f"service account {name} {what}")
    if account.password_expires_at is None:
        return result("account", name, State.OK, f"service account {name} is enabled; its password does not expire")
    days = (account.password_expires_at - now).total_seconds() / 86400
    limits = params.password_expiry_days
    state = threshold_state(days, limits.warn, limits.crit, higher_is_worse=False)
    return result("account", name, state,
                  f"service account {name} is enabled; its password expires in {days:.0f} days "
                  f"({account.password_expires_at:%Y-%m-%d})",
                  (Metric("password_expiry_days", round(days, 1), "days"),))


def _skew_result(model: DomainModel, params: DomainParams, result: Any) -> CheckResult | None:
    dc = model.dc or ""
    if model.skew_s is not None:
        skew = model.skew_s
        limits = params.clock_skew_s
        state = threshold_state(abs(skew), limits.warn, limits.crit)
        direction = "ahead of" if skew > 0 else "behind"
        text = f"the DC's clock is {abs(skew):.0f} s {direction} this computer's" if abs(skew) >= 1 else \
            "this computer's clock agrees with the DC's"
        if state is State.CRIT:
            text += "; Kerberos logons fail beyond 300 s: fix time sync (w32time / chrony)"
        return result("clock_skew", dc, state, text, (Metric("clock_skew_seconds", skew, "seconds"),))
    if model.kerberos is not None and model.kerberos.kind == "skew":
        return result("clock_skew", dc, State.CRIT, model.kerberos.message)
    if model.ldap is not None:
        return result("clock_skew", dc, State.UNKNOWN, "the DC's time could not be read (LDAP rootDSE currentTime)")
    return None
