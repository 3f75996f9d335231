"""Channels by type; ``make_channels`` builds them from ``notify.channels``."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from agent.notify.channels.base import Channel
from config.secrets import SecretRef


def _resolve(ref: SecretRef) -> str:
    return ref.resolve()


def make_channel(name: str, settings: object, language: str, zone: ZoneInfo,
                 resolve: Callable[[SecretRef], str] = _resolve) -> Channel:
    kind = getattr(settings, "type")
    if kind == "mail":
        from agent.notify.channels.mail import MailChannel

        return MailChannel(name, settings, resolve, language, zone)
    if kind == "webhook":
        from agent.notify.channels.webhook import WebhookChannel

        return WebhookChannel(name, settings, resolve)
    from agent.notify.channels import robots

    cls = {"wecom": robots.WecomRobot, "dingtalk": robots.DingtalkRobot, "feishu": robots.FeishuBot}[kind]
    return cls(name, settings, resolve, language, zone)


def make_channels(notify: object, resolve: Callable[[SecretRef], str] = _resolve) -> dict[str, Channel]:
    zone = ZoneInfo(notify.timezone)  # type: ignore[attr-defined]
    return {name: make_channel(name, s, notify.language, zone, resolve)  # type: ignore[attr-defined]
            for name, s in notify.channels.items()}  # type: ignore[attr-defined]
