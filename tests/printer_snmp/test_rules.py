"""Printer rules a broken change could drop silently (issue 21): configured alert states,
error bits the MIB does not name."""

from __future__ import annotations

import pytest

from collectors.base import State
from collectors.printer_snmp import (
    ALERT_CODE, ALERT_DESCR, ALERT_SEVERITY, HR_PRINTER_ERRORS, SUPPLY_DESCR, SUPPLY_LEVEL, SUPPLY_MAX,
)
from config.checks.printer_snmp import PrinterSnmpParams
from tests.printer_snmp.test_parse import printer, results


def status(raw, params=None):
    return next((state, summary) for check, _, state, summary in results(raw, params) if check == "printer_snmp.status")


def alert(severity: int, code: int = 1002, descr: bytes = b"Fuser too hot"):
    return printer(**{ALERT_SEVERITY: {"1.1": severity}, ALERT_CODE: {"1.1": code}, ALERT_DESCR: {"1.1": descr}})


@pytest.mark.parametrize("severity,states,expected", [
    (4, None, State.WARN),                                    # warning: warn by default
    (4, {"warning": "crit"}, State.CRIT),                     # configured up
    (3, {"critical": "warn"}, State.WARN),                    # configured down
    (3, {"critical": "ok"}, State.OK),                        # switched off
    (5, None, State.OK),                                      # warningBinaryChangeEvent: informational
    (5, {"warningBinaryChangeEvent": "warn"}, State.WARN),
    (1, {"other": "crit"}, State.CRIT),
])
def test_configured_alert_states_decide_the_status(severity, states, expected):
    params = PrinterSnmpParams(alert_states=states) if states else None
    assert status(alert(severity), params)[0] is expected


def test_an_alert_set_to_ok_is_listed_but_names_no_problem():
    state, summary = status(alert(3), PrinterSnmpParams(alert_states={"critical": "ok"}))
    assert (state, summary) == (State.OK, "idle, no error condition")


@pytest.mark.parametrize("bits,expected", [(b"\x00\x01", "bit15"), (b"\x00\x00\x80", "bit16")])
def test_an_error_bit_the_mib_does_not_name_is_a_warning(bits, expected):
    state, summary = status(printer(**{HR_PRINTER_ERRORS: {"1": bits}}))
    assert state is State.WARN and summary == f"idle: undefined condition {expected}"


@pytest.mark.parametrize("max_capacity,level,summary", [
    (0, 40, "Black: level 40 (capacity not reported)"),   # some printers report capacity 0
    (-2, 40, "Black: level 40 (capacity not reported)"),  # -2: unknown
    (100, -3, "Black: some remaining (the printer does not measure the level)"),
])
def test_a_supply_without_a_usable_capacity_has_no_percentage(max_capacity, level, summary):
    raw = printer(**{SUPPLY_DESCR: {"1.1": b"Black"}, SUPPLY_MAX: {"1.1": max_capacity}, SUPPLY_LEVEL: {"1.1": level}})
    [supply] = [r for r in results(raw) if r[0] == "printer_snmp.supply"]
    assert supply[3] == summary
