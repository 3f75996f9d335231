"""What a notification says: one ``Notice`` per ticket event, rendered per format.

Device and user text (titles, targets, check items) is data. The robots' markdown
dialects (WeCom, DingTalk) document no backslash escape, and WeCom turns ``<@userid>``
and ``<@all>`` in markdown into mentions, so markup characters in such text become their
full-width forms (``*`` -> ``＊``, ``<`` -> ``＜``, ``@`` -> ``＠``): readable, inert, and
no device can @-mention the whole group. Feishu cards carry it as ``plain_text``; mail
escapes it as HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from agent.textsafe import plain_text

# Characters with a meaning inline in the robots' markdown (emphasis, links, code, tables)
# or in WeCom's <font>/<@id> tags. Line-start markup (#, >, -) cannot occur: values are one
# line and never start one.
_FULLWIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "\\`*_[]~|<>@&"})
_MAX_FIELD = 300  # one device string; a whole message must stay under the robots' 4 KB limits


@dataclass(frozen=True, slots=True)
class Mention:
    """Someone named in a notice; the handles come from config, never from device text."""

    name: str
    mail: str | None = None
    mobile: str | None = None
    wecom_userid: str | None = None
    feishu_user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """One ticket event, as told to people."""

    event: str  # opened | escalated | resolved | sla_warning | acknowledged | test
    site: str
    ticket: str  # the number shown: "RT #8", "#8", or "queued 1a2b..." (agent/ticketing/numbers.py)
    title: str
    target: str
    check: str
    severity: str
    tier: str
    at: datetime
    due: datetime | None = None  # the deadline this notice is about (escalated, sla_warning)
    level: int = 0  # escalation level
    missed: str | None = None  # response | resolve
    url: str | None = None
    mentions: tuple[Mention, ...] = field(default=())


LABELS = {
    "zh-CN": {
        "opened": "新工单", "escalated": "工单升级", "resolved": "工单已解决", "sla_warning": "SLA 即将超时",
        "acknowledged": "工单已响应", "test": "测试消息", "site": "站点", "target": "设备", "check": "检查项",
        "severity": "级别", "tier": "优先级", "time": "时间", "due": "期限", "level": "升级级别", "missed": "错过",
        "response": "响应期限", "resolve": "解决期限", "notify": "请处理", "open": "查看工单",
    },
    "en": {
        "opened": "New ticket", "escalated": "Ticket escalated", "resolved": "Ticket resolved",
        "sla_warning": "SLA deadline near", "acknowledged": "Ticket acknowledged", "test": "Test message",
        "site": "Site", "target": "Target", "check": "Check", "severity": "Severity", "tier": "Priority",
        "time": "Time", "due": "Due", "level": "Escalation level", "missed": "Missed", "response": "response deadline",
        "resolve": "resolve deadline", "notify": "Please handle", "open": "Open the ticket",
    },
}


def robot_text(value: object) -> str:
    """``value`` as inert text inside WeCom/DingTalk markdown (one line, no markup, no @)."""
    text = plain_text(value)
    if len(text) > _MAX_FIELD:
        text = text[:_MAX_FIELD - 1] + "…"
    return text.translate(_FULLWIDTH)


def short_text(value: object) -> str:
    """``value`` as one plain line of bounded length (cards, subjects, JSON)."""
    text = plain_text(value)
    return text if len(text) <= _MAX_FIELD else text[:_MAX_FIELD - 1] + "…"


def _local(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


@dataclass(frozen=True, slots=True)
class Rendered:
    """The parts every format is built from; values are raw (each format escapes them)."""

    headline: str  # the event label, from our own table
    title: str
    rows: tuple[tuple[str, str], ...]  # (label, raw value)
    url: str | None
    link_label: str


def parts(notice: Notice, language: str, zone: ZoneInfo) -> Rendered:
    labels = LABELS.get(language, LABELS["en"])
    rows = [(labels["site"], notice.site), (labels["target"], notice.target), (labels["check"], notice.check),
            (labels["severity"], notice.severity.upper()), (labels["tier"], notice.tier),
            (labels["time"], _local(notice.at, zone))]
    if notice.event == "escalated":
        rows.append((labels["level"], str(notice.level)))
        if notice.missed:
            rows.append((labels["missed"], labels.get(notice.missed, notice.missed)))
    if notice.due is not None:
        which = labels.get(notice.missed or "", labels["due"]) if notice.event == "sla_warning" else labels["due"]
        rows.append((which, _local(notice.due, zone)))
    return Rendered(f"{labels.get(notice.event, notice.event)} {notice.ticket}", notice.title, tuple(rows),
                    notice.url, labels["open"])


def subject(notice: Notice, language: str) -> str:
    labels = LABELS.get(language, LABELS["en"])
    return short_text(f"[Patrol] {labels.get(notice.event, notice.event)} {notice.ticket} "
                      f"{notice.severity.upper()} {notice.title}")


def markdown(notice: Notice, language: str, zone: ZoneInfo, *, mention_style: str, keyword: str | None = None) -> str:
    """WeCom or DingTalk markdown. ``mention_style``: ``wecom`` writes <@userid>, ``dingtalk`` @mobile
    (DingTalk mentions those also listed in at.atMobiles)."""
    p = parts(notice, language, zone)
    lines = [f"### {robot_text(p.headline)}", f"**{robot_text(p.title)}**", ""]
    lines += [f"> {label}: {robot_text(value)}" for label, value in p.rows]
    if p.url:
        lines += ["", f"[{p.link_label}]({_safe_url(p.url)})"]
    handles = []
    for who in notice.mentions:
        if mention_style == "wecom" and who.wecom_userid:
            handles.append(f"<@{who.wecom_userid}>")
        elif mention_style == "dingtalk" and who.mobile:
            handles.append(f"@{who.mobile}")
        else:
            handles.append(robot_text(who.name))
    if handles:
        lines += ["", f"{LABELS.get(language, LABELS['en'])['notify']}: " + " ".join(handles)]
    if keyword and keyword not in "\n".join(lines):
        lines.append(f"\n{robot_text(keyword)}")
    return "\n".join(lines)


def _safe_url(url: str) -> str:
    """A link target from config (console/ticket URL): no spaces or parentheses to break out of ``(...)``."""
    return plain_text(url).replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def feishu_card(notice: Notice, language: str, zone: ZoneInfo, keyword: str | None = None) -> dict:
    """A Feishu/Lark interactive card; all device text is ``plain_text`` (never parsed as markdown)."""
    p = parts(notice, language, zone)
    color = {"resolved": "green", "sla_warning": "orange", "escalated": "red", "opened": "red"}.get(notice.event, "blue")
    elements: list[dict] = [
        {"tag": "div", "text": {"tag": "plain_text", "content": short_text(p.title)}},
        {"tag": "div", "text": {"tag": "plain_text",
                                "content": "\n".join(f"{label}: {short_text(value)}" for label, value in p.rows)}},
    ]
    ats = [f"<at id={who.feishu_user_id}></at>" for who in notice.mentions if who.feishu_user_id
           and who.feishu_user_id.replace("_", "").isalnum()]
    names = [short_text(who.name) for who in notice.mentions if not who.feishu_user_id]
    if ats:
        elements.append({"tag": "div", "text": {"tag": "lark_md", "content": " ".join(ats)}})
    if names:
        elements.append({"tag": "div", "text": {"tag": "plain_text", "content":
                                                f"{LABELS.get(language, LABELS['en'])['notify']}: " + ", ".join(names)}})
    if keyword:
        elements.append({"tag": "note", "elements": [{"tag": "plain_text", "content": short_text(keyword)}]})
    if p.url:
        elements.append({"tag": "action", "actions": [{"tag": "button", "type": "primary", "url": plain_text(p.url),
                                                       "text": {"tag": "plain_text", "content": p.link_label}}]})
    return {"config": {"wide_screen_mode": True},
            "header": {"template": color, "title": {"tag": "plain_text", "content": short_text(p.headline)}},
            "elements": elements}


def text_body(notice: Notice, language: str, zone: ZoneInfo) -> str:
    p = parts(notice, language, zone)
    lines = [p.headline, short_text(p.title), ""] + [f"{label}: {short_text(value)}" for label, value in p.rows]
    if p.url:
        lines += ["", f"{p.link_label}: {plain_text(p.url)}"]
    if notice.mentions:
        lines += ["", f"{LABELS.get(language, LABELS['en'])['notify']}: " + ", ".join(short_text(m.name) for m in notice.mentions)]
    return "\n".join(lines) + "\n"


def html_body(notice: Notice, language: str, zone: ZoneInfo) -> str:
    p = parts(notice, language, zone)
    esc = html.escape
    rows = "".join(f"<tr><th align='left'>{esc(label)}</th><td>{esc(short_text(value))}</td></tr>" for label, value in p.rows)
    link = f"<p><a href=\"{esc(plain_text(p.url))}\">{esc(p.link_label)}</a></p>" if p.url else ""
    who = ""
    if notice.mentions:
        who = f"<p>{esc(LABELS.get(language, LABELS['en'])['notify'])}: " \
              + esc(", ".join(short_text(m.name) for m in notice.mentions)) + "</p>"
    return (f"<!doctype html><html lang=\"{esc(language)}\"><meta charset=\"utf-8\"><body>"
            f"<h3>{esc(p.headline)}</h3><p><strong>{esc(short_text(p.title))}</strong></p>"
            f"<table>{rows}</table>{link}{who}</body></html>")


def webhook_document(notice: Notice) -> dict:
    """The generic webhook's JSON (stable keys; values are plain strings)."""
    return {"event": notice.event, "site": notice.site, "ticket": notice.ticket, "title": short_text(notice.title),
            "target": notice.target, "check": notice.check, "severity": notice.severity, "tier": notice.tier,
            "at": notice.at.isoformat(), "due": notice.due.isoformat() if notice.due else None,
            "level": notice.level, "missed": notice.missed, "url": notice.url,
            "people": [m.name for m in notice.mentions]}


def to_json(notice: Notice) -> dict:
    """The notice as stored in a queue row."""
    return {"event": notice.event, "site": notice.site, "ticket": notice.ticket, "title": notice.title,
            "target": notice.target, "check": notice.check, "severity": notice.severity, "tier": notice.tier,
            "at": notice.at.isoformat(), "due": notice.due.isoformat() if notice.due else None, "level": notice.level,
            "missed": notice.missed, "url": notice.url,
            "mentions": [{"name": m.name, "mail": m.mail, "mobile": m.mobile, "wecom_userid": m.wecom_userid,
                          "feishu_user_id": m.feishu_user_id} for m in notice.mentions]}


def from_json(data: dict) -> Notice:
    return Notice(event=data["event"], site=data["site"], ticket=data["ticket"], title=data["title"],
                  target=data["target"], check=data["check"], severity=data["severity"], tier=data["tier"],
                  at=datetime.fromisoformat(data["at"]),
                  due=datetime.fromisoformat(data["due"]) if data.get("due") else None,
                  level=int(data.get("level") or 0), missed=data.get("missed"), url=data.get("url"),
                  mentions=tuple(Mention(**m) for m in data.get("mentions") or ()))
