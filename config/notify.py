"""Settings of notifications (``notify:``): channels, people, teams, chains, rules.

See agent/notify and docs/notifications.md. Every webhook key, robot token, signing secret
and SMTP password is a secret reference (env:NAME or file:/path), never the value: a
WeCom ``key`` or a DingTalk ``access_token`` is enough to post into the group.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.checks.base import Strict, time_zone_name
from config.secrets import Secret

EventKind = Literal["opened", "escalated", "resolved", "sla_warning", "acknowledged"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ALL_DAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class _Robot(Strict):
    timeout_s: Annotated[float, Field(gt=0, description="HTTP timeout of one post")] = 10
    rate_per_minute: Annotated[int, Field(ge=1, description="messages per minute this robot may send")] = 20


class WecomChannel(_Robot):
    """WeCom (企业微信) group robot: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY."""

    type: Literal["wecom"]
    key: Annotated[Secret, Field(description="the robot's webhook key (the key=... part of its URL), as a secret reference")]
    url: Annotated[str, Field(description="webhook endpoint without the key")] = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"


class DingtalkChannel(_Robot):
    """DingTalk (钉钉) custom robot; ``secret`` for the 加签 (signed) mode, ``keyword`` for the keyword mode."""

    type: Literal["dingtalk"]
    access_token: Annotated[Secret, Field(description="the access_token of the robot's webhook URL, as a secret reference")]
    secret: Annotated[Secret | None, Field(description="the SEC... signing secret (加签), as a secret reference")] = None
    keyword: Annotated[str | None, Field(description="a custom keyword (自定义关键词) every message must contain")] = None
    url: Annotated[str, Field(description="webhook endpoint without the query")] = "https://oapi.dingtalk.com/robot/send"


class FeishuChannel(_Robot):
    """Feishu/Lark (飞书) custom bot: https://open.feishu.cn/open-apis/bot/v2/hook/HOOK_ID."""

    type: Literal["feishu"]
    hook: Annotated[Secret, Field(description="the hook id (last part of the webhook URL), as a secret reference")]
    secret: Annotated[Secret | None, Field(description="the signature secret (签名校验), as a secret reference")] = None
    keyword: Annotated[str | None, Field(description="a custom keyword every message must contain")] = None
    url: Annotated[str, Field(description="hook base URL; Lark: https://open.larksuite.com/open-apis/bot/v2/hook")] = (
        "https://open.feishu.cn/open-apis/bot/v2/hook")
    rate_per_minute: Annotated[int, Field(ge=1, description="messages per minute (Feishu: 100/min and 5/s per bot)")] = 100


class MailChannel(Strict):
    """Mail over SMTP: an HTML and a plain-text part, in the languages asked for."""

    type: Literal["mail"]
    host: Annotated[str, Field(description="SMTP server")] = "127.0.0.1"
    port: Annotated[int, Field(gt=0, lt=65536, description="587 submission (starttls), 465 implicit TLS")] = 587
    security: Annotated[Literal["none", "starttls", "tls"], Field(description="none only for a local relay")] = "starttls"
    ca_file: Annotated[str | None, Field(description="CA bundle to trust instead of the system's")] = None
    username: Annotated[str | None, Field(description="SMTP login; none sends without authentication")] = None
    password: Annotated[Secret | None, Field(description="SMTP password, as a secret reference")] = None
    sender: Annotated[str, Field(description="From: address")] = "patrol@localhost"
    to: Annotated[tuple[str, ...], Field(description="addresses always told; the people of a rule are added")] = ()
    timeout_s: Annotated[float, Field(gt=0)] = 30
    rate_per_minute: Annotated[int, Field(ge=1)] = 60


class WebhookChannel(Strict):
    """The generic webhook: JSON, HMAC-SHA256 signed like the ticketing webhook backend."""

    type: Literal["webhook"]
    url: Annotated[str, Field(description="receiver URL")]
    secret: Annotated[Secret | None, Field(description="HMAC key; sent as X-Patrol-Signature: sha256=<hex>")] = None
    timeout_s: Annotated[float, Field(gt=0)] = 10
    rate_per_minute: Annotated[int, Field(ge=1)] = 600


Channel = Annotated[WecomChannel | DingtalkChannel | FeishuChannel | MailChannel | WebhookChannel,
                    Field(discriminator="type")]


class Person(Strict):
    """Someone who can be told: named in messages, @-mentioned on robots, mailed."""

    display: Annotated[str | None, Field(description="name shown in messages (default: the key)")] = None
    mail: Annotated[str | None, Field(description="mail address")] = None
    mobile: Annotated[str | None, Field(description="mobile number, for DingTalk and WeCom @-mentions")] = None
    wecom_userid: Annotated[str | None, Field(description="WeCom userid, for <@userid> in WeCom markdown")] = None
    feishu_user_id: Annotated[str | None, Field(description="Feishu user_id/open_id, for <at> in cards")] = None


def _hhmm(value: object) -> object:
    """'HH:MM' -> time; '24:00' is the end of the day (a time cannot say 24:00)."""
    if isinstance(value, str) and value.strip() == "24:00":
        return time.max
    return value


class TimeRange(Strict):
    """Weekdays and a local time range; ``end`` before ``start`` runs over midnight."""

    days: Annotated[tuple[Weekday, ...], Field(min_length=1, description="mon ... sun")] = ALL_DAYS
    start: Annotated[time, Field(description="HH:MM, site time")]
    end: Annotated[time, Field(description="HH:MM, site time; 24:00 for the end of the day")]

    @field_validator("start", "end", mode="before")
    @classmethod
    def _end_of_day(cls, value: object) -> object:
        return _hhmm(value)

    @model_validator(mode="after")
    def _not_empty(self) -> "TimeRange":
        if self.start == self.end:
            raise ValueError("start and end are equal: the range would be empty")
        return self


class Team(Strict):
    """Who is on duty when, and when the team's robots stay quiet (site time zone)."""

    members: Annotated[tuple[str, ...], Field(description="people keys")] = ()
    on_duty: Annotated[tuple[TimeRange, ...], Field(description="when the members are on duty; empty: always")] = ()
    quiet: Annotated[tuple[TimeRange, ...], Field(description="quiet hours: messages wait until they end")] = ()
    holidays_quiet: Annotated[bool, Field(description="holidays (notify.holidays) are quiet all day and nobody is on duty")] = True
    quiet_except_tiers: Annotated[tuple[str, ...], Field(
        description="tiers told even in quiet hours (escalations always are)")] = ("urgent",)


class Rule(Strict):
    """Who is told what. Empty match lists match everything; patterns are shell globs."""

    name: Annotated[str, Field(min_length=1)]
    sites: tuple[str, ...] = ("*",)
    tiers: tuple[str, ...] = ()
    checks: Annotated[tuple[str, ...], Field(description="check names or globs, e.g. 'switch.*' for a check family")] = ()
    events: Annotated[tuple[EventKind, ...], Field(description="opened, escalated, resolved, sla_warning, acknowledged")] = (
        "opened", "escalated", "resolved", "sla_warning")
    channels: Annotated[tuple[str, ...], Field(min_length=1, description="channel names")]
    team: Annotated[str | None, Field(description="its quiet hours and on-duty people apply")] = None


class NotifySettings(Strict):
    """Settings under ``notify:``."""

    enabled: Annotated[bool, Field(description="send notifications of ticket events")] = False
    timezone: Annotated[str, Field(description="the site's time zone (IANA name) for schedules and message times")] = "UTC"
    holidays: Annotated[tuple[date, ...], Field(description="public holidays (YYYY-MM-DD), site time")] = ()
    language: Annotated[Literal["zh-CN", "en"], Field(description="language of messages")] = "zh-CN"
    console_url: Annotated[str | None, Field(description="base URL of the console, for links in messages")] = None
    sla_warn_at: Annotated[float, Field(gt=0, lt=1, description="warn when this fraction of a deadline's window has passed")] = 0.8
    channels: Annotated[dict[str, Channel], Field(description="channel name -> channel")] = {}
    people: dict[str, Person] = {}
    teams: dict[str, Team] = {}
    chains: Annotated[dict[str, tuple[str, ...]], Field(
        description="tier -> who is told at escalation level 0, 1, 2...: people keys or 'team:NAME' (its on-duty members)")] = {}
    rules: tuple[Rule, ...] = ()
    retry_base_s: Annotated[float, Field(gt=0, description="first retry delay; doubles per failure")] = 30
    retry_max_s: Annotated[float, Field(gt=0, description="longest delay between retries (nothing is dropped)")] = 3600
    max_drain_s: Annotated[float, Field(gt=0, description="a drain stops after this long; the rest goes next cycle")] = 20

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return time_zone_name(value)

    @model_validator(mode="after")
    def _references(self) -> "NotifySettings":
        for name in self.channels:
            if not _CHANNEL_NAME.match(name):
                raise ValueError(f"channels.{name}: use letters, digits, '_', '.', '-' (at most 64)")
        for team_name, team in self.teams.items():
            for member in team.members:
                if member not in self.people:
                    raise ValueError(f"teams.{team_name}.members: unknown person {member!r}")
        for tier, chain in self.chains.items():
            for who in chain:
                if who.startswith("team:"):
                    if who[5:] not in self.teams:
                        raise ValueError(f"chains.{tier}: unknown team {who[5:]!r}")
                elif who not in self.people:
                    raise ValueError(f"chains.{tier}: unknown person {who!r}")
        for index, rule in enumerate(self.rules):
            for channel in rule.channels:
                if channel not in self.channels:
                    raise ValueError(f"rules[{index}] ({rule.name}): unknown channel {channel!r}; "
                                     f"channels are {sorted(self.channels)}")
            if rule.team is not None and rule.team not in self.teams:
                raise ValueError(f"rules[{index}] ({rule.name}): unknown team {rule.team!r}")
        return self
