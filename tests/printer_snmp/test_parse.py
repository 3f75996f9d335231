"""Pure tables: hrPrinterDetectedErrorState bits, walked columns -> model -> results, broken replies."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from collectors.base import ParseError, State
from collectors.printer_snmp import (
    ALERT_CODE,
    ALERT_DESCR,
    ALERT_SEVERITY,
    HR_PRINTER_ERRORS,
    HR_PRINTER_STATUS,
    INPUT_LEVEL,
    INPUT_MAX,
    INPUT_NAME,
    MARKER_COUNTER_UNIT,
    MARKER_LIFE_COUNT,
    SUPPLY_CLASS,
    SUPPLY_DESCR,
    SUPPLY_LEVEL,
    SUPPLY_MAX,
    PrinterSnmpCollector,
    decode_error_state,
)
from config.checks.printer_snmp import PrinterSnmpParams
from inventory.models import Printer, SnmpCredentials
from tests.printer_snmp import recordings

NAMES = ["lowPaper", "noPaper", "lowToner", "noToner", "doorOpen", "jammed", "offline", "serviceRequested",
         "inputTrayMissing", "outputTrayMissing", "markerSupplyMissing", "outputNearFull", "outputFull",
         "inputTrayEmpty", "overduePreventMaint"]

# Every named bit alone, as the two-byte value printers send (bit 0 = MSB of byte 0) ...
BIT_CASES = [(bytes([(0x80 >> bit) if bit < 8 else 0, (0x80 >> (bit - 8)) if bit >= 8 else 0]), (name,))
             for bit, name in enumerate(NAMES)]
# ... the first eight as one byte too, and combinations and edge cases.
BIT_CASES += [(bytes([0x80 >> bit]), (name,)) for bit, name in enumerate(NAMES[:8])]
BIT_CASES += [
    (b"", ()),
    (b"\x00", ()),
    (b"\x00\x00", ()),
    (b"\x4c\x04", ("noPaper", "doorOpen", "jammed", "inputTrayEmpty")),
    (b"\xff", tuple(NAMES[:8])),
    (b"\xff\xfe", tuple(NAMES)),
    (b"\x00\x01", ("bit15",)),
    (b"\x02\x00\x80", ("offline", "bit16")),
]


@pytest.mark.parametrize("value,expected", BIT_CASES, ids=[f"{v.hex() or 'empty'}" for v, _ in BIT_CASES])
def test_error_state_bits(value, expected):
    assert decode_error_state(value) == expected


NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
TARGET = Printer(name="prn", address="127.0.0.1", snmp=SnmpCredentials(community="env:C"))


def results(raw, params=None):
    collector = PrinterSnmpCollector()
    model = collector.parse(raw)
    return [(r.check, r.item, r.state, r.summary) for r in collector.evaluate(model, params or PrinterSnmpParams(), TARGET, NOW)]


def printer(**columns):
    base = {HR_PRINTER_STATUS: {"1": 3}, HR_PRINTER_ERRORS: {"1": b"\x00\x00"}}
    base.update(columns)
    return base


EVALUATE_CASES = {
    "toner at the threshold is warn": (
        printer(**{SUPPLY_DESCR: {"1.1": b"Black"}, SUPPLY_MAX: {"1.1": 200}, SUPPLY_LEVEL: {"1.1": 30}}),
        ("printer_snmp.supply", "Black", State.WARN, "Black: 15% remaining (low)")),
    "empty toner is crit": (
        printer(**{SUPPLY_DESCR: {"1.1": b"Black"}, SUPPLY_MAX: {"1.1": 100}, SUPPLY_LEVEL: {"1.1": 0}}),
        ("printer_snmp.supply", "Black", State.CRIT, "Black: 0% remaining (empty)")),
    "level above capacity is capped": (
        printer(**{SUPPLY_DESCR: {"1.1": b"Black"}, SUPPLY_MAX: {"1.1": 100}, SUPPLY_LEVEL: {"1.1": 140}}),
        ("printer_snmp.supply", "Black", State.OK, "Black: 100% remaining")),
    "nearly full waste box": (
        printer(**{SUPPLY_DESCR: {"1.1": b"Waste"}, SUPPLY_CLASS: {"1.1": 4}, SUPPLY_MAX: {"1.1": 100},
                   SUPPLY_LEVEL: {"1.1": 5}}),
        ("printer_snmp.supply", "Waste", State.WARN, "Waste: 5% space left (nearly full)")),
    "supply without a description is named by type": (
        printer(**{SUPPLY_LEVEL: {"1.7": 50}, SUPPLY_MAX: {"1.7": 100}}),
        ("printer_snmp.supply", "unknown 1.7", State.OK, "unknown 1.7: 50% remaining")),
    "nul padded latin-1 name": (
        printer(**{SUPPLY_DESCR: {"1.1": b"Toner Schwarz \xe9\x00\x00"}, SUPPLY_MAX: {"1.1": 100}, SUPPLY_LEVEL: {"1.1": 90}}),
        ("printer_snmp.supply", "Toner Schwarz \u00e9", State.OK, "Toner Schwarz \u00e9: 90% remaining")),
    "empty tray is warn": (
        printer(**{INPUT_NAME: {"1.2": b"Tray 2"}, INPUT_MAX: {"1.2": 500}, INPUT_LEVEL: {"1.2": 0}}),
        ("printer_snmp.input", "Tray 2", State.WARN, "Tray 2: empty")),
    "pages from sheets and impressions, not from other units": (
        printer(**{MARKER_COUNTER_UNIT: {"1.1": 7, "1.2": 8, "1.3": 6}, MARKER_LIFE_COUNT: {"1.1": 10, "1.2": 5, "1.3": 99}}),
        ("printer_snmp.status", "", State.OK, "idle, no error condition; 15 pages printed")),
    "alert alone names the problem": (
        printer(**{ALERT_SEVERITY: {"1.1": 3}, ALERT_CODE: {"1.1": 1002}, ALERT_DESCR: {"1.1": b"Fuser too hot"}}),
        ("printer_snmp.status", "", State.CRIT, "idle: Fuser too hot")),
}


@pytest.mark.parametrize("raw,expected", EVALUATE_CASES.values(), ids=EVALUATE_CASES.keys())
def test_evaluate(raw, expected):
    assert expected in results(raw)


def test_two_supplies_with_one_name_get_distinct_items():
    raw = printer(**{SUPPLY_DESCR: {"1.1": b"Toner", "1.2": b"Toner"}, SUPPLY_MAX: {"1.1": 100, "1.2": 100},
                     SUPPLY_LEVEL: {"1.1": 50, "1.2": 60}})
    assert [r[1] for r in results(raw) if r[0] == "printer_snmp.supply"] == ["Toner", "Toner (1.2)"]


def test_several_printer_devices_are_items():
    raw = {HR_PRINTER_STATUS: {"1": 3, "2": 4}, HR_PRINTER_ERRORS: {"1": b"\x00", "2": b"\x02"}}
    assert [(r[1], r[2]) for r in results(raw)] == [("device 1", State.OK), ("device 2", State.CRIT)]


BROKEN = {
    "status as text": ({HR_PRINTER_STATUS: {"1": b"idle"}}, "hrPrinterStatus.1 is an OCTET STRING, expected an INTEGER"),
    "errors as integer": ({HR_PRINTER_STATUS: {"1": 3}, HR_PRINTER_ERRORS: {"1": 4}},
                          "hrPrinterDetectedErrorState.1 is an INTEGER, expected an OCTET STRING"),
    "level as oid": (printer(**{SUPPLY_LEVEL: {"1.1": "1.3.6.1"}}),
                     "prtMarkerSuppliesLevel.1.1 is an OBJECT IDENTIFIER, expected an INTEGER"),
    "description as integer": (printer(**{SUPPLY_LEVEL: {"1.1": 5}, SUPPLY_DESCR: {"1.1": 7}}),
                               "prtMarkerSuppliesDescription.1.1 is an INTEGER, expected an OCTET STRING"),
    "column not a table": ({HR_PRINTER_STATUS: 3}, "hrPrinterStatus: expected a table, got int"),
    "nothing at all": ({}, "no printer data"),
    "not columns": ([1, 2], "printer_snmp expected SNMP columns, got list"),
}


@pytest.mark.parametrize("raw,message", BROKEN.values(), ids=BROKEN.keys())
def test_broken_replies_are_parse_errors(raw, message):
    with pytest.raises(ParseError) as caught:
        PrinterSnmpCollector().parse(raw)
    assert str(caught.value).startswith(message)


def test_recordings_in_data_match_their_source():
    for community, records in recordings.PRINTERS.items():
        assert (recordings.DATA / f"{community}.snmprec").read_text() == recordings.render(records), (
            f"run `python -m tests.printer_snmp.recordings` to regenerate {community}.snmprec")


def test_targets_are_printers_with_snmp():
    from inventory.models import Inventory, NetworkDevice

    inventory = Inventory(printers=(TARGET, Printer(name="usb-only")), network_devices=(NetworkDevice(name="sw1"),))
    assert [t.name for t in PrinterSnmpCollector().targets(PrinterSnmpParams(), inventory)] == ["prn"]
