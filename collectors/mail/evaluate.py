"""Mail results from the classified outcomes, with the round trip's warning time from the settings (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from collectors.base import CheckResult, Metric, State
from collectors.messages import Messages
from collectors.mail.model import MailModel
from config.checks.mail import MailParams
from inventory.models import Host

_STATE_BY_KIND: dict[str, State] = {
    "ok": State.OK,
    "auth_failed": State.CRIT,
    "no_auth": State.CRIT,
    "no_starttls": State.CRIT,
    "unreachable": State.CRIT,
    "tls": State.CRIT,
    "rejected": State.CRIT,
    "not_delivered": State.CRIT,
    # No answer, or an answer we cannot read: we do not know whether mail works.
    "timeout": State.UNKNOWN,
    "protocol": State.UNKNOWN,
    "skipped": State.UNKNOWN,
}

_CHECK_BY_STEP = {"smtp": "mail.submission", "imap": "mail.imap", "pop3": "mail.pop3", "round_trip": "mail.round_trip"}
_METRIC_BY_STEP = {"smtp": "login_seconds", "imap": "login_seconds", "pop3": "login_seconds",
                   "round_trip": "round_trip_seconds"}


MSG = Messages({
    **{f"mail.{kind}": "{text}" for kind in _STATE_BY_KIND},
    "mail.slow": "{text} (slower than {limit:g} s)",
})


def evaluate(model: MailModel, params: MailParams, target: Host, now: datetime) -> Iterable[CheckResult]:
    for outcome in model.outcomes:
        state = _STATE_BY_KIND[outcome.kind]
        # The outcome's English words as they are; other languages say its kind.
        said = MSG.say(f"mail.{outcome.kind}", text=outcome.message)
        warn_s = params.round_trip.warn_s
        if outcome.step == "round_trip" and outcome.kind == "ok" and warn_s is not None and outcome.elapsed_s > warn_s:
            state = State.WARN
            said = MSG.say("mail.slow", text=said.ref, limit=warn_s)
        metrics = (Metric(_METRIC_BY_STEP[outcome.step], round(outcome.elapsed_s, 3), "seconds"),) if outcome.kind == "ok" else ()
        # The item names the server (or the probe's mailbox), never a changing value.
        item = model.recipient if outcome.step == "round_trip" else outcome.server
        yield CheckResult(_CHECK_BY_STEP[outcome.step], target.name, item, state, said.text, metrics=metrics,
                          observed_at=now, message=said.ref)
