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
