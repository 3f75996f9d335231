"""Quiet hours, on-duty hours, rules and escalation chains as pure functions over generated timelines."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings, strategies as st

from agent.notify import escalation, rules, schedule
from config.notify import NotifySettings, Team, TimeRange

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHANGHAI = ZoneInfo("Asia/Shanghai")
quarter_hours = st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15))
day_sets = st.sets(st.sampled_from(DAYS), min_size=1).map(lambda s: tuple(d for d in DAYS if d in s))


@st.composite
def ranges(draw):
    start, end = draw(quarter_hours), draw(quarter_hours)
    if start == end:
        end = time.max
    return TimeRange(days=draw(day_sets), start=start, end=end)


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31),
                        timezones=st.just(timezone.utc))
holiday_lists = st.lists(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 1, 31)), max_size=6)


def reference_in_range(r: TimeRange, local: datetime) -> bool:
    """Independent formulation: the range as intervals of naive local time starting on each listed day."""
    naive = local.replace(tzinfo=None)
    for back in (0, 1):
        day = naive.date() - timedelta(days=back)
        if DAYS[day.weekday()] not in r.days:
            continue
        begin = datetime.combine(day, r.start)
        finish = datetime.combine(day, r.end) if r.end > r.start else datetime.combine(day + timedelta(days=1), r.end)
        if r.end == time.max:
            finish = datetime.combine(day + timedelta(days=1), time(0))
        if begin <= naive < finish:
            return True
    return False


def reference_quiet(team: Team, at: datetime, holidays) -> bool:
    local = at.astimezone(SHANGHAI)
    if team.holidays_quiet and local.date() in holidays:
        return True
    return any(reference_in_range(r, local) for r in team.quiet)


@settings(max_examples=300, deadline=None)
@given(ranges(), instants)
def test_in_range_matches_the_interval_reference(r, at):
    local = at.astimezone(SHANGHAI)
    assert schedule.in_range(r.days, r.start, r.end, local) == reference_in_range(r, local)


@settings(max_examples=150, deadline=None)
@given(st.lists(ranges(), min_size=0, max_size=3), instants, holiday_lists)
def test_quiet_until_is_the_first_moment_that_is_not_quiet(quiet, at, holidays):
    team = Team(quiet=tuple(quiet))
    until = schedule.quiet_until(team, at, SHANGHAI, holidays)
    assert until >= at
    if until == at:
        assert not reference_quiet(team, at, holidays)
        return
    if until - at >= timedelta(days=40):  # quiet all the time: sent at the horizon, never lost
        return
    assert not reference_quiet(team, until, holidays)
    # Everything before it is quiet: every boundary of the schedule lies on a quarter hour.
    probe = at
    while probe < until:
        assert reference_quiet(team, probe, holidays), probe
        local = probe.astimezone(SHANGHAI)
        step = 15 - local.minute % 15
        probe = (local + timedelta(minutes=step)).replace(second=0, microsecond=0).astimezone(timezone.utc)


def test_an_overnight_range_belongs_to_the_day_it_starts():
    friday_night = TimeRange(days=("fri",), start=time(22), end=time(7))
    sat_6 = datetime(2026, 3, 7, 6, 0, tzinfo=SHANGHAI)  # Saturday 06:00
    sat_23 = datetime(2026, 3, 7, 23, 0, tzinfo=SHANGHAI)
    assert schedule.in_range(friday_night.days, friday_night.start, friday_night.end, sat_6)
    assert not schedule.in_range(friday_night.days, friday_night.start, friday_night.end, sat_23)


def test_a_holiday_is_quiet_all_day_and_nobody_is_on_duty():
    team = Team(members=(), on_duty=(TimeRange(days=DAYS[:5], start=time(9), end=time(18)),))
    national_day = datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI)  # a Thursday
    assert not schedule.on_duty(team, national_day, SHANGHAI, [date(2026, 10, 1)])
    assert schedule.on_duty(team, national_day, SHANGHAI, [])
    assert schedule.quiet_until(team, national_day, SHANGHAI, [date(2026, 10, 1), date(2026, 10, 2)]) == \
        datetime(2026, 10, 3, 0, 0, tzinfo=SHANGHAI)


# --- escalation chains -----------------------------------------------------------------------

def _notify(**over) -> NotifySettings:
    base = {"timezone": "Asia/Shanghai",
            "people": {p: {} for p in ("zhang", "li", "lead", "boss")},
            "teams": {"ops": {"members": ["zhang", "li"],
                              "on_duty": [{"days": list(DAYS[:5]), "start": "09:00", "end": "18:00"}]}},
            "chains": {"urgent": ["team:ops", "lead", "boss"], "general": ["lead"]},
            "holidays": ["2026-10-01"]}
    base.update(over)
    return NotifySettings.model_validate(base)


@settings(max_examples=300, deadline=None)
@given(instants, st.integers(0, 6))
def test_each_level_reaches_the_next_person_of_the_chain(at, level):
    notify = _notify()
    local = at.astimezone(SHANGHAI)
    duty = local.weekday() < 5 and time(9) <= local.time().replace(tzinfo=None) < time(18) \
        and local.date() != date(2026, 10, 1)
    people = escalation.people_for(notify, "urgent", level, at)
    if level == 0:
        assert people == (("zhang", "li") if duty else ("lead",))  # nobody on duty: the lead is told
    elif level == 1:
        assert people == ("lead",)
    else:
        assert people == ("boss",)  # and it stays with the last one
    assert escalation.people_for(notify, "general", level, at) == ("lead",)
    assert escalation.people_for(notify, "serious", level, at) == ()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=8), instants)
@example(levels=[0, 0, 1], at=datetime(2026, 1, 1, 0, 50, tzinfo=timezone.utc))  # the case hypothesis found
def test_along_a_timeline_of_escalations_the_level_never_goes_back_down_the_chain(levels, at):
    """A higher escalation level never tells someone earlier in the chain. (A repeat at the
    same level may: when the team comes on duty between two, the second tells the team, see
    the next test; hypothesis found that case once, the property is stated without it.)"""
    notify = _notify()
    chain = ["team:ops", "lead", "boss"]
    told = []
    for i, level in enumerate(sorted(levels)):
        people = escalation.people_for(notify, "urgent", level, at + timedelta(minutes=10 * i))
        told.append((level, max(chain.index(p) if p in chain else 0 for p in people)))
    for (level_a, told_a), (level_b, told_b) in zip(told, told[1:]):
        if level_b > level_a:
            assert told_b >= told_a, told


def test_a_repeat_at_level_zero_tells_the_team_once_it_comes_on_duty():
    """08:50 in Shanghai on a Thursday: nobody on duty, so the lead is told; at 09:00 the
    same level tells the team on duty (the lead was told already)."""
    notify = _notify()
    before = datetime(2026, 1, 1, 0, 50, tzinfo=timezone.utc)  # 08:50 +08:00
    assert escalation.people_for(notify, "urgent", 0, before) == ("lead",)
    assert escalation.people_for(notify, "urgent", 0, before + timedelta(minutes=10)) == ("zhang", "li")


# --- rules -------------------------------------------------------------------------------------

def test_rules_match_by_site_tier_check_family_and_event_each_channel_once():
    notify = _notify(channels={"w": {"type": "wecom", "key": "env:K"}, "d": {"type": "dingtalk", "access_token": "env:T"}},
                     rules=[{"name": "net-urgent", "sites": ["acme*"], "tiers": ["urgent"], "checks": ["switch.*"],
                             "channels": ["w", "d"], "team": "ops"},
                            {"name": "all-resolved", "events": ["resolved"], "channels": ["w"]},
                            {"name": "everything", "channels": ["d"]}])
    got = rules.routes(notify.rules, "opened", "acme-bj", "urgent", "switch.reachability")
    assert [(r.rule, r.channel) for r in got] == [("net-urgent", "w"), ("net-urgent", "d")]
    got = rules.routes(notify.rules, "opened", "other", "urgent", "switch.reachability")
    assert [(r.rule, r.channel) for r in got] == [("everything", "d")]
    got = rules.routes(notify.rules, "resolved", "acme", "general", "system.disk")
    assert [(r.rule, r.channel) for r in got] == [("all-resolved", "w"), ("everything", "d")]
    assert rules.routes(notify.rules, "sla_warning", "x", "general", "printers.toner") == \
        [rules.Route("everything", "d", None)]


@settings(max_examples=200, deadline=None)
@given(instants, st.sampled_from(["opened", "escalated", "resolved", "sla_warning"]),
       st.sampled_from(["urgent", "general"]))
def test_only_quiet_hours_delay_and_never_escalations_or_excepted_tiers(at, event, tier):
    notify = _notify(channels={"w": {"type": "wecom", "key": "env:K"}},
                     teams={"ops": {"quiet": [{"start": "22:00", "end": "08:00"}], "quiet_except_tiers": ["urgent"]}},
                     chains={}, holidays=[])  # holidays are covered by the quiet_until property above
    route = rules.Route("r", "w", "ops")
    when = rules.deliver_at(notify, route, event, tier, at)
    local = at.astimezone(SHANGHAI).time().replace(tzinfo=None)
    quiet_now = local >= time(22) or local < time(8)
    if event == "escalated" or tier == "urgent" or not quiet_now:
        assert when == at
    else:
        assert when > at and when.astimezone(SHANGHAI).time().replace(tzinfo=None) == time(8)
    assert rules.deliver_at(notify, rules.Route("r", "w", None), event, tier, at) == at


def test_config_names_the_unknown_reference():
    with pytest.raises(ValueError, match=r"chains.urgent: unknown person 'nobody'"):
        _notify(chains={"urgent": ["nobody"]})
    with pytest.raises(ValueError, match=r"rules\[0\] \(x\): unknown channel 'nope'"):
        _notify(rules=[{"name": "x", "channels": ["nope"]}])
    with pytest.raises(ValueError, match="plain-text secrets are refused"):
        _notify(channels={"w": {"type": "wecom", "key": "693a91f6-7xxx-4bc4"}})
    with pytest.raises(ValueError, match="unknown time zone"):
        _notify(timezone="Mars/Olympus")


def test_the_documented_example_config_is_valid():
    import re
    from pathlib import Path

    import yaml

    from config.schema import Settings

    doc = (Path(__file__).resolve().parents[2] / "docs" / "notifications.md").read_text(encoding="utf-8")
    block = re.search(r"## Complete example\n\n```yaml\n(.*?)```", doc, re.S).group(1)
    settings = Settings.model_validate(yaml.safe_load(block))
    notify = settings.notify
    assert set(notify.channels) == {"ops-wecom", "ops-dingtalk", "noc-dingtalk", "ops-feishu", "ops-mail", "itsm"}
    monday_10 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
    assert escalation.people_for(notify, "urgent", 0, monday_10) == ("zhang", "li")
    assert escalation.people_for(notify, "urgent", 0, datetime(2026, 10, 1, 2, 0, tzinfo=timezone.utc)) == ("wang",)
