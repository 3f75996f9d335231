"""Finding rules a broken change could drop silently (issue 21): flapping is announced once,
UNKNOWN ranks between WARN and CRIT, the worst state of an episode is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.findings import FindingTracker, Policy
from collectors.base import State
from tests.ticketing.conftest import START, result
from tests.ticketing.test_findings import events_for

O, W, C, U = State.OK, State.WARN, State.CRIT, State.UNKNOWN

CASES = [
    ("flapping-is-announced-once", [C, C, O, C, O, C, C, W], {"flap_threshold": 4},
     ["-", "opened", "-", "-", "-", "flapping", "-", "improved"]),
    ("warn-to-unknown-is-worse", [W, W, U], {}, ["-", "opened", "worsened"]),
    ("unknown-to-warn-is-better", [U, W, W, U, W], {}, ["-", "opened", "-", "worsened", "improved"]),
    ("unknown-to-crit-is-worse", [C, C, U, C], {}, ["-", "opened", "improved", "worsened"]),
]


@pytest.mark.parametrize("states, options, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_finding_events(states, options, expected):
    assert events_for(states, **options) == expected


def test_the_worst_state_of_an_episode_is_kept():
    tracker = FindingTracker("acme", lambda check: Policy(1, 2))
    record = None
    for i, state in enumerate((W, U, W, C, W)):
        event = tracker.observe(result("pc-01", "system.disk", state, START + timedelta(minutes=5 * i), "/"))
        record = event.record if event else record
        if i == 1:
            assert record is not None and record.worst is U  # UNKNOWN is worse than WARN
    assert record is not None and (record.severity, record.worst) == (W, C)


def test_by_default_an_all_unknown_streak_needs_three_times_open_after():
    tracker = FindingTracker("acme", lambda check: Policy(2, 2))
    kinds = []
    for i in range(6):
        event = tracker.observe(result("pc-01", "system", U, START + timedelta(minutes=5 * i)))
        kinds.append(event.kind if event else "-")
    assert kinds == ["-"] * 5 + ["opened"]


def test_a_blip_that_never_opened_is_discarded_not_resolved():
    tracker = FindingTracker("acme", lambda check: Policy(2, 1))
    tracker.observe(result("pc-01", "system.disk", C, START, "/"))
    event = tracker.observe(result("pc-01", "system.disk", O, START + timedelta(minutes=5), "/"))
    assert event is not None and (event.kind, event.record.status) == ("discarded", "discarded")
    assert event.record.resolved_at is None and not tracker.active
