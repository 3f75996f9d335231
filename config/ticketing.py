"""Settings of automatic ticketing (see agent/ticketing and docs/ticketing.md).

Everything an engineer may want to tune is here, with the defaults of the service
standard: tiers (urgent 10 min / 2 h, serious 1 h / 4 h, general 2 h / 8 h), a priority
table severity x criticality -> tier, the reopen window, comment rate limit, storm limit,
flap detection, silences and maintenance windows, and the backend (builtin, rt, webhook).
When a finding opens and closes (open_after / resolve_after) is per check family, in
``checks.<family>.findings``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.checks.base import Strict
from config.secrets import Secret

Severity = Literal["warn", "crit", "unknown"]
CriticalityName = Literal["low", "normal", "high", "critical"]


class SlaTier(Strict):
    """One service level: how fast a ticket of this tier must be answered and fixed."""

    name: Annotated[str, Field(min_length=1, description="tier name shown on tickets (urgent, serious, general)")]
    respond_min: Annotated[float, Field(gt=0, description="minutes until the ticket must be acknowledged")]
    resolve_min: Annotated[float, Field(gt=0, description="minutes until the ticket must be resolved")]
    rt_priority: Annotated[int, Field(ge=0, le=99, description="RT Priority field value for this tier")] = 50


DEFAULT_TIERS = (
    SlaTier(name="urgent", respond_min=10, resolve_min=120, rt_priority=90),
    SlaTier(name="serious", respond_min=60, resolve_min=240, rt_priority=70),
    SlaTier(name="general", respond_min=120, resolve_min=480, rt_priority=40),
)

# severity -> target criticality -> tier. A CRIT on a critical/high asset is urgent; a WARN
# never is; UNKNOWN (we could not check) is general unless the asset is critical.
DEFAULT_PRIORITY: dict[str, dict[str, str]] = {
    "crit": {"low": "general", "normal": "serious", "high": "urgent", "critical": "urgent"},
    "warn": {"low": "general", "normal": "general", "high": "serious", "critical": "serious"},
    "unknown": {"low": "general", "normal": "general", "high": "general", "critical": "serious"},
}


class RtSettings(Strict):
    """Request Tracker 5 through its REST2 API (token auth)."""

    url: Annotated[str, Field(description="RT base URL, e.g. https://rt.example.com (REST2 is below /REST/2.0)")] = "http://127.0.0.1"
    queue: Annotated[str, Field(min_length=1, description="queue new tickets go to")] = "General"
    fingerprint_field: Annotated[str, Field(min_length=1, description="ticket custom field that holds Patrol's fingerprint")] = "Patrol Fingerprint"
    token: Annotated[Secret | None, Field(description="REST2 auth token (env:NAME or file:/path)")] = None
    timeout_s: Annotated[float, Field(gt=0, description="most seconds one call may take in all (connect, send, answer); redirects are not followed")] = 10
    verify_tls: Annotated[bool, Field(description="check the server's TLS certificate")] = True
    extra_fields: Annotated[dict[str, str], Field(description="other custom fields set on new tickets (name -> value)")] = {}
    customer_field: Annotated[str | None, Field(description=(
        "ticket custom field that gets the site's customer (inventory site.customer); none: not set"))] = None
    queue_per_site: Annotated[dict[str, str], Field(description="site -> queue, over `queue`")] = {}
    queue_per_customer: Annotated[dict[str, str], Field(description="customer -> queue, over `queue` (a site's own entry wins)")] = {}
    users: Annotated[dict[str, str], Field(description=(
        "engineer name in Patrol (patrol tickets ack --user) -> RT user made Owner on acknowledge; "
        "names not listed leave the Owner alone"))] = {}
    set_dates: Annotated[bool, Field(description=(
        "set RT's Starts to the response deadline and Due to the resolve deadline (new and reopened tickets)"))] = True


class WebhookSettings(Strict):
    """JSON events in the shape of PagerDuty Events v2, POSTed and HMAC-SHA256 signed."""

    url: Annotated[str | None, Field(description="receiver URL (PagerDuty: https://events.pagerduty.com/v2/enqueue)")] = None
    secret: Annotated[Secret | None, Field(description="HMAC key; the signature is sent as X-Patrol-Signature: sha256=<hex>")] = None
    routing_key: Annotated[Secret | None, Field(description="PagerDuty integration key (routing_key), if the receiver needs one")] = None
    source: Annotated[str | None, Field(description="payload.source; default the agent name")] = None
    timeout_s: Annotated[float, Field(gt=0, description="most seconds one call may take in all (connect, send, answer); redirects are not followed")] = 10


class EscalationSettings(Strict):
    """What happens when a response or resolve deadline passes."""

    raise_priority: Annotated[bool, Field(description="move the ticket one tier up on each missed deadline")] = True
    webhook_url: Annotated[str | None, Field(description="optional URL told about each escalation (JSON POST, signed like the webhook backend)")] = None
    webhook_secret: Annotated[Secret | None, Field(description="HMAC key for the escalation webhook")] = None


class Silence(Strict):
    """Holds new tickets for matching findings until ``until``. Patterns are shell globs."""

    target: Annotated[str, Field(description="target name or glob ('*' for all)")] = "*"
    check: Annotated[str, Field(description="check name or glob, e.g. 'patches.*'")] = "*"
    item: Annotated[str, Field(description="item or glob")] = "*"
    until: Annotated[datetime, Field(description="end of the silence (ISO 8601 with a time zone)")]
    reason: Annotated[str, Field(min_length=1, description="why; recorded in the audit log")]

    @field_validator("until")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-05-01T18:00:00+08:00")
        return value


class MaintenanceWindow(Strict):
    """A planned window: no new tickets for the matching targets between ``start`` and ``end``."""

    name: Annotated[str, Field(min_length=1, description="shown in the audit log")]
    targets: Annotated[tuple[str, ...], Field(description="target names or globs")] = ("*",)
    checks: Annotated[tuple[str, ...], Field(description="check names or globs")] = ("*",)
    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _order(self) -> "MaintenanceWindow":
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a time zone, e.g. 2026-05-01T22:00:00+08:00")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class OutboxSettings(Strict):
    """Retries of backend calls."""

    drain_each_cycle: Annotated[bool, Field(description="send queued operations at the end of every cycle")] = True
    retry_base_s: Annotated[float, Field(gt=0, description="first retry delay; doubles per failure")] = 30
    retry_max_s: Annotated[float, Field(gt=0, description="longest delay between retries (nothing is ever dropped)")] = 3600
    batch: Annotated[int, Field(ge=1, description="queued operations read from the store at a time")] = 500
    max_drain_s: Annotated[float, Field(gt=0, description="a drain stops sending after this long; the rest goes next time")] = 20


class TicketingSettings(Strict):
    """Settings under ``ticketing:``."""

    enabled: Annotated[bool, Field(description="turn results into findings and tickets")] = True
    backend: Annotated[Literal["builtin", "rt", "webhook"], Field(description="where tickets live")] = "builtin"
    rt: RtSettings = RtSettings()
    webhook: WebhookSettings = WebhookSettings()
    tiers: Annotated[tuple[SlaTier, ...], Field(min_length=1, description="SLA tiers, most urgent first")] = DEFAULT_TIERS
    priority: Annotated[dict[Severity, dict[CriticalityName, str]], Field(
        description="severity -> target criticality -> tier name")] = DEFAULT_PRIORITY
    down_checks: Annotated[tuple[str, ...], Field(
        description="checks whose non-OK result means the target is down: its dependents' tickets are suppressed")] = (
        "switch.reachability", "host.reachability", "printer_snmp.reachability")
    check_tiers: Annotated[dict[str, str], Field(
        description="check name or glob -> tier, over the priority table (e.g. {'alert.*': serious}); "
                    "Alertmanager alerts with a tier label set theirs this way too")] = {}
    grouping: Annotated[Literal["device", "device_check", "finding"], Field(description=(
        "what one ticket stands for: every problem of a device (device: a printer's status and supplies together), "
        "of one check on a device (device_check), or each finding alone (finding); further problems are added, "
        "and cleared, as comments"))] = "device"
    confirm_after_s: Annotated[float, Field(ge=0, description=(
        "a down check's first failure is re-checked this many seconds later (patrol run), so its ticket opens in "
        "about a minute instead of after the family's interval; 0: wait for the next interval"))] = 30
    down_tier: Annotated[str | None, Field(description="tier of a down-check ticket (a failed network device is urgent); none: use the table")] = "urgent"
    ticket_unknown: Annotated[bool, Field(description="open tickets for UNKNOWN results (could not check)")] = True
    unknown_open_factor: Annotated[int, Field(ge=1, description="an all-UNKNOWN streak needs open_after x this many results to open")] = 3
    reopen_window_s: Annotated[float, Field(ge=0, description="a finding back within this many seconds reopens its old ticket")] = 86400
    comment_interval_s: Annotated[float, Field(ge=0, description="at most one update comment per ticket this often (worsening always comments)")] = 3600
    storm_limit: Annotated[int, Field(ge=1, description="new tickets per site per cycle; the rest go into one summary ticket")] = 10
    flap_window_s: Annotated[float, Field(gt=0, description="window in which state changes are counted")] = 3600
    flap_threshold: Annotated[int, Field(ge=2, description="this many changes within the window mark a finding flapping")] = 5
    stale_after_s: Annotated[float, Field(gt=0, description=(
        "a finding with no result at all for this long (target or check removed) is closed, with its ticket"))] = 7 * 86400
    silences: tuple[Silence, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()
    escalation: EscalationSettings = EscalationSettings()
    outbox: OutboxSettings = OutboxSettings()

    @model_validator(mode="after")
    def _tiers_known(self) -> "TicketingSettings":
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must be unique: {names}")
        for severity, row in self.priority.items():
            for criticality, tier in row.items():
                if tier not in names:
                    raise ValueError(f"priority.{severity}.{criticality}: unknown tier {tier!r}; tiers are {names}")
        for pattern, tier in self.check_tiers.items():
            if tier not in names:
                raise ValueError(f"check_tiers.{pattern}: unknown tier {tier!r}; tiers are {names}")
        if self.down_tier is not None and self.down_tier not in names:
            raise ValueError(f"down_tier: unknown tier {self.down_tier!r}; tiers are {names}")
        if self.backend == "rt" and self.rt.token is None:
            raise ValueError("backend rt needs rt.token (a secret reference such as env:RT_TOKEN)")
        if self.backend == "webhook" and not self.webhook.url:
            raise ValueError("backend webhook needs webhook.url")
        return self

    def tier(self, name: str) -> SlaTier:
        for tier in self.tiers:
            if tier.name == name:
                return tier
        raise KeyError(name)

    def tier_above(self, name: str) -> str:
        """The next more urgent tier (the same one when already the most urgent)."""
        names = [t.name for t in self.tiers]
        index = names.index(name)
        return names[max(index - 1, 0)]
