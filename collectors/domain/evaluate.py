"""Domain results from the parsed model, with the thresholds from the settings (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from collectors.base import CheckResult, MessageRef, Metric, State, threshold_state
from collectors.messages import COMMON, Messages, Said, semicolons
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
    def result(check: str, item: str, state: State, said: Said, metrics: tuple[Metric, ...] = ()) -> CheckResult:
        return CheckResult(f"domain.{check}", target.name, item, state, said.text, metrics=metrics, observed_at=now,
                           message=said.ref)

    for status in model.membership or ():
        state = (State.UNKNOWN if status.healthy is None else State.CRIT if not status.healthy
                 else State.WARN if status.degraded else State.OK)
        # The platform's own words (nltest, realm, wbinfo) in English; other languages say the verdict.
        verdict = {State.OK: "ok", State.WARN: "degraded", State.CRIT: "failed"}.get(state, "unknown")
        yield result(status.aspect, status.item, state, MSG.say(f"domain.membership.{verdict}", text=status.summary))
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
        yield result("share", unc, _state(outcome), MSG.say("domain.outcome", outcome=_kind(outcome)))


def _kind(outcome: Outcome) -> MessageRef:
    """An outcome as a message: its English words as they are, its kind for other languages."""
    kind = outcome.kind if outcome.kind in OUTCOME_KINDS else "failed"
    return MSG.ref(f"domain.kind.{kind}", text=outcome.message)


def _across_dcs(outcomes: list[tuple[str, Outcome | None]], what: str) -> tuple[State, Said]:
    """One state for a step tried against every DC: all fine OK, some failing WARN (the
    domain still works, with less redundancy), all failing the worst of their states."""
    tried = [(dc, outcome) for dc, outcome in outcomes if outcome is not None]
    if len(tried) == 1:
        return _state(tried[0][1]), MSG.say("domain.outcome", outcome=_kind(tried[0][1]))
    failing = [(dc, o) for dc, o in tried if o.kind != "ok"]
    fine = [dc for dc, o in tried if o.kind == "ok"]
    if not failing:
        return State.OK, MSG.say("domain.dcs.all_ok", what=what, n=len(tried), fine=", ".join(fine),
                                 first=_kind(tried[0][1]))
    problems = semicolons([MSG.ref("domain.dc_problem", dc=dc, outcome=_kind(o)) for dc, o in failing])
    if fine:
        return State.WARN, MSG.say("domain.dcs.some_fail", what=what, failing=len(failing), n=len(tried),
                                   problems=problems, fine=", ".join(fine))
    return State.worst(_state(o) for _, o in failing), MSG.say("domain.dcs.all_fail", what=what, problems=problems)


def _account_result(model: DomainModel, params: DomainParams, now: datetime, result: Any) -> CheckResult:
    account, name = model.account, model.username or ""
    assert account is not None
    if account.disabled or account.locked or account.password_expired:
        what = "disabled" if account.disabled else ("locked" if account.locked else "expired")
        return result("account", name, State.CRIT, MSG.say(f"domain.account.{what}", name=name))
    if account.password_expires_at is None:
        return result("account", name, State.OK, MSG.say("domain.account.no_expiry", name=name))
    days = (account.password_expires_at - now).total_seconds() / 86400
    limits = params.password_expiry_days
    state = threshold_state(days, limits.warn, limits.crit, higher_is_worse=False)
    return result("account", name, state,
                  MSG.say("domain.account.expires", name=name, days=days, date=f"{account.password_expires_at:%Y-%m-%d}"),
                  (Metric("password_expiry_days", round(days, 1), "days"),))


def _skew_result(model: DomainModel, params: DomainParams, result: Any) -> CheckResult | None:
    dc = model.dc or ""
    if model.skew_s is not None:
        skew = model.skew_s
        limits = params.clock_skew_s
        state = threshold_state(abs(skew), limits.warn, limits.crit)
        key = ("domain.skew.agrees" if abs(skew) < 1 else "domain.skew.ahead" if skew > 0 else "domain.skew.behind")
        said = MSG.say(key + ("_crit" if state is State.CRIT else ""), seconds=abs(skew))
        return result("clock_skew", dc, state, said, (Metric("clock_skew_seconds", skew, "seconds"),))
    if model.kerberos is not None and model.kerberos.kind == "skew":
        return result("clock_skew", dc, State.CRIT, MSG.say("domain.outcome", outcome=_kind(model.kerberos)))
    if model.ldap is not None:
        return result("clock_skew", dc, State.UNKNOWN, MSG.say("domain.skew.unreadable"))
    return None


# Failure kinds of collectors/domain/kerberos.py, ldap.py and smb.py (Outcome.kind).
OUTCOME_KINDS = ("ok", "not_installed", "timeout", "wrong_password", "disabled", "unknown_user", "password_expired",
                 "skew", "unreachable", "failed", "tls", "not_permitted", "account_expired", "must_change_password",
                 "locked", "share_missing", "access_denied", "path_missing", "login_failed")
MSG = Messages({
    **{f"domain.membership.{v}": "{text}" for v in ("ok", "degraded", "failed", "unknown")},
    "domain.outcome": "{outcome}",
    **{f"domain.kind.{kind}": "{text}" for kind in OUTCOME_KINDS},
    "domain.dc_problem": "{dc}: {outcome}",
    "domain.dcs.all_ok": "{what} works on all {n} domain controllers ({fine}); {first}",
    "domain.dcs.some_fail": "{what} fails on {failing} of {n} domain controllers (redundancy lost): {problems}; "
                            "works on {fine}",
    "domain.dcs.all_fail": "{what} fails on every domain controller: {problems}",
    "domain.account.disabled": "service account {name} is disabled",
    "domain.account.locked": "service account {name} is locked out",
    "domain.account.expired": "service account {name} has an expired password",
    "domain.account.no_expiry": "service account {name} is enabled; its password does not expire",
    "domain.account.expires": "service account {name} is enabled; its password expires in {days:.0f} days ({date})",
    "domain.skew.agrees": "this computer's clock agrees with the DC's",
    "domain.skew.ahead": "the DC's clock is {seconds:.0f} s ahead of this computer's",
    "domain.skew.behind": "the DC's clock is {seconds:.0f} s behind this computer's",
    "domain.skew.agrees_crit": "this computer's clock agrees with the DC's; Kerberos logons fail beyond 300 s: "
                               "fix time sync (w32time / chrony)",
    "domain.skew.ahead_crit": "the DC's clock is {seconds:.0f} s ahead of this computer's; Kerberos logons fail "
                              "beyond 300 s: fix time sync (w32time / chrony)",
    "domain.skew.behind_crit": "the DC's clock is {seconds:.0f} s behind this computer's; Kerberos logons fail "
                               "beyond 300 s: fix time sync (w32time / chrony)",
    "domain.skew.unreadable": "the DC's time could not be read (LDAP rootDSE currentTime)",
}, COMMON)
