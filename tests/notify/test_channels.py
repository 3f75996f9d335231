"""Each robot channel against a local server that checks the request as the platform documents it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from zoneinfo import ZoneInfo

import pytest

from agent.notify.channels import make_channel, make_channels
from agent.notify.channels.base import ChannelRateLimited, ChannelRejected, ChannelUnavailable
from agent.notify.channels.robots import dingtalk_sign, feishu_sign
from tests.notify.conftest import channel_settings, notify_settings, sample_notice
from tests.notify.robot_server import rfc2104_hmac_sha256

HOSTILE = "<@all> **bold** [x](http://evil) @all\n# heading <font color=\"warning\">red</font>"


def _channels(robots, **over):
    settings = channel_settings(robots.url)
    for name, values in over.items():
        settings[name] = {**settings[name], **values}
    return make_channels(notify_settings(robots.url, channels=settings))


# --- the signatures themselves ---------------------------------------------------------------

@pytest.mark.parametrize("secret,stamp", [("SECabc", 1577262236757), ("this is secret", 1_700_000_000_000),
                                          ("密钥+/=", 1)], ids=["sec-prefix", "spaces", "non-ascii"])
def test_dingtalk_sign_is_hmac_of_timestamp_newline_secret(secret, stamp):
    expected = base64.b64encode(rfc2104_hmac_sha256(secret.encode(), f"{stamp}\n{secret}".encode())).decode()
    assert dingtalk_sign(stamp, secret) == expected


def test_feishu_sign_keys_hmac_with_the_string_to_sign_over_an_empty_message():
    stamp, secret = 1599360473, "demo"
    assert feishu_sign(stamp, secret) == base64.b64encode(
        rfc2104_hmac_sha256(f"{stamp}\n{secret}".encode(), b"")).decode()
    # Not the DingTalk construction (key and message swapped):
    assert feishu_sign(stamp, secret) != base64.b64encode(
        hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()).decode()


# --- delivery ----------------------------------------------------------------------------------

def test_wecom_markdown_reaches_the_robot(robots):
    _channels(robots)["wecom"].send(sample_notice())
    [doc] = robots.received["wecom"]
    content = doc["markdown"]["content"]
    assert doc["msgtype"] == "markdown"
    assert "新工单 RT #8" in content and "sw1 switch.reachability" in content
    assert "<@lilei>" in content  # the mention comes from config
    assert "[查看工单](http://rt.example/Ticket/Display.html?id=8)" in content
    assert "2026-03-02 16:00 CST" in content  # site time (Asia/Shanghai)


def test_dingtalk_signed_markdown_with_at_mobiles(robots):
    _channels(robots)["ding"].send(sample_notice())
    [doc] = robots.received["dingtalk"]
    assert doc["at"] == {"atMobiles": ["13800000001"], "isAtAll": False}
    assert "@13800000001" in doc["markdown"]["text"] and doc["markdown"]["title"].startswith("新工单")


def test_dingtalk_keyword_mode_adds_the_keyword(robots):
    robots.ding_secret = None
    robots.ding_keywords = ("巡检告警",)
    channels = _channels(robots, ding={"secret": None, "keyword": "巡检告警"})
    channels["ding"].send(sample_notice(event="resolved", mentions=()))
    assert len(robots.received["dingtalk"]) == 1
    without = _channels(robots, ding={"secret": None})
    with pytest.raises(ChannelRejected, match="310000 keywords not in content"):
        without["ding"].send(sample_notice(event="resolved", mentions=()))


def test_feishu_signed_card(robots):
    _channels(robots)["feishu"].send(sample_notice())
    [doc] = robots.received["feishu"]
    card = doc["card"]
    assert card["header"]["title"] == {"tag": "plain_text", "content": "新工单 RT #8"}
    assert card["header"]["template"] == "red"
    assert {"tag": "lark_md", "content": "<at id=ou_abc123></at>"} in [e.get("text") for e in card["elements"]]
    button = card["elements"][-1]["actions"][0]
    assert button["url"] == "http://rt.example/Ticket/Display.html?id=8"


@pytest.mark.parametrize("channel,over,error", [
    ("wecom", {"key": "env:DING_TOKEN"}, "errcode 93000 invalid webhook url"),
    ("ding", {"secret": "env:FEISHU_SECRET"}, "errcode 310000 sign not match"),
    ("ding", {"access_token": "env:WECOM_KEY"}, "errcode 300001"),
    ("feishu", {"secret": "env:DING_SECRET"}, "code 19021 sign match fail"),
    ("feishu", {"hook": "env:WECOM_KEY"}, "code 19001"),
], ids=["wecom-bad-key", "ding-bad-sign", "ding-bad-token", "feishu-bad-sign", "feishu-bad-hook"])
def test_platform_refusals_are_rejections_naming_the_code_not_the_secret(robots, channel, over, error):
    with pytest.raises(ChannelRejected, match=error) as caught:
        _channels(robots, **{channel: over})[channel].send(sample_notice())
    for secret in ("wecom-key-1", "ding-token-1", "SECding-secret", "feishu-hook-1", "feishu-secret"):
        assert secret not in str(caught.value)


@pytest.mark.parametrize("channel,platform,attr,code", [
    ("wecom", "wecom", "wecom_limit", "45009"), ("ding", "dingtalk", "ding_limit", "130101"),
    ("feishu", "feishu", "feishu_limit", "11232")], ids=["wecom-45009", "dingtalk-130101", "feishu-11232"])
def test_the_platforms_rate_limit_answer_is_a_rate_limit(robots, channel, platform, attr, code):
    setattr(robots, attr, 2)
    sender = _channels(robots)[channel]
    sender.send(sample_notice())
    sender.send(sample_notice())
    with pytest.raises(ChannelRateLimited, match=code) as caught:
        sender.send(sample_notice())
    assert caught.value.retry_after_s >= 60
    assert len(robots.received[platform]) == 2


def test_a_platform_that_is_down_or_unreachable_is_unavailable(robots):
    robots.down = True
    with pytest.raises(ChannelUnavailable, match="HTTP 502"):
        _channels(robots)["wecom"].send(sample_notice())
    settings = notify_settings(channels={"w": {"type": "wecom", "key": "env:WECOM_KEY",
                                               "url": "http://127.0.0.1:9/cgi-bin/webhook/send", "timeout_s": 2}},
                               rules=[])
    with pytest.raises(ChannelUnavailable, match="cannot connect"):
        make_channels(settings)["w"].send(sample_notice())


def test_a_missing_secret_is_a_rejection_naming_the_reference(robots, monkeypatch):
    monkeypatch.delenv("DING_SECRET")
    with pytest.raises(ChannelRejected, match="environment variable DING_SECRET is not set"):
        _channels(robots)["ding"].send(sample_notice())


# --- hostile device text ------------------------------------------------------------------------

def test_device_text_cannot_mention_everyone_or_inject_markup(robots):
    notice = sample_notice(title=HOSTILE, target="<@all>", mentions=())
    channels = _channels(robots)
    for name in ("wecom", "ding", "feishu"):
        channels[name].send(notice)
    wecom = robots.received["wecom"][0]["markdown"]["content"]
    ding = robots.received["dingtalk"][0]
    for text in (wecom, ding["markdown"]["text"]):
        assert "<@all>" not in text and "@all" not in text and "<font" not in text
        assert "**bold**" not in text and "[x](http://evil)" not in text
        assert "\n# heading" not in text  # the newline is gone: no heading injected
        assert "＜＠all＞" in text  # still readable
    assert ding["at"]["isAtAll"] is False
    card = robots.received["feishu"][0]["card"]
    texts = [e["text"] for e in card["elements"] if "text" in e]
    assert all(t["tag"] == "plain_text" for t in texts)  # device text is never lark_md


def test_wecom_message_stays_under_4096_bytes_with_long_device_text(robots):
    _channels(robots)["wecom"].send(sample_notice(title="磁盘" * 3000, target="x" * 5000))
    assert len(robots.received["wecom"]) == 1


def test_make_channel_language_en(robots):
    channel = make_channel("w", notify_settings(robots.url).channels["wecom"], "en", ZoneInfo("UTC"))
    channel.send(sample_notice())
    assert "New ticket RT #8" in robots.received["wecom"][0]["markdown"]["content"]
