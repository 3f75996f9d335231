"""The chat robots: WeCom group robot, DingTalk custom robot, Feishu/Lark custom bot.

Each posts the markdown or card its platform documents and reads the platform's own
error codes (HTTP 200 with an error code in the JSON is how all three say no).
Secrets (the webhook key/token and the signing secret) are resolved at each send, so a
missing one is a queued error naming the reference, and a rotated one is picked up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import requests

from agent.notify import message
from agent.notify.channels.base import (ChannelRateLimited, ChannelRejected, ChannelUnavailable, check_status, errmsg,
                                        post_json)
from agent.notify.message import Notice
from config.secrets import SecretRef, SecretUnavailable

Resolve = Callable[[SecretRef], str]


def _secret(resolve: Resolve, ref: SecretRef, what: str) -> str:
    try:
        return resolve(ref)
    except SecretUnavailable as exc:
        raise ChannelRejected(f"{what}: {exc}") from None


# --- signatures (pure; the tests recompute them independently) -------------------------------

def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """DingTalk 加签: base64(HmacSHA256(key=secret, msg=f"{timestamp}\\n{secret}")), then URL-encoded.

    https://open.dingtalk.com/document/robots/customize-robot-security-settings (the
    timestamp is in milliseconds and must be within one hour of DingTalk's clock). The
    URL encoding is left to the HTTP client (``params=``), which percent-encodes + / =."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(timestamp_s: int, secret: str) -> str:
    """Feishu/Lark custom bot 签名校验: base64(HmacSHA256(key=f"{timestamp}\\n{secret}", msg=b"")).

    https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot (note the key is the
    string to sign and the message is empty; the timestamp is in seconds, within one hour)."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _errcode_reply(status: int, answer: dict[str, Any], what: str, rate_limited: set[int], penalty_s: float) -> None:
    """WeCom and DingTalk answer HTTP 200 with {"errcode": N, "errmsg": ...}; 0 is success."""
    if status == 429:
        raise ChannelRateLimited(f"{what}: HTTP 429", penalty_s)
    check_status(status, what)
    code = answer.get("errcode")
    if code == 0:
        return
    text = f"{what}: errcode {code} {errmsg(answer, 'errmsg')}".rstrip()
    if code in rate_limited:
        raise ChannelRateLimited(text, penalty_s)
    if code is None:
        raise ChannelUnavailable(f"{what}: the reply is not the platform's JSON")
    raise ChannelRejected(text)


# --- WeCom ------------------------------------------------------------------------------------

class WecomRobot:
    """WeCom group robot (群机器人), markdown messages.

    https://developer.work.weixin.qq.com/document/path/91770: POST {"msgtype": "markdown",
    "markdown": {"content": ...}} (content at most 4096 bytes) to .../webhook/send?key=KEY;
    success is {"errcode": 0, "errmsg": "ok"}; at most 20 messages a minute per robot, beyond
    that errcode 45009 (api freq out of limit)."""

    kind = "wecom"
    RATE_LIMITED = {45009}
    PENALTY_S = 60.0

    def __init__(self, name: str, settings: Any, resolve: Resolve, language: str, zone: ZoneInfo,
                 session: requests.Session | None = None):
        self.name, self.settings, self.resolve = name, settings, resolve
        self.language, self.zone = language, zone
        self.rate_per_minute = settings.rate_per_minute
        self.session = session or requests.Session()

    def send(self, notice: Notice) -> None:
        what = f"WeCom robot {self.name}"
        key = _secret(self.resolve, self.settings.key, what)
        content = message.markdown(notice, self.language, self.zone, mention_style="wecom")
        status, answer = post_json(self.session, self.settings.url, {"msgtype": "markdown", "markdown": {"content": content}},
                                   self.settings.timeout_s, what, params={"key": key})
        _errcode_reply(status, answer, what, self.RATE_LIMITED, self.PENALTY_S)


# --- DingTalk ---------------------------------------------------------------------------------

class DingtalkRobot:
    """DingTalk custom robot (自定义机器人), markdown messages, signed or keyword mode.

    https://open.dingtalk.com/document/robots/custom-robot-access: POST {"msgtype":
    "markdown", "markdown": {"title", "text"}, "at": {"atMobiles", "isAtAll"}} to
    /robot/send?access_token=T[&timestamp=&sign=]; success {"errcode": 0, "errmsg": "ok"};
    20 messages a minute per robot, beyond that errcode 130101 ("send too fast") and a
    10-minute ban; 310000 is a failed security check (sign, keyword or IP)."""

    kind = "dingtalk"
    RATE_LIMITED = {130101}
    PENALTY_S = 600.0

    def __init__(self, name: str, settings: Any, resolve: Resolve, language: str, zone: ZoneInfo,
                 session: requests.Session | None = None, clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)):
        self.name, self.settings, self.resolve = name, settings, resolve
        self.language, self.zone = language, zone
        self.rate_per_minute = settings.rate_per_minute
        self.session = session or requests.Session()
        self.clock_ms = clock_ms

    def send(self, notice: Notice) -> None:
        what = f"DingTalk robot {self.name}"
        params = {"access_token": _secret(self.resolve, self.settings.access_token, what)}
        if self.settings.secret is not None:
            secret = _secret(self.resolve, self.settings.secret, what)
            timestamp = self.clock_ms()
            params.update(timestamp=str(timestamp), sign=dingtalk_sign(timestamp, secret))
        text = message.markdown(notice, self.language, self.zone, mention_style="dingtalk", keyword=self.settings.keyword)
        title = message.short_text(message.parts(notice, self.language, self.zone).headline)
        if self.settings.keyword and self.settings.keyword not in title:
            title = f"{title} {self.settings.keyword}"
        mobiles = [m.mobile for m in notice.mentions if m.mobile]
        document = {"msgtype": "markdown", "markdown": {"title": title, "text": text},
                    "at": {"atMobiles": mobiles, "isAtAll": False}}
        status, answer = post_json(self.session, self.settings.url, document, self.settings.timeout_s, what,
                                   params=params)
        _errcode_reply(status, answer, what, self.RATE_LIMITED, self.PENALTY_S)


# --- Feishu / Lark ----------------------------------------------------------------------------

class FeishuBot:
    """Feishu/Lark custom bot (自定义机器人), interactive cards, optionally signed.

    https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot: POST {"timestamp",
    "sign", "msg_type": "interactive", "card": {...}} to /open-apis/bot/v2/hook/HOOK;
    success {"code": 0, "msg": "success"} (older bots: {"StatusCode": 0}); 19021 is a
    signature that does not match, 19024 a missing keyword; 100 messages a minute and 5 a
    second per bot, beyond that 11232 (or HTTP 429 with code 99991400)."""

    kind = "feishu"
    RATE_LIMITED = {11232, 9499, 99991400}
    PENALTY_S = 60.0

    def __init__(self, name: str, settings: Any, resolve: Resolve, language: str, zone: ZoneInfo,
                 session: requests.Session | None = None, clock_s: Callable[[], int] = lambda: int(time.time())):
        self.name, self.settings, self.resolve = name, settings, resolve
        self.language, self.zone = language, zone
        self.rate_per_minute = settings.rate_per_minute
        self.session = session or requests.Session()
        self.clock_s = clock_s

    def send(self, notice: Notice) -> None:
        what = f"Feishu bot {self.name}"
        hook = _secret(self.resolve, self.settings.hook, what)
        if not hook or "/" in hook or "?" in hook:
            raise ChannelRejected(f"{what}: the hook secret must be the id at the end of the webhook URL")
        document: dict[str, Any] = {"msg_type": "interactive",
                                    "card": message.feishu_card(notice, self.language, self.zone, self.settings.keyword)}
        if self.settings.secret is not None:
            secret = _secret(self.resolve, self.settings.secret, what)
            timestamp = self.clock_s()
            document.update(timestamp=str(timestamp), sign=feishu_sign(timestamp, secret))
        status, answer = post_json(self.session, f"{self.settings.url.rstrip('/')}/{hook}", document,
                                   self.settings.timeout_s, what)
        code = answer.get("code", answer.get("StatusCode"))
        if status == 429 or code in self.RATE_LIMITED:
            raise ChannelRateLimited(f"{what}: HTTP {status} code {code} {errmsg(answer, 'msg')}".rstrip(),
                                     self.PENALTY_S)
        check_status(status, what)
        if code == 0:
            return
        if code is None:
            raise ChannelUnavailable(f"{what}: the reply is not Feishu's JSON")
        raise ChannelRejected(f"{what}: code {code} {errmsg(answer, 'msg', 'StatusMessage')}".rstrip())
