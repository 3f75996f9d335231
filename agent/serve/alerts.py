"""Alertmanager's webhook (payload version 4) in, findings out: existing Prometheus alerts get
tickets with SLA tiers like every other problem.

Each alert becomes one result of check ``alert.<alertname>`` on a target named by the
first of ``target_labels`` it carries (``instance`` loses its port), with the remaining
identifying labels as the item, so the same alert on the same thing always has the same
fingerprint. Firing is WARN or CRIT by the severity label; resolved is OK. A ``tier``
label names the SLA tier directly (``details`` carries it for the engine).

Sample (Alertmanager 0.25, trimmed)::

    {"version": "4", "status": "firing", "receiver": "patrol", "groupKey": "{}:{alertname=\\"DiskFull\\"}",
     "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "instance": "pc-7:9100", "severity": "critical"},
                 "annotations": {"summary": "disk / is 97% full"}, "startsAt": "2026-12-06T05:00:00Z",
                 "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "a1b2c3"}]}
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from collectors.base import CheckResult, CheckRun, State

ALERT_COLLECTOR = "alertmanager"
ALERT_FAMILY = "alert"  # checks are alert.<alertname>
_CHECK_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
Label = Annotated[str, StringConstraints(max_length=1024)]


class AmAlert(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    status: Literal["firing", "resolved"]
    labels: Annotated[dict[Annotated[str, StringConstraints(max_length=128)], Label], Field(max_length=64)]
    annotations: Annotated[dict[Annotated[str, StringConstraints(max_length=128)], Label], Field(max_length=64)] = {}
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    fingerprint: Annotated[str, StringConstraints(max_length=64)] = ""


class AmWebhook(BaseModel):
    """Alertmanager's webhook body; unknown fields are ignored (newer versions add some)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    version: Annotated[str, StringConstraints(max_length=8)] = "4"
    status: Literal["firing", "resolved"] = "firing"
    receiver: Label = ""
    alerts: Annotated[list[AmAlert], Field(max_length=10_000)]
    commonLabels: dict[str, Label] = {}


# Labels that say where, not what: not part of the item.
_WHERE = {"instance", "job", "site", "tier", "severity"}


def host_of_instance(instance: str) -> str:
    """``pc-7:9100`` -> ``pc-7``; ``[::1]:9100`` -> ``0000-...-0001`` (target names have no colons)."""
    host = instance
    if instance.startswith("["):
        host = instance[1:].partition("]")[0]
    elif instance.count(":") == 1:
        host = instance.partition(":")[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    return address.exploded.replace(":", "-") if address.version == 6 else str(address)


def check_name(alert: AmAlert) -> str:
    return f"{ALERT_FAMILY}." + (_CHECK_SAFE.sub("_", alert.labels.get("alertname", "unnamed"))[:100] or "unnamed")


def alert_tiers(payload: AmWebhook, tier_label: str, tier_map: Mapping[str, str]) -> dict[str, str]:
    """check -> SLA tier, for alerts whose ``tier_label`` names one (through ``tier_map``)."""
    tiers = {}
    for alert in payload.alerts:
        value = alert.labels.get(tier_label)
        if value:
            tiers[check_name(alert)] = tier_map.get(value, value)
    return tiers


def alert_result(alert: AmAlert, *, default_target: str, target_labels: Sequence[str], severity_label: str,
                 severity_map: Mapping[str, str], tier_label: str, now: datetime) -> tuple[str | None, CheckResult]:
    """(site label or None, the result) for one alert."""
    labels = alert.labels
    check = check_name(alert)
    name = check.removeprefix("alert.")
    target = default_target
    used = None
    for key in target_labels:
        if labels.get(key):
            target, used = labels[key], key
            break
    if used == "instance":
        target = host_of_instance(target)
    target = _CHECK_SAFE.sub("-", target).strip("-.")[:128] or default_target
    item = ",".join(f"{k}={v}" for k, v in sorted(labels.items())
                    if k != "alertname" and k != used and k not in _WHERE)[:256]
    text = alert.annotations.get("summary") or alert.annotations.get("description") or name
    if alert.status == "resolved":
        state, summary = State.OK, f"resolved: {text}"
    else:
        mapped = severity_map.get(labels.get(severity_label, "").lower(), "crit")
        state = {"warn": State.WARN, "crit": State.CRIT, "unknown": State.UNKNOWN}.get(mapped, State.CRIT)
        summary = text
    details = f"tier={labels[tier_label]}" if labels.get(tier_label) else ""
    if alert.startsAt is not None:
        details = (details + "\n" if details else "") + f"firing since {alert.startsAt.isoformat()}"
    return labels.get("site"), CheckResult(check, target, item, state, summary[:4096], details, (), now)


def alert_runs(payload: AmWebhook, *, default_site: str, default_target: str, target_labels: Sequence[str],
               severity_label: str, severity_map: Mapping[str, str], tier_label: str,
               now: datetime) -> dict[str, list[CheckRun]]:
    """Per site, one run per target with its alerts' results."""
    grouped: dict[tuple[str, str], list[CheckResult]] = {}
    for alert in payload.alerts:
        site, result = alert_result(alert, default_target=default_target, target_labels=target_labels,
                                    severity_label=severity_label, severity_map=severity_map,
                                    tier_label=tier_label, now=now)
        grouped.setdefault((site or default_site, result.target), []).append(result)
    out: dict[str, list[CheckRun]] = {}
    for (site, target), results in grouped.items():
        # error set: these runs are partial (only the alerts in this message), so the
        # engine must not read a missing alert as recovered.
        out.setdefault(site, []).append(CheckRun(ALERT_COLLECTOR, target, now, 0.0, tuple(results),
                                                 error="partial: alerts of one webhook message"))
    return out


def with_alert_policy(settings: Any) -> Any:
    """``settings`` with the finding policy of family ``alert`` taken from serve.alertmanager.

    The ticket engine reads a family's policy from ``checks.<family>.findings`` (for a family
    that is no built-in one: ``checks.plugins.<family>``), default 2 and 2; alerts get
    serve.alertmanager.open_after / resolve_after (default 1 and 1) instead.
    """
    am = settings.serve.alertmanager
    plugins = dict(settings.checks.plugins)
    plugins[ALERT_FAMILY] = {**plugins.get(ALERT_FAMILY, {}),
                             "findings": {"open_after": am.open_after, "resolve_after": am.resolve_after}}
    return settings.model_copy(update={"checks": settings.checks.model_copy(update={"plugins": plugins})})
