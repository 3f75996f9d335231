"""Silences and maintenance windows made through the console's module (agent/serve/console/silences.py):
the ticket engine holds what they match, a planned window only from its start; bad form input is a
clear ValueError naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.serve.console import silences
from collectors.base import State
from tests.ticketing.conftest import START, make_harness, settings_with  # noqa: F401 - make_harness is a fixture

DISK = ("pc-00", "system.disk", State.CRIT, "/")
OTHER = ("pc-02", "system.disk", State.CRIT, "/")


def subjects(h) -> list[str]:
    from agent.ticketing import schema

    with h.store.engine.connect() as conn:
        return sorted(r.subject for r in conn.execute(schema.builtin_tickets.select()))


def test_a_planned_window_holds_matching_findings_from_its_start_only(make_harness):
    h = make_harness(settings_with())
    start = START + timedelta(minutes=30)
    made = silences.add(h.store.engine, "acme", target="pc-0[0-1]", check="system.*", item="", start=start,
                        until=start + timedelta(hours=2), reason="switch firmware", by="console:eng", now=START)
    assert made.window and made.item == "*"
    assert [(w.reason, w.start) for w in silences.split(silences.active(h.store.engine, "acme", START))[1]] == [
        ("switch firmware", start)]
    h.clock.advance(minutes=30)  # the window has started: pc-00's disk is held, pc-02's is not
    for _ in range(3):
        summary = h.cycle(DISK, OTHER)
    assert summary.held == ("system.disk [/] on pc-00",)
    assert subjects(h) == ["[acme] CRIT system.disk [/] on pc-02"]
    reason = h.store.audit_entries(action="ticket.hold")[0].detail["reason"]
    assert reason.startswith("maintenance 'switch firmware' until")
    assert silences.end(h.store.engine, "acme", made.id, h.clock())
    assert not silences.end(h.store.engine, "acme", made.id, h.clock())  # already ended
    h.cycle(DISK, OTHER)
    assert len(subjects(h)) == 2  # ended early: pc-00 opens its ticket


def test_a_window_not_started_yet_holds_nothing(make_harness):
    h = make_harness(settings_with())
    start = START + timedelta(days=1)
    silences.add(h.store.engine, "acme", target="*", check="*", item="*", start=start, until=start + timedelta(hours=1),
                 reason="tomorrow", by="console:eng", now=START)
    for _ in range(3):
        summary = h.cycle(DISK)
    assert not summary.held and len(subjects(h)) == 1


def test_a_silence_is_listed_with_the_configured_ones_and_only_on_its_site(make_harness):
    until = START + timedelta(hours=5)
    settings = settings_with(silences=[{"target": "pc-*", "check": "*", "until": until.isoformat(), "reason": "cfg"}])
    h = make_harness(settings)
    silences.add(h.store.engine, "acme", target="pc-00", check="system.disk", item="/", until=START + timedelta(hours=1),
                 reason="<b>disk</b> swap", by="console:eng", now=START)
    rows = silences.active(h.store.engine, "acme", START, settings.ticketing)
    assert [(r.id is None, r.reason) for r in rows] == [(False, "<b>disk</b> swap"), (True, "cfg")]
    assert silences.active(h.store.engine, "globex", START) == []
    assert not silences.end(h.store.engine, "globex", rows[0].id, START)  # another site's id: not found


@pytest.mark.parametrize("fields, message", [
    ({"target": " "}, "give a target and a check"),
    ({"reason": ""}, "give a reason"),
    ({"until": START - timedelta(minutes=1)}, "end: that time has passed"),
    ({"until": START + timedelta(days=91)}, "end: at most 90 days"),
    ({"start": START + timedelta(hours=2)}, "end: must be after the start"),
    ({"item": "x" * 129}, "item: at most 128 characters"),
])
def test_bad_input_names_the_field(make_harness, fields, message):
    h = make_harness(settings_with())
    values = {"target": "pc-00", "check": "*", "item": "*", "until": START + timedelta(hours=1), "reason": "r",
              "by": "console:eng", "now": START} | fields
    with pytest.raises(ValueError, match=message):
        silences.add(h.store.engine, "acme", **values)


@pytest.mark.parametrize("text, zone, utc", [("2026-12-06T18:00", "Asia/Shanghai", "2026-12-06T10:00:00+00:00"),
                                             ("2026-12-06T18:00", "UTC", "2026-12-06T18:00:00+00:00")])
def test_browser_times_are_read_in_the_console_zone(text, zone, utc):
    from datetime import timezone

    assert silences.parse_local(text, zone, "end").astimezone(timezone.utc).isoformat() == utc


def test_a_bad_time_names_its_field():
    with pytest.raises(ValueError, match="start: 'tomorrow' is not a date and time"):
        silences.parse_local("tomorrow", "UTC", "start")


def test_a_store_of_the_previous_version_gains_starts_at_and_keeps_its_silences(tmp_path):
    import sqlalchemy as sa

    from agent.context import store_components
    from agent.store import Store

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = Store.open(url, "acme", store_components())
    silences.add(store.engine, "acme", target="pc-00", check="*", item="*", until=START + timedelta(hours=1),
                 reason="old", by="cli", now=START)
    store.close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # back to version 2's silences, as an older Patrol left them
        conn.execute(sa.text("ALTER TABLE silences DROP COLUMN starts_at"))
        conn.execute(sa.text("UPDATE schema_migrations SET version = 2 WHERE component = 'ticketing'"))
    engine.dispose()
    store = Store.open(url, "acme", store_components())
    [old] = silences.active(store.engine, "acme", START)
    assert (old.reason, old.start) == ("old", None)
    store.close()
