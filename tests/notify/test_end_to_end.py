"""A ticket opened by the engine (builtin backend) reaches a robot once; its escalations reach
the next person of the chain once, also across restarts; the queue keeps platform limits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from agent.context import store_components
from agent.notify import schema
from agent.notify.channels import make_channels
from agent.notify.queue import NotifyQueue, pending
from agent.notify.service import NotifyService
from agent.store import Store
from agent.ticketing.backends.builtin import BuiltinBackend
from agent.ticketing.service import TicketingService
from collectors.base import State
from config.schema import Settings
from tests.notify.conftest import channel_settings, sample_notice
from tests.ticketing.conftest import START, Clock, inventory_with_switch, result, run_of

PEOPLE = {"zhang": {"display": "张工", "wecom_userid": "zhang", "mobile": "13800000011"},
          "li": {"display": "李工", "wecom_userid": "li", "mobile": "13800000012"},
          "lead": {"display": "王组长", "wecom_userid": "wang", "mobile": "13800000021"},
          "boss": {"display": "赵经理", "wecom_userid": "zhao", "mobile": "13800000031"}}


def _settings(url: str, **notify: Any) -> Settings:
    base = Settings().model_dump(mode="json", exclude={"agent"})
    base["agent"] = {"site": "acme", "name": "collector-1"}
    base["ticketing"] = {**base["ticketing"], "grouping": "finding"}
    base["notify"] = {"enabled": True, "timezone": "Asia/Shanghai", "channels": channel_settings(url),
                      "people": PEOPLE,
                      "teams": {"ops": {"members": ["zhang", "li"],
                                        "on_duty": [{"days": ["mon", "tue", "wed", "thu", "fri"],
                                                     "start": "09:00", "end": "18:00"}]}},
                      "chains": {"urgent": ["team:ops", "lead", "boss"]},
                      "rules": [{"name": "network", "checks": ["switch.*"], "channels": ["wecom", "ding"],
                                 "team": "ops"}],
                      **notify}
    return Settings.model_validate(base)


class Site:
    """A ticketing service over one SQLite file; ``restart()`` makes a fresh one, as a new process would."""

    def __init__(self, db: Path, settings: Settings):
        self.db, self.settings, self.clock = db, settings, Clock()
        self.stores: list[Store] = []
        self.restart()

    def restart(self) -> None:
        store = Store.open(f"sqlite:///{self.db}", "acme", store_components())
        self.stores.append(store)
        self.store = store
        self.service = TicketingService(self.settings, store, inventory_with_switch(3), self.clock,
                                        backend=BuiltinBackend(store.engine, self.clock))

    def cycle(self, state: State, minutes: float = 5) -> None:
        at = self.clock.advance(minutes=minutes)
        self.service.process(run_of(result("sw1", "switch.reachability", state, at)))

    def close(self) -> None:
        for store in self.stores:
            store.close()


def _wecom_texts(robots) -> list[str]:
    return [d["markdown"]["content"] for d in robots.received["wecom"]]


def test_engine_ticket_reaches_the_robot_once_and_escalates_along_the_chain(robots, tmp_path):
    site = Site(tmp_path / "patrol.sqlite", _settings(robots.url))
    try:
        # START is Monday 2026-03-02 08:00 UTC = 16:00 in Shanghai: team ops is on duty.
        site.cycle(State.CRIT)
        site.cycle(State.CRIT)  # open_after 2: the ticket opens here
        for _ in range(3):
            site.cycle(State.CRIT, minutes=1)  # more results: no more messages
        opened = [t for t in _wecom_texts(robots) if "新工单" in t]
        assert len(opened) == 1 and len(robots.received["dingtalk"]) == 1
        assert "<@zhang> <@li>" in opened[0] and "#1" in opened[0]  # the builtin ticket's number
        assert robots.received["dingtalk"][0]["at"]["atMobiles"] == ["13800000011", "13800000012"]

        site.restart()  # a new process: the cursor and the queue's key keep it at one
        site.cycle(State.CRIT, minutes=1)
        assert len([t for t in _wecom_texts(robots) if "新工单" in t]) == 1

        site.cycle(State.CRIT, minutes=7)  # 10 min response deadline of tier urgent missed
        escalated = [t for t in _wecom_texts(robots) if "工单升级" in t]
        assert len(escalated) == 1
        assert "<@wang>" in escalated[0] and "<@zhang>" not in escalated[0]  # level 1: the team lead
        site.restart()
        for _ in range(3):
            site.cycle(State.CRIT, minutes=5)
        assert len([t for t in _wecom_texts(robots) if "工单升级" in t]) == 1  # not again after a restart

        site.cycle(State.CRIT, minutes=120)  # the resolve deadline too: level 2, the manager
        escalated = [t for t in _wecom_texts(robots) if "工单升级" in t]
        assert len(escalated) == 2 and "<@zhao>" in escalated[1]

        site.cycle(State.OK)
        site.cycle(State.OK)
        resolved = [t for t in _wecom_texts(robots) if "工单已解决" in t]
        assert len(resolved) == 1 and "<@" not in resolved[0]
    finally:
        site.close()


def test_sla_warning_at_80_percent_of_the_response_window(robots, tmp_path):
    settings = _settings(robots.url, rules=[{"name": "sla", "events": ["sla_warning"], "channels": ["wecom"]}],
                         console_url="https://console.example:8443/")
    site = Site(tmp_path / "patrol.sqlite", settings)
    try:
        site.cycle(State.CRIT)
        site.cycle(State.CRIT)  # opened at START+10 min, respond by +10 min
        site.cycle(State.CRIT, minutes=7)  # 70 %: nothing
        assert _wecom_texts(robots) == []
        site.cycle(State.CRIT, minutes=1)  # 80 %
        [warning] = _wecom_texts(robots)
        assert "SLA 即将超时" in warning and "响应期限" in warning
        assert "[查看工单](https://console.example:8443/site/acme/tickets)" in warning  # builtin tickets have no link
        site.cycle(State.CRIT, minutes=1)
        assert len(_wecom_texts(robots)) == 1
    finally:
        site.close()


def test_quiet_hours_delay_a_new_ticket_until_they_end_but_not_its_escalation(robots, tmp_path):
    settings = _settings(robots.url, teams={"ops": {"members": ["zhang"], "quiet": [{"start": "15:00", "end": "17:00"}],
                                                    "quiet_except_tiers": []}},
                         chains={}, rules=[{"name": "network", "channels": ["wecom"], "team": "ops"}])
    site = Site(tmp_path / "patrol.sqlite", settings)
    try:
        site.cycle(State.CRIT)
        site.cycle(State.CRIT)  # 16:10 Shanghai: quiet until 17:00
        assert _wecom_texts(robots) == []
        [row] = pending(site.store.engine, "acme")
        assert row.next_attempt_at == START.replace(hour=9)  # 17:00 CST
        site.cycle(State.CRIT, minutes=11)  # the response deadline passed: escalations are never held
        assert any("工单升级" in t for t in _wecom_texts(robots))
        site.clock.now = START.replace(hour=9, minute=1)
        site.cycle(State.CRIT, minutes=0)
        assert any("新工单" in t for t in _wecom_texts(robots))
    finally:
        site.close()


def _queue(site: Site, robots, **over: Any) -> NotifyQueue:
    channels = channel_settings(robots.url)
    channels["wecom"] = {**channels["wecom"], **over}
    settings = _settings(robots.url, channels=channels)
    return NotifyQueue(site.store.engine, "acme", make_channels(settings.notify), clock=site.clock)


def _fill(site: Site, count: int) -> None:
    from agent.notify.message import to_json

    with site.store.engine.begin() as conn:
        conn.execute(schema.queue.insert(), [{
            "site": "acme", "channel": "wecom", "dedup": f"test:{i}", "event": "opened", "rule": "t",
            "payload": to_json(sample_notice(ticket=f"#{i}")), "created_at": site.clock(), "status": "pending",
            "attempts": 0, "next_attempt_at": site.clock()} for i in range(count)])


def test_the_queue_keeps_to_20_a_minute_per_robot_in_order(robots, tmp_path):
    site = Site(tmp_path / "patrol.sqlite", _settings(robots.url))
    try:
        robots.wecom_limit = 1000  # the platform would take more; the queue must not send more
        _fill(site, 25)
        queue = _queue(site, robots)
        first = queue.drain()
        assert (first.sent, first.waiting) == (20, 5)
        site.clock.advance(seconds=30)
        assert queue.drain().sent == 0
        site.clock.advance(seconds=31)
        assert queue.drain().sent == 5
        numbers = [d["markdown"]["content"].split("\n")[0] for d in robots.received["wecom"]]
        assert numbers == [f"### 新工单 ＃{i}".replace("＃", "#") for i in range(25)]
    finally:
        site.close()


def test_a_platform_rate_limit_holds_the_channel_without_losing_or_reordering(robots, tmp_path):
    site = Site(tmp_path / "patrol.sqlite", _settings(robots.url))
    try:
        _fill(site, 25)
        queue = _queue(site, robots, rate_per_minute=30)  # configured above WeCom's 20: 45009 comes back
        result_ = queue.drain()
        assert (result_.sent, result_.rate_limited) == (20, 1)
        rows = pending(site.store.engine, "acme")
        assert len(rows) == 5 and rows[0].attempts == 0 and "45009" in (rows[0].last_error or "")
        assert rows[0].next_attempt_at >= site.clock() + timedelta(seconds=60)
        robots.wecom_limit = 1000
        site.clock.advance(seconds=61)
        assert queue.drain().sent == 5
        assert pending(site.store.engine, "acme") == []
    finally:
        site.close()


def test_a_down_robot_is_retried_with_backoff_and_nothing_is_lost(robots, tmp_path):
    site = Site(tmp_path / "patrol.sqlite", _settings(robots.url))
    try:
        _fill(site, 3)
        robots.down = True
        queue = _queue(site, robots)
        assert queue.drain().failed == 1  # the first fails; the others wait behind it
        [first, *_] = pending(site.store.engine, "acme")
        assert first.attempts == 1 and first.last_error == "WeCom robot wecom: HTTP 502"
        robots.down = False
        assert queue.drain().sent == 0  # its retry is not due yet
        site.clock.advance(seconds=31)
        assert queue.drain().sent == 3
    finally:
        site.close()


def test_notify_service_plans_nothing_from_history_on_first_run(robots, tmp_path):
    settings = _settings(robots.url, enabled=False)
    site = Site(tmp_path / "patrol.sqlite", settings)
    try:
        site.cycle(State.CRIT)
        site.cycle(State.CRIT)
        site.clock.advance(hours=2)
        outcome = NotifyService(_settings(robots.url), site.store, site.clock).run()
        escalations = [r for r in pending(site.store.engine, "acme")]
        with site.store.engine.connect() as conn:
            events = conn.execute(sa.select(schema.queue.c.event)).scalars().all()
        assert "opened" not in events  # two hours old: history, not news
        assert outcome.queued == len(escalations) + outcome.drained.sent
    finally:
        site.close()


def test_deliveries_reach_metrics_through_the_worker_report(robots, tmp_path):
    import subprocess

    from prometheus_client import generate_latest

    from agent.exporter import Snapshot, build_registry
    from agent.wire import decode, encode, ticket_activity_from_json
    from tests.support.proc import require_program

    site = Site(tmp_path / "patrol.sqlite", _settings(robots.url))
    try:
        snapshot = Snapshot("acme")
        site.cycle(State.CRIT)
        site.cycle(State.CRIT)  # opened: one message to each of wecom and ding
        snapshot.tickets.update(ticket_activity_from_json(decode(encode("outbox", **site.service.activity())).body))
        robots.down = True
        site.cycle(State.CRIT, minutes=11)  # escalated: both robots down
        snapshot.tickets.update(ticket_activity_from_json(decode(encode("outbox", **site.service.activity())).body))
        text = generate_latest(build_registry(snapshot, "9.9")).decode()
        assert 'patrol_notifications_total{channel="wecom",outcome="sent"} 1.0' in text
        assert 'patrol_notifications_total{channel="ding",outcome="failed"} 1.0' in text
        lint = subprocess.run([require_program("promtool", "prometheus"), "check", "metrics"], input=text.encode(),
                              capture_output=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr
    finally:
        site.close()


def test_switching_notifications_back_on_after_a_long_pause_does_not_replay_it(robots, tmp_path):
    site = Site(tmp_path / "patrol.sqlite", _settings(robots.url))
    try:
        site.cycle(State.CRIT)
        site.cycle(State.CRIT)
        assert len(robots.received["wecom"]) == 1
        site.settings = _settings(robots.url, enabled=False)
        site.restart()
        site.cycle(State.CRIT, minutes=11)  # escalated twice while notifications are off
        site.cycle(State.CRIT, minutes=120)
        site.cycle(State.CRIT, minutes=600)
        site.cycle(State.OK)
        site.cycle(State.OK)  # resolved, ten hours later
        site.settings = _settings(robots.url)
        site.restart()
        site.cycle(State.OK, minutes=1)
        texts = _wecom_texts(robots)
        assert not any("工单升级" in t for t in texts)  # ten hours old: not news
        assert any("工单已解决" in t for t in texts)  # minutes old: told
    finally:
        site.close()
