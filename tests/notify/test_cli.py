"""`patrol notify test CHANNEL` and `patrol notify queue`, run as the engineer would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.notify.conftest import SECRETS, channel_settings

REPO = Path(__file__).resolve().parents[2]


def _patrol(tmp_path: Path, url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    config = tmp_path / "patrol.yaml"
    config.write_text(yaml.safe_dump({
        "agent": {"site": "acme", "name": "collector-1"},
        "notify": {"enabled": True, "timezone": "Asia/Shanghai", "channels": channel_settings(url),
                   "people": {"zhang": {"wecom_userid": "zhang", "mobile": "13800000011"}},
                   "chains": {"urgent": ["zhang"]}, "rules": [{"name": "all", "channels": ["wecom"]}]}},
        allow_unicode=True), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "agent.cli", "-c", str(config), "notify", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60, env={**os.environ, **SECRETS, **(env or {})})


def test_notify_test_sends_a_sample_through_each_robot(robots, tmp_path):
    for name, platform in (("wecom", "wecom"), ("ding", "dingtalk"), ("feishu", "feishu")):
        done = _patrol(tmp_path, robots.url, "test", name)
        assert done.returncode == 0, done.stderr
        assert f"sent a sample test message through {name}" in done.stdout
        assert len(robots.received[platform]) == 1
    assert "测试消息" in robots.received["wecom"][0]["markdown"]["content"]
    assert "<@zhang>" in robots.received["wecom"][0]["markdown"]["content"]


def test_notify_test_reports_the_platform_error_and_fails(robots, tmp_path):
    done = _patrol(tmp_path, robots.url, "test", "ding", env={"DING_SECRET": "SECwrong"})
    assert done.returncode == 1
    assert "not sent: DingTalk robot ding: errcode 310000 sign not match" in done.stdout
    assert "SECwrong" not in done.stdout + done.stderr
    done = _patrol(tmp_path, robots.url, "test", "nope")
    assert done.returncode == 2 and "channels are: ding, feishu, wecom" in done.stdout


def test_notify_queue_is_empty_on_a_new_store(robots, tmp_path):
    done = _patrol(tmp_path, robots.url, "queue", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"sent": None, "pending": []}
