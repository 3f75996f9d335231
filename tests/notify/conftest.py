"""Fixtures of the notification tests: the robot platforms on 127.0.0.1, settings builders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from agent.notify.message import Mention, Notice
from config.notify import NotifySettings
from tests.notify.robot_server import RobotServer, start

SECRETS = {"WECOM_KEY": "wecom-key-1", "DING_TOKEN": "ding-token-1", "DING_SECRET": "SECding-secret",
           "FEISHU_HOOK": "feishu-hook-1", "FEISHU_SECRET": "feishu-secret", "SMTP_PASSWORD": "s3cret-pw"}


@pytest.fixture
def robots(monkeypatch: pytest.MonkeyPatch) -> Iterator[RobotServer]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    state, httpd = start(RobotServer())
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def channel_settings(url: str) -> dict[str, Any]:
    return {
        "wecom": {"type": "wecom", "key": "env:WECOM_KEY", "url": f"{url}/cgi-bin/webhook/send"},
        "ding": {"type": "dingtalk", "access_token": "env:DING_TOKEN", "secret": "env:DING_SECRET",
                 "url": f"{url}/robot/send"},
        "feishu": {"type": "feishu", "hook": "env:FEISHU_HOOK", "secret": "env:FEISHU_SECRET",
                   "url": f"{url}/open-apis/bot/v2/hook"},
    }


def notify_settings(url: str = "http://127.0.0.1:9", **over: Any) -> NotifySettings:
    base: dict[str, Any] = {"enabled": True, "timezone": "Asia/Shanghai", "channels": channel_settings(url),
                            "rules": [{"name": "all", "channels": ["wecom"]}]}
    base.update(over)
    return NotifySettings.model_validate(base)


def sample_notice(**over: Any) -> Notice:
    values: dict[str, Any] = dict(
        event="opened", site="acme", ticket="RT #8", title="sw1 switch.reachability: no answer", target="sw1",
        check="switch.reachability", severity="crit", tier="urgent", at=datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc),
        url="http://rt.example/Ticket/Display.html?id=8",
        mentions=(Mention("Li Lei", mail="lilei@example.com", mobile="13800000001", wecom_userid="lilei",
                          feishu_user_id="ou_abc123"),))
    values.update(over)
    return Notice(**values)
