"""Fast confirmation: a down check's first failure asks for a re-check of that target soon, so an urgent ticket
opens in about a minute instead of after the family's interval (300 s x open_after)."""

from __future__ import annotations

from collectors.base import State
from tests.ticketing.conftest import settings_with

DOWN = ("sw1", "switch.reachability", State.CRIT)


def test_a_down_check_failing_once_asks_for_a_confirmation_until_it_opens(make_harness):
    h = make_harness(settings_with())
    h.cycle(("sw1", "switch.reachability", State.OK), ("pc-00", "system.disk", State.CRIT, "/"))
    assert h.service.confirmations() == []  # only down checks: a full disk can wait for its interval
    summary = h.cycle(DOWN, minutes=5)
    assert not summary.opened and h.service.confirmations() == [("switch", "sw1")]
    summary = h.cycle(DOWN, minutes=0.5)  # the confirmation, 30 s later
    assert summary.opened and h.service.confirmations() == []


def test_confirmation_can_be_switched_off(make_harness):
    h = make_harness(settings_with(confirm_after_s=0))
    h.cycle(DOWN)
    assert h.service.confirmations() == []
