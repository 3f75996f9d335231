"""The findings page's rows (agent/serve/console/findings.py): latest non-OK results merged with
the ticket engine's unresolved findings, worst first, with their open ticket and the silence
that holds them; a silence made for one finding holds exactly it in the engine."""

from __future__ import annotations

from datetime import timedelta

from agent.serve.console import findings, silences
from agent.serve.console.views import site_tickets
from agent.reports.i18n import Translator
from collectors.base import CheckResult, State
from tests.ticketing.conftest import START, make_harness, run_of, settings_with  # noqa: F401 - make_harness is a fixture


def cycle(h, *results: tuple[str, str, State, str, str]):
    """Results stored (the latest table) and handed to the ticket engine, as `patrol serve` does."""
    at = h.clock.advance(minutes=5)
    runs = run_of(*(CheckResult(c, t, i, s, text, observed_at=at) for t, c, s, i, text in results))
    h.store.record_runs(runs)
    return h.service.process(runs)


def rows(h):
    now = h.clock()
    return findings.current(h.store, silences.active(h.store.engine, "acme", now),
                            [r.ticket for r in site_tickets(h.store, now)], now)


DISK = ("pc-00", "system.disk", State.CRIT, "C:", "C: 97% used")
MEM = ("pc-01", "system.memory", State.WARN, "", "memory 91% used")
CPU_OK = ("pc-02", "system.cpu", State.OK, "", "CPU 3%")


def test_rows_are_worst_first_with_their_open_ticket_and_first_bad_time(make_harness):
    h = make_harness(settings_with())
    for _ in range(3):
        cycle(h, DISK, MEM, CPU_OK)
    got = rows(h)
    assert [(r.target, r.check, r.item, r.state) for r in got] == [
        ("pc-00", "system.disk", "C:", State.CRIT), ("pc-01", "system.memory", "", State.WARN)]
    disk = got[0]
    assert disk.ticket is not None and disk.ticket.status == "open" and disk.ticket.number
    assert disk.since == START + timedelta(minutes=5)  # the first bad result, not the latest
    assert disk.held_until is None and disk.summary == "C: 97% used"


def test_a_finding_the_engine_still_tracks_stays_listed_after_its_result_turned_ok(make_harness):
    h = make_harness(settings_with())
    for _ in range(3):
        cycle(h, DISK)
    cycle(h, ("pc-00", "system.disk", State.OK, "C:", "C: 40% used"))  # one OK: not resolved yet
    [row] = rows(h)
    assert (row.target, row.state, row.summary) == ("pc-00", State.CRIT, "C: 97% used")
    assert row.ticket is not None


def test_a_silence_for_one_finding_holds_exactly_it_in_the_engine(make_harness):
    h = make_harness(settings_with())
    odd = ("pc[1]", "system.disk", State.CRIT, "C:", "C: 99% used")
    near = ("pc1", "system.disk", State.CRIT, "C:", "C: 99% used")
    target, check, item = findings.silence_fields("pc[1]", "system.disk", "C:")
    assert (target, check, item) == ("pc[[]1]", "system.disk", "C:")
    until = h.clock() + timedelta(hours=4)
    silences.add(h.store.engine, "acme", target=target, check=check, item=item, until=until, reason="disk on order",
                 by="console:eng", now=h.clock())
    for _ in range(3):
        summary = cycle(h, odd, near)
    assert summary.held == ("system.disk [C:] on pc[1]",)
    by_target = {r.target: r for r in rows(h)}
    assert (by_target["pc[1]"].held_until, by_target["pc[1]"].held_reason) == (until, "disk on order")
    assert by_target["pc[1]"].ticket is None
    assert by_target["pc1"].held_until is None and by_target["pc1"].ticket is not None
    assert findings.silence_fields("pc-1", "system.memory", "") == ("pc-1", "system.memory", "*")


def test_holds_match_as_the_engine_matches_them():
    from agent.serve.console.silences import Hold

    now = START
    later = now + timedelta(hours=2)
    window = Hold(None, "sw-*,pc-0?", "switch.*,system.disk", "*", now - timedelta(minutes=1), later, "fw", "config")
    planned = Hold(7, "*", "*", "*", now + timedelta(hours=1), later, "tomorrow", "console:eng")
    assert findings.holding([window, planned], "pc-05", "system.disk", "C:", now) == window
    assert findings.holding([window, planned], "pc-05", "system.memory", "", now) is None  # not started yet
    stored = Hold(8, "a,b", "*", "*", None, later, "comma", "cli")  # a stored silence's target is one glob
    assert findings.holding([stored], "a", "x", "", now) is None


def test_the_evidence_is_in_the_readers_language(make_harness):
    """The sentence a collector said (its message id and parameters) reads in the page's
    language through the reports' catalogue; English is the collector's own summary."""
    from collectors.system import MSG

    h = make_harness(settings_with())
    said = MSG.say("system.memory", used=93.0, available=0.5, total=8.0)
    at = h.clock.advance(minutes=5)
    h.store.record_runs(run_of(CheckResult("system.memory", "pc-01", "", State.CRIT, said.text, observed_at=at,
                                           message=said.ref)))
    [row] = rows(h)
    assert Translator("en").result_text(row.summary, row.message)[0] == said.text
    assert Translator("zh-CN").result_text(row.summary, row.message)[0] == "内存已用 93%（可用 0.5 GiB，共 8.0 GiB）"
