"""A local stand-in for the WeCom, DingTalk and Feishu robot endpoints, on 127.0.0.1.

It checks each request the way the platform documents it and answers with the
platform's own JSON, so the channels are tested against the contract, not against
themselves. The signatures are recomputed here with an HMAC written out from RFC 2104
(ipad/opad over SHA-256), independent of the ``hmac`` module the code under test uses.

- WeCom group robot (https://developer.work.weixin.qq.com/document/path/91770):
  POST /cgi-bin/webhook/send?key=KEY, {"msgtype": "markdown", "markdown": {"content"}},
  content <= 4096 bytes; {"errcode": 0, "errmsg": "ok"}; 93000 invalid webhook url;
  20 messages/minute, then 45009 "api freq out of limit".
- DingTalk custom robot (https://open.dingtalk.com/document/robots/custom-robot-access,
  .../customize-robot-security-settings): POST /robot/send?access_token=T&timestamp=MS&sign=S,
  sign = urlencode(base64(HmacSHA256(secret, "MS\\nsecret"))), MS within one hour;
  keyword mode: the message must contain a keyword; 310000 on a failed check,
  300001 bad token, 130101 "send too fast, exceed 20 times per minute".
- Feishu custom bot (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot):
  POST /open-apis/bot/v2/hook/HOOK, {"timestamp": "S", "sign", "msg_type", ...},
  sign = base64(HmacSHA256(key="S\\nsecret", msg="")); {"code": 0, "msg": "success"};
  19021 sign match fail, 19024 Key Words Not Found, 11232 frequency limited (100/min).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any


def rfc2104_hmac_sha256(key: bytes, message: bytes) -> bytes:
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.sha256(bytes(k ^ 0x5C for k in key) + inner).digest()


@dataclass
class RobotServer:
    """Platform state: the credentials it expects, what it received, its per-minute counters."""

    wecom_key: str = "wecom-key-1"
    ding_token: str = "ding-token-1"
    ding_secret: str | None = "SECding-secret"
    ding_keywords: tuple[str, ...] = ()
    feishu_hook: str = "feishu-hook-1"
    feishu_secret: str | None = "feishu-secret"
    feishu_keywords: tuple[str, ...] = ()
    wecom_limit: int = 20
    ding_limit: int = 20
    feishu_limit: int = 100
    down: bool = False  # answer 502 to everything
    url: str = ""
    received: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"wecom": [], "dingtalk": [], "feishu": []})
    answers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _sent_at: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _over_limit(self, platform: str, limit: int) -> bool:
        now = time.monotonic()
        times = [t for t in self._sent_at.get(platform, []) if now - t < 60]
        if len(times) >= limit:
            self._sent_at[platform] = times
            return True
        self._sent_at[platform] = [*times, now]
        return False

    def handle(self, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if self.down:
            return 502, {}
        try:
            document = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, {"errcode": 40001, "errmsg": "invalid json"}
        with self.lock:
            if path == "/cgi-bin/webhook/send":
                return 200, self._wecom(query, document)
            if path == "/robot/send":
                return 200, self._dingtalk(query, document)
            if path.startswith("/open-apis/bot/v2/hook/"):
                return 200, self._feishu(path.rsplit("/", 1)[1], document)
        return 404, {}

    def _wecom(self, query: dict[str, str], doc: dict[str, Any]) -> dict[str, Any]:
        if query.get("key") != self.wecom_key:
            return {"errcode": 93000, "errmsg": "invalid webhook url"}
        content = (doc.get("markdown") or {}).get("content")
        if doc.get("msgtype") != "markdown" or not isinstance(content, str):
            return {"errcode": 40008, "errmsg": "invalid message type"}
        if len(content.encode("utf-8")) > 4096:
            return {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
        if self._over_limit("wecom", self.wecom_limit):
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        self.received["wecom"].append(doc)
        return {"errcode": 0, "errmsg": "ok"}

    def _dingtalk(self, query: dict[str, str], doc: dict[str, Any]) -> dict[str, Any]:
        if query.get("access_token") != self.ding_token:
            return {"errcode": 300001, "errmsg": "token is not exist"}
        if self.ding_secret is not None:
            stamp = query.get("timestamp", "")
            if not stamp.isdigit() or abs(int(stamp) - time.time() * 1000) > 3600_000:
                return {"errcode": 310000, "errmsg": "invalid timestamp"}
            expected = base64.b64encode(rfc2104_hmac_sha256(self.ding_secret.encode(),
                                                            f"{stamp}\n{self.ding_secret}".encode())).decode()
            if query.get("sign") != expected:  # the query was URL-decoded by the server
                return {"errcode": 310000, "errmsg": "sign not match"}
        markdown = doc.get("markdown") or {}
        if doc.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
            return {"errcode": 40035, "errmsg": "缺少参数 json"}
        if self.ding_keywords and not any(k in markdown["text"] or k in markdown["title"] for k in self.ding_keywords):
            return {"errcode": 310000, "errmsg": "keywords not in content"}
        if self._over_limit("dingtalk", self.ding_limit):
            return {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        self.received["dingtalk"].append(doc)
        return {"errcode": 0, "errmsg": "ok"}

    def _feishu(self, hook: str, doc: dict[str, Any]) -> dict[str, Any]:
        if hook != self.feishu_hook:
            return {"code": 19001, "msg": "param invalid: incoming webhook access token invalid", "data": {}}
        if self.feishu_secret is not None:
            stamp = str(doc.get("timestamp", ""))
            expected = base64.b64encode(rfc2104_hmac_sha256(f"{stamp}\n{self.feishu_secret}".encode(), b"")).decode()
            if not stamp.isdigit() or abs(int(stamp) - time.time()) > 3600 or doc.get("sign") != expected:
                return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time",
                        "data": {}}
        if doc.get("msg_type") != "interactive" or not isinstance(doc.get("card"), dict):
            return {"code": 9499, "msg": "Bad Request", "data": {}}
        if self.feishu_keywords and not any(k in json.dumps(doc["card"], ensure_ascii=False)
                                            for k in self.feishu_keywords):
            return {"code": 19024, "msg": "Key Words Not Found", "data": {}}
        if self._over_limit("feishu", self.feishu_limit):
            return {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]", "data": {}}
        self.received["feishu"].append(doc)
        return {"code": 0, "msg": "success", "data": {}}


def start(server_state: RobotServer) -> tuple[RobotServer, http.server.ThreadingHTTPServer]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
            parsed = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            length = int(self.headers.get("Content-Length") or 0)
            status, answer = server_state.handle(parsed.path, query, self.rfile.read(length))
            server_state.answers.append((parsed.path, answer))
            reply = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server_state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    return server_state, httpd
