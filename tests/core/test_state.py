from __future__ import annotations

import pytest

from collectors.base import Metric, State, threshold_state


def test_worst_orders_ok_warn_unknown_crit():
    assert State.worst() is State.OK
    assert State.worst(State.OK, State.WARN) is State.WARN
    assert State.worst([State.WARN, State.UNKNOWN]) is State.UNKNOWN
    assert State.worst(State.UNKNOWN, [State.CRIT, State.OK]) is State.CRIT


def test_states_do_not_compare_as_numbers():
    with pytest.raises(TypeError):
        State.OK < State.CRIT  # noqa: B015
    assert State.OK != 0


@pytest.mark.parametrize("state, value", [(State.OK, 0), (State.WARN, 1), (State.CRIT, 2), (State.UNKNOWN, 3)])
def test_exporter_values(state, value):
    assert state.exporter_value == value


@pytest.mark.parametrize("value, warn, crit, higher, expected", [
    (50, 80, 90, True, State.OK), (80, 80, 90, True, State.WARN), (95, 80, 90, True, State.CRIT),
    (95, None, None, True, State.OK), (5, 10, 2, False, State.WARN), (1, 10, 2, False, State.CRIT),
])
def test_threshold_state(value, warn, crit, higher, expected):
    assert threshold_state(value, warn, crit, higher_is_worse=higher) is expected


@pytest.mark.parametrize("name, unit", [("Disk", ""), ("disk_free", "bytes"), ("x_seconds", "minutes")])
def test_metric_names_are_checked(name, unit):
    with pytest.raises(ValueError):
        Metric(name, 1.0, unit)


def test_worst_is_the_most_severe_of_every_combination():
    """State.worst reads severities by value (fast); the order is the documented one."""
    import itertools

    order = [State.OK, State.WARN, State.UNKNOWN, State.CRIT]
    for n in range(4):
        for states in itertools.product(order, repeat=n):
            expected = max(states, key=order.index, default=State.OK)
            assert State.worst(*states) is expected
            assert State.worst(list(states)) is expected
            assert State.worst(iter(states)) is expected
