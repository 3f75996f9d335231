"""Network printers over SNMP: status, error conditions, supplies, trays, alerts and page count.

fetch walks only the columns below in one multi-column walk (collectors/snmp/client.py);
parse turns ``{column: {index: value}}`` into a frozen model and refuses wrong types;
evaluate yields:

- ``printer_snmp.status`` (item "" or "device <hrDeviceIndex>" when a box has several
  printer devices): hrPrinterStatus, hrDeviceStatus, the hrPrinterDetectedErrorState
  conditions and the active alert table, with the page counter as a metric;
- ``printer_snmp.supply`` (item = prtMarkerSuppliesDescription): level as a percentage,
  WARN at or below ``supply_warn_percent`` naming the supply;
- ``printer_snmp.input`` (item = tray name): paper level, empty trays;
- ``printer_snmp.reachability`` (""): answers SNMP, with the first round trip; a printer
  that stays silent through a quick re-check is CRIT "down" on that same poll (not
  UNKNOWN: a dead printer must ticket as soon as any other fault).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from collectors.base import CheckResult, CollectorIO, FetchError, MessageRef, Metric, ParseError, State
from collectors.messages import Messages, Said
from config.checks.printer_snmp import PrinterSnmpParams
from inventory.models import Inventory, Printer

# ---------------------------------------------------------------- the columns we walk

# HOST-RESOURCES-MIB (RFC 2790), indexed by hrDeviceIndex
HR_DEVICE_DESCR = "1.3.6.1.2.1.25.3.2.1.3"  # hrDeviceDescr
HR_DEVICE_STATUS = "1.3.6.1.2.1.25.3.2.1.5"  # hrDeviceStatus
HR_PRINTER_STATUS = "1.3.6.1.2.1.25.3.5.1.1"  # hrPrinterStatus
HR_PRINTER_ERRORS = "1.3.6.1.2.1.25.3.5.1.2"  # hrPrinterDetectedErrorState
# Printer-MIB (RFC 3805), indexed by hrDeviceIndex.<subunit index>
SUPPLY_CLASS = "1.3.6.1.2.1.43.11.1.1.4"  # prtMarkerSuppliesClass
SUPPLY_TYPE = "1.3.6.1.2.1.43.11.1.1.5"  # prtMarkerSuppliesType
SUPPLY_DESCR = "1.3.6.1.2.1.43.11.1.1.6"  # prtMarkerSuppliesDescription
SUPPLY_MAX = "1.3.6.1.2.1.43.11.1.1.8"  # prtMarkerSuppliesMaxCapacity
SUPPLY_LEVEL = "1.3.6.1.2.1.43.11.1.1.9"  # prtMarkerSuppliesLevel
MARKER_COUNTER_UNIT = "1.3.6.1.2.1.43.10.2.1.3"  # prtMarkerCounterUnit
MARKER_LIFE_COUNT = "1.3.6.1.2.1.43.10.2.1.4"  # prtMarkerLifeCount
INPUT_TYPE = "1.3.6.1.2.1.43.8.2.1.2"  # prtInputType
INPUT_MAX = "1.3.6.1.2.1.43.8.2.1.9"  # prtInputMaxCapacity
INPUT_LEVEL = "1.3.6.1.2.1.43.8.2.1.10"  # prtInputCurrentLevel
INPUT_STATUS = "1.3.6.1.2.1.43.8.2.1.11"  # prtInputStatus
INPUT_MEDIA = "1.3.6.1.2.1.43.8.2.1.12"  # prtInputMediaName
INPUT_NAME = "1.3.6.1.2.1.43.8.2.1.13"  # prtInputName
INPUT_DESCR = "1.3.6.1.2.1.43.8.2.1.18"  # prtInputDescription
ALERT_SEVERITY = "1.3.6.1.2.1.43.18.1.1.2"  # prtAlertSeverityLevel
ALERT_GROUP = "1.3.6.1.2.1.43.18.1.1.4"  # prtAlertGroup
ALERT_LOCATION = "1.3.6.1.2.1.43.18.1.1.6"  # prtAlertLocation
ALERT_CODE = "1.3.6.1.2.1.43.18.1.1.7"  # prtAlertCode
ALERT_DESCR = "1.3.6.1.2.1.43.18.1.1.8"  # prtAlertDescription

COLUMNS = (HR_DEVICE_DESCR, HR_DEVICE_STATUS, HR_PRINTER_STATUS, HR_PRINTER_ERRORS,
           SUPPLY_CLASS, SUPPLY_TYPE, SUPPLY_DESCR, SUPPLY_MAX, SUPPLY_LEVEL,
           MARKER_COUNTER_UNIT, MARKER_LIFE_COUNT,
           INPUT_TYPE, INPUT_MAX, INPUT_LEVEL, INPUT_STATUS, INPUT_MEDIA, INPUT_NAME, INPUT_DESCR,
           ALERT_SEVERITY, ALERT_GROUP, ALERT_LOCATION, ALERT_CODE, ALERT_DESCR)

_NAMES = {oid: name for oid, name in (
    (HR_DEVICE_DESCR, "hrDeviceDescr"), (HR_DEVICE_STATUS, "hrDeviceStatus"), (HR_PRINTER_STATUS, "hrPrinterStatus"),
    (HR_PRINTER_ERRORS, "hrPrinterDetectedErrorState"), (SUPPLY_CLASS, "prtMarkerSuppliesClass"),
    (SUPPLY_TYPE, "prtMarkerSuppliesType"), (SUPPLY_DESCR, "prtMarkerSuppliesDescription"),
    (SUPPLY_MAX, "prtMarkerSuppliesMaxCapacity"), (SUPPLY_LEVEL, "prtMarkerSuppliesLevel"),
    (MARKER_COUNTER_UNIT, "prtMarkerCounterUnit"), (MARKER_LIFE_COUNT, "prtMarkerLifeCount"),
    (INPUT_TYPE, "prtInputType"), (INPUT_MAX, "prtInputMaxCapacity"), (INPUT_LEVEL, "prtInputCurrentLevel"),
    (INPUT_STATUS, "prtInputStatus"), (INPUT_MEDIA, "prtInputMediaName"), (INPUT_NAME, "prtInputName"),
    (INPUT_DESCR, "prtInputDescription"), (ALERT_SEVERITY, "prtAlertSeverityLevel"), (ALERT_GROUP, "prtAlertGroup"),
    (ALERT_LOCATION, "prtAlertLocation"), (ALERT_CODE, "prtAlertCode"), (ALERT_DESCR, "prtAlertDescription"))}

# ---------------------------------------------------------------- MIB enumerations

# hrPrinterStatus
PRINTER_STATUS = {1: "other", 2: "unknown", 3: "idle", 4: "printing", 5: "warmup"}
# hrDeviceStatus: down is a failure, warning is the device's own warning
DEVICE_STATUS = {1: "unknown", 2: "running", 3: "warning", 4: "testing", 5: "down"}
_DEVICE_STATUS_STATE = {"down": State.CRIT, "warning": State.WARN}

# hrPrinterDetectedErrorState: an OCTET STRING read as a bit string, bit 0 = the most
# significant bit of the first byte (RFC 3805 section 2.2.13.x updates RFC 2790).
ERROR_BITS = ("lowPaper", "noPaper", "lowToner", "noToner", "doorOpen", "jammed", "offline", "serviceRequested",
              "inputTrayMissing", "outputTrayMissing", "markerSupplyMissing", "outputNearFull", "outputFull",
              "inputTrayEmpty", "overduePreventMaint")
_CONDITION_TEXT = {
    "lowPaper": "paper low", "noPaper": "out of paper", "lowToner": "toner low", "noToner": "out of toner",
    "doorOpen": "door open", "jammed": "paper jam", "offline": "offline", "serviceRequested": "service requested",
    "inputTrayMissing": "input tray missing", "outputTrayMissing": "output tray missing",
    "markerSupplyMissing": "supply missing", "outputNearFull": "output bin nearly full", "outputFull": "output bin full",
    "inputTrayEmpty": "input tray empty", "overduePreventMaint": "preventive maintenance overdue",
}

MSG = Messages({
    "printer_snmp.down": "down: {detail}",
    "printer_snmp.answers": "answers SNMP in {ms:.0f} ms",
    **{f"printer_snmp.printer.{name}": name for name in PRINTER_STATUS.values()},
    "printer_snmp.printer.not_reported": "status not reported",
    **{f"printer_snmp.device.{name}": f"device {name}" for name in _DEVICE_STATUS_STATE},
    **{f"printer_snmp.condition.{bit}": text for bit, text in _CONDITION_TEXT.items()},
    "printer_snmp.condition.undefined": "undefined condition {name}",
    "printer_snmp.status.problems": "{status}: {problems}",
    "printer_snmp.status.problems_pages": "{status}: {problems}; {pages} pages printed",
    "printer_snmp.status.clean": "{status}, no error condition",
    "printer_snmp.status.clean_pages": "{status}, no error condition; {pages} pages printed",
    "printer_snmp.level.percent": "{pct:g}%",
    "printer_snmp.level.some": "some remaining (the printer does not measure the level)",
    "printer_snmp.level.raw": "level {level} (capacity not reported)",
    "printer_snmp.level.not_reported": "level not reported by the printer",
    "printer_snmp.supply": "{name}: {level}",
    "printer_snmp.supply.remaining": "{name}: {level} remaining",
    "printer_snmp.supply.remaining_low": "{name}: {level} remaining (low)",
    "printer_snmp.supply.remaining_empty": "{name}: {level} remaining (empty)",
    "printer_snmp.supply.space": "{name}: {level} space left",
    "printer_snmp.supply.space_nearly_full": "{name}: {level} space left (nearly full)",
    "printer_snmp.supply.space_full": "{name}: {level} space left (full)",
    "printer_snmp.input": "{tray}: {text}",
    "printer_snmp.input.media": "{tray} ({media}): {text}",
    "printer_snmp.tray.empty": "empty",
    "printer_snmp.tray.manual_empty": "manual feed, empty",
    "printer_snmp.tray.sheets": "{pct:g}% ({level} of {max} sheets)",
    "printer_snmp.tray.loaded": "paper loaded",
    "printer_snmp.tray.not_reported": "level not reported",
})

# IANA-PRINTER-MIB PrtMarkerSuppliesTypeTC (the common ones; others are named by number)
SUPPLY_TYPES = {1: "other", 2: "unknown", 3: "toner", 4: "wasteToner", 5: "ink", 6: "inkCartridge", 7: "inkRibbon",
                8: "wasteInk", 9: "opc", 10: "developer", 11: "fuserOil", 12: "solidWax", 13: "ribbonWax",
                14: "wasteWax", 15: "fuser", 16: "coronaWire", 17: "fuserOilWick", 18: "cleanerUnit",
                19: "fuserCleaningPad", 20: "transferUnit", 21: "tonerCartridge", 22: "fuserOiler", 23: "water",
                24: "wasteWater", 32: "staples"}
# prtMarkerSuppliesClass: a receptacle's level is the space left in it (RFC 3805)
SUPPLY_RECEPTACLE = 4
# PrtInputTypeTC: a manual-feed slot is normally empty; that is not a problem
INPUT_MANUAL = 5
# PrtMarkerCounterUnit
COUNTER_UNITS = {3: "tenThousandthsOfInches", 4: "micrometers", 5: "characters", 6: "lines", 7: "impressions",
                 8: "sheets", 9: "dotRow", 11: "hours", 16: "feet", 17: "meters"}
# PrtAlertSeverityLevelTC
ALERT_SEVERITY_NAMES = {1: "other", 3: "critical", 4: "warning", 5: "warningBinaryChangeEvent"}
# IANA-PRINTER-MIB PrtAlertCodeTC (the ones engineers meet; others are named by number)
ALERT_CODES = {1: "other", 2: "unknown", 3: "coverOpen", 4: "coverClosed", 5: "interlockOpen", 6: "interlockClosed",
               7: "configurationChange", 8: "jam", 9: "subunitMissing", 10: "subunitLifeAlmostOver",
               11: "subunitLifeOver", 12: "subunitAlmostEmpty", 13: "subunitEmpty", 14: "subunitAlmostFull",
               15: "subunitFull", 22: "subunitOffline", 23: "subunitPowerSaver", 24: "subunitWarmingUp",
               30: "subunitUnrecoverableFailure", 33: "subunitMotorFailure", 501: "doorOpen", 502: "doorClosed",
               503: "powerUp", 504: "powerDown", 507: "printerReadyToPrint", 801: "inputMediaTrayMissing",
               807: "inputMediaSupplyLow", 808: "inputMediaSupplyEmpty", 809: "inputMediaChangeRequest",
               810: "inputManualInputRequest", 901: "outputMediaTrayMissing", 902: "outputMediaTrayAlmostFull",
               903: "outputMediaTrayFull", 1001: "markerFuserUnderTemperature", 1002: "markerFuserOverTemperature",
               1101: "markerTonerEmpty", 1102: "markerInkEmpty", 1104: "markerTonerAlmostEmpty",
               1105: "markerInkAlmostEmpty", 1107: "markerWasteTonerReceptacleAlmostFull",
               1109: "markerWasteTonerReceptacleFull", 1111: "markerOpcLifeAlmostOver", 1112: "markerOpcLifeOver",
               1115: "markerTonerCartridgeMissing", 1301: "mediaPathMediaTrayMissing"}
# Levels and capacities below zero are not amounts (Printer-MIB): -1 other, -2 unknown,
# -3 "at least one unit remains" (the printer cannot measure more precisely).
LEVEL_OTHER, LEVEL_UNKNOWN, LEVEL_SOME = -1, -2, -3

_STATE = {"ok": State.OK, "warn": State.WARN, "crit": State.CRIT, "unknown": State.UNKNOWN}


def decode_error_state(value: bytes) -> tuple[str, ...]:
    """The conditions set in an hrPrinterDetectedErrorState value, in bit order.

    Read MSB first: first byte 0x80 lowPaper, 0x40 noPaper, 0x20 lowToner, 0x10 noToner,
    0x08 doorOpen, 0x04 jammed, 0x02 offline, 0x01 serviceRequested; second byte 0x80
    inputTrayMissing ... 0x02 overduePreventMaint. Printers send one byte or two. A set
    bit the MIB does not name (bit 15 and beyond) comes back as "bit<N>".
    """
    found = []
    for position in range(len(value) * 8):
        if value[position // 8] & (0x80 >> (position % 8)):
            found.append(ERROR_BITS[position] if position < len(ERROR_BITS) else f"bit{position}")
    return tuple(found)


# ---------------------------------------------------------------- models

@dataclass(frozen=True, slots=True)
class PrinterDevice:
    index: str
    description: str
    status: str | None  # hrPrinterStatus name
    device_status: str | None  # hrDeviceStatus name
    conditions: tuple[str, ...]  # hrPrinterDetectedErrorState


@dataclass(frozen=True, slots=True)
class Supply:
    index: str
    description: str
    kind: str  # prtMarkerSuppliesType name
    receptacle: bool
    level: int
    max_capacity: int
    percent: float | None  # None when the printer gives no measurable level


@dataclass(frozen=True, slots=True)
class InputTray:
    index: str
    name: str
    manual: bool
    level: int
    max_capacity: int
    percent: float | None
    media: str


@dataclass(frozen=True, slots=True)
class Alert:
    index: str
    severity: str
    code: str
    location: int | None
    description: str


@dataclass(frozen=True, slots=True)
class PrinterModel:
    devices: tuple[PrinterDevice, ...]
    supplies: tuple[Supply, ...]
    inputs: tuple[InputTray, ...]
    alerts: tuple[Alert, ...]
    page_count: int | None  # sum of prtMarkerLifeCount over markers counting impressions or sheets
    response_time_s: float | None = None  # first answer's round trip (None: parsed from columns alone)
    unreachable: str | None = None        # why the printer is down (then nothing else is known)


@dataclass(frozen=True)
class PrinterPoll:
    """What fetch brought back: the walked columns, or why the printer did not answer."""

    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    response_time_s: float | None = None
    unreachable: str | None = None


SYS_PROBE = ("1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.3.0")  # SNMPv2-MIB::sysDescr.0, sysUpTime.0


# ---------------------------------------------------------------- parse helpers

class _Columns:
    """Typed access to the walked columns; a wrong type is a ParseError naming the object."""

    def __init__(self, raw: Mapping[str, Mapping[str, Any]]):
        self.raw = raw

    def rows(self, column: str) -> Mapping[str, Any]:
        rows = self.raw.get(column) or {}
        if not isinstance(rows, Mapping):
            raise ParseError(f"{_NAMES[column]}: expected a table, got {type(rows).__name__}")
        return rows

    def _value(self, column: str, index: str) -> Any:
        return self.rows(column).get(index)

    def int(self, column: str, index: str) -> int | None:
        value = self._value(column, index)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParseError(f"{_NAMES[column]}.{index} is {_kind(value)}, expected an INTEGER")
        return value

    def text(self, column: str, index: str) -> str:
        value = self._value(column, index)
        if value is None:
            return ""
        if isinstance(value, bytes):
            # DisplayString is ASCII; printers send UTF-8 or Latin-1 names and NUL padding.
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                text = value.decode("latin-1")
            return " ".join(text.replace("\x00", " ").split())
        raise ParseError(f"{_NAMES[column]}.{index} is {_kind(value)}, expected an OCTET STRING")

    def octets(self, column: str, index: str) -> bytes | None:
        value = self._value(column, index)
        if value is None or isinstance(value, bytes):
            return value
        raise ParseError(f"{_NAMES[column]}.{index} is {_kind(value)}, expected an OCTET STRING")


def _kind(value: Any) -> str:
    return {int: "an INTEGER", bytes: "an OCTET STRING", str: "an OBJECT IDENTIFIER"}.get(type(value), type(value).__name__)


def _percent(level: int, max_capacity: int) -> float | None:
    if level < 0 or max_capacity <= 0:
        return None
    return round(min(level, max_capacity) * 100.0 / max_capacity, 1)


def _sorted(indexes: Iterable[str]) -> list[str]:
    def key(index: str) -> tuple[int, ...]:
        return tuple(int(p) if p.isdigit() else -1 for p in index.split("."))
    return sorted(indexes, key=key)


def parse_printer(raw: Mapping[str, Mapping[str, Any]]) -> PrinterModel:
    cols = _Columns(raw)
    devices = []
    for index in _sorted(set(cols.rows(HR_PRINTER_STATUS)) | set(cols.rows(HR_PRINTER_ERRORS))):
        status = cols.int(HR_PRINTER_STATUS, index)
        device_status = cols.int(HR_DEVICE_STATUS, index)
        errors = cols.octets(HR_PRINTER_ERRORS, index)
        devices.append(PrinterDevice(
            index, cols.text(HR_DEVICE_DESCR, index),
            None if status is None else PRINTER_STATUS.get(status, f"status {status}"),
            None if device_status is None else DEVICE_STATUS.get(device_status, f"status {device_status}"),
            decode_error_state(errors) if errors else ()))
    supplies = []
    for index in _sorted(cols.rows(SUPPLY_LEVEL)):
        level = cols.int(SUPPLY_LEVEL, index)
        max_capacity = cols.int(SUPPLY_MAX, index)
        kind = cols.int(SUPPLY_TYPE, index)
        kind_name = SUPPLY_TYPES.get(kind, f"type {kind}") if kind is not None else "unknown"
        supplies.append(Supply(
            index, cols.text(SUPPLY_DESCR, index) or f"{kind_name} {index}", kind_name,
            cols.int(SUPPLY_CLASS, index) == SUPPLY_RECEPTACLE, level if level is not None else LEVEL_UNKNOWN,
            max_capacity if max_capacity is not None else LEVEL_UNKNOWN,
            _percent(level if level is not None else LEVEL_UNKNOWN, max_capacity or 0)))
    inputs = []
    for index in _sorted(set(cols.rows(INPUT_LEVEL)) | set(cols.rows(INPUT_NAME))):
        level = cols.int(INPUT_LEVEL, index)
        max_capacity = cols.int(INPUT_MAX, index)
        level = LEVEL_UNKNOWN if level is None else level
        max_capacity = LEVEL_UNKNOWN if max_capacity is None else max_capacity
        inputs.append(InputTray(
            index, cols.text(INPUT_NAME, index) or cols.text(INPUT_DESCR, index) or f"input {index}",
            cols.int(INPUT_TYPE, index) == INPUT_MANUAL, level, max_capacity, _percent(level, max_capacity),
            cols.text(INPUT_MEDIA, index)))
    alerts = []
    for index in _sorted(set(cols.rows(ALERT_SEVERITY)) | set(cols.rows(ALERT_CODE))):
        severity = cols.int(ALERT_SEVERITY, index)
        code = cols.int(ALERT_CODE, index)
        alerts.append(Alert(
            index, ALERT_SEVERITY_NAMES.get(severity, "other") if severity is not None else "other",
            ALERT_CODES.get(code, f"code {code}") if code is not None else "unknown",
            cols.int(ALERT_LOCATION, index), cols.text(ALERT_DESCR, index)))
    counted = []
    for index in cols.rows(MARKER_LIFE_COUNT):
        unit = cols.int(MARKER_COUNTER_UNIT, index)
        count = cols.int(MARKER_LIFE_COUNT, index)
        if count is not None and unit in (None, 7, 8):  # impressions or sheets: pages
            counted.append(count)
    if not devices and not supplies:
        raise ParseError("no printer data: the agent has neither hrPrinterTable nor prtMarkerSuppliesTable "
                         "(not a printer, or its Printer-MIB is switched off)")
    return PrinterModel(tuple(devices), tuple(supplies), tuple(inputs), tuple(alerts),
                        sum(counted) if counted else None)


# ---------------------------------------------------------------- evaluate helpers

def _alert_state(alert: Alert, params: PrinterSnmpParams) -> State:
    default = {"critical": "crit", "warning": "warn"}.get(alert.severity, "ok")
    return _STATE[params.alert_states.get(alert.severity, default)]  # type: ignore[call-overload]


def _status_result(device: PrinterDevice, item: str, model: PrinterModel, params: PrinterSnmpParams,
                   target: Printer, now: datetime) -> CheckResult:
    states = [_STATE[params.condition_state(c)] if c in _CONDITION_TEXT else State.WARN for c in device.conditions]
    states.append(_DEVICE_STATUS_STATE.get(device.device_status or "", State.OK))
    problems: list[MessageRef | str] = [MSG.ref(f"printer_snmp.condition.{c}") if c in _CONDITION_TEXT
                                        else MSG.ref("printer_snmp.condition.undefined", name=c)
                                        for c in device.conditions]
    details = [f"condition: {c} ({_CONDITION_TEXT.get(c, 'not defined by the MIB')})" for c in device.conditions]
    for alert in model.alerts:
        state = _alert_state(alert, params)
        states.append(state)
        text = f"{alert.severity} alert {alert.code}" + (f": {alert.description}" if alert.description else "")
        details.append(("active " if state.is_problem else "") + text)
        if state.is_problem and not problems:
            problems.append(alert.description or alert.code)
    status = (MSG.ref(f"printer_snmp.printer.{device.status}") if device.status in PRINTER_STATUS.values()
              else device.status or MSG.ref("printer_snmp.printer.not_reported"))
    if device.device_status in _DEVICE_STATUS_STATE:
        problems.insert(0, MSG.ref(f"printer_snmp.device.{device.device_status}"))
    key = "printer_snmp.status.problems" if problems else "printer_snmp.status.clean"
    if model.page_count is not None:
        said = MSG.say(key + "_pages", status=status, problems=tuple(problems), pages=model.page_count)
    else:
        said = MSG.say(key, status=status, problems=tuple(problems))
    metrics = [Metric("printer_condition_count", len(device.conditions), "count")]
    if model.page_count is not None:
        metrics.append(Metric("printed_pages", model.page_count, "pages"))
    return CheckResult("printer_snmp.status", target.name, item, State.worst(states), said.text,
                       details="\n".join(details), metrics=tuple(metrics), observed_at=now, message=said.ref)


def _level_state(percent: float | None, level: int, params: PrinterSnmpParams) -> tuple[State, MessageRef]:
    if percent is not None:
        state = State.OK
        if params.supply_crit_percent is not None and percent <= params.supply_crit_percent:
            state = State.CRIT
        elif percent <= params.supply_warn_percent:
            state = State.WARN
        return state, MSG.ref("printer_snmp.level.percent", pct=percent)
    if level == LEVEL_SOME:
        return _STATE[params.some_remaining_state], MSG.ref("printer_snmp.level.some")
    if level >= 0:
        return _STATE[params.unknown_level_state], MSG.ref("printer_snmp.level.raw", level=level)
    return _STATE[params.unknown_level_state], MSG.ref("printer_snmp.level.not_reported")


def _supply_result(supply: Supply, params: PrinterSnmpParams, target: Printer, now: datetime) -> CheckResult:
    state, level = _level_state(supply.percent, supply.level, params)
    if supply.percent is None:
        said = MSG.say("printer_snmp.supply", name=supply.description, level=level)
    else:
        what = "space" if supply.receptacle else "remaining"
        how = "" if not state.is_problem else ("_nearly_full" if supply.receptacle else "_low") \
            if state is State.WARN else ("_full" if supply.receptacle else "_empty")
        said = MSG.say(f"printer_snmp.supply.{what}{how}", name=supply.description, level=level)
    metrics = (Metric("supply_level_percent", supply.percent, "percent"),) if supply.percent is not None else ()
    return CheckResult("printer_snmp.supply", target.name, supply.description, state, said.text,
                       details=f"type {supply.kind}, level {supply.level}, max capacity {supply.max_capacity}",
                       metrics=metrics, observed_at=now, message=said.ref)


def _input_result(tray: InputTray, params: PrinterSnmpParams, target: Printer, now: datetime) -> CheckResult:
    def said(text: MessageRef) -> Said:
        if tray.media:
            return MSG.say("printer_snmp.input.media", tray=tray.name, media=tray.media, text=text)
        return MSG.say("printer_snmp.input", tray=tray.name, text=text)

    metrics = (Metric("paper_level_percent", tray.percent, "percent"),) if tray.percent is not None else ()
    if tray.level == 0 and not tray.manual:
        empty = said(MSG.ref("printer_snmp.tray.empty"))
        return CheckResult("printer_snmp.input", target.name, tray.name, _STATE[params.tray_empty_state],
                           empty.text, metrics=metrics, observed_at=now, message=empty.ref)
    if tray.level == 0:  # a manual-feed slot: empty is its normal state
        text = MSG.ref("printer_snmp.tray.manual_empty")
    elif tray.percent is not None:
        text = MSG.ref("printer_snmp.tray.sheets", pct=tray.percent, level=tray.level, max=tray.max_capacity)
    elif tray.level == LEVEL_SOME:
        text = MSG.ref("printer_snmp.tray.loaded")
    else:
        text = MSG.ref("printer_snmp.tray.not_reported")
    ok = said(text)
    return CheckResult("printer_snmp.input", target.name, tray.name, State.OK, ok.text,
                       metrics=metrics, observed_at=now, message=ok.ref)


class PrinterSnmpCollector:
    name: ClassVar[str] = "printer_snmp"
    params_model: ClassVar[type[PrinterSnmpParams]] = PrinterSnmpParams

    def targets(self, params: PrinterSnmpParams, inventory: Inventory) -> Sequence[Printer]:
        return [printer for printer in inventory.printers if printer.snmp is not None]

    async def fetch(self, target: Printer, params: PrinterSnmpParams, io: CollectorIO) -> PrinterPoll:
        from collectors.snmp.client import SnmpTimeout, open_client

        if target.snmp is None:
            raise FetchError("no SNMP credentials in the inventory for this printer")
        async with open_client(target.address, target.snmp, io.resolve_secret) as snmp:
            await snmp.connect()  # socket set-up is not the printer's response time
            t0 = time.monotonic()
            try:
                await snmp.get(SYS_PROBE)
            except SnmpTimeout as first:
                # One quick re-check before calling it down: a single lost datagram (or a
                # printer waking from sleep) must not open a ticket; a dead one does, now.
                await asyncio.sleep(params.recheck_after_s)
                t0 = time.monotonic()
                try:
                    await snmp.get(SYS_PROBE)
                except SnmpTimeout:
                    return PrinterPoll(unreachable=f"{first}; silent again {params.recheck_after_s:g} s later")
            rtt = time.monotonic() - t0
            # One multi-column walk: a few GETBULK exchanges for the whole printer.
            return PrinterPoll(await snmp.walk(COLUMNS, max_rows=2000), rtt)

    def parse(self, raw: PrinterPoll | Mapping[str, Mapping[str, Any]]) -> PrinterModel:
        if isinstance(raw, PrinterPoll):
            if raw.unreachable:
                return PrinterModel((), (), (), (), None, unreachable=raw.unreachable)
            model = parse_printer(raw.tables)
            return PrinterModel(model.devices, model.supplies, model.inputs, model.alerts, model.page_count,
                                raw.response_time_s)
        if not isinstance(raw, Mapping):
            raise ParseError(f"printer_snmp expected SNMP columns, got {type(raw).__name__}")
        return parse_printer(raw)

    def evaluate(self, model: PrinterModel, params: PrinterSnmpParams, target: Printer,
                 now: datetime) -> Iterable[CheckResult]:
        if model.unreachable:
            down = MSG.say("printer_snmp.down", detail=model.unreachable)
            yield CheckResult("printer_snmp.reachability", target.name, "", _STATE[params.unreachable],
                              down.text, observed_at=now, message=down.ref)
            return
        if model.response_time_s is not None:
            rtt = model.response_time_s
            answers = MSG.say("printer_snmp.answers", ms=rtt * 1000)
            yield CheckResult("printer_snmp.reachability", target.name, "", State.OK, answers.text,
                              metrics=(Metric("response_time_seconds", rtt, "seconds"),), observed_at=now,
                              message=answers.ref)
        for device in model.devices:
            item = "" if len(model.devices) == 1 else f"device {device.index}"
            yield _status_result(device, item, model, params, target, now)
        seen: set[str] = set()
        for supply in model.supplies:
            if supply.description in seen:  # two supplies with one name: keep items unique and stable
                supply = Supply(supply.index, f"{supply.description} ({supply.index})", supply.kind,
                                supply.receptacle, supply.level, supply.max_capacity, supply.percent)
            seen.add(supply.description)
            yield _supply_result(supply, params, target, now)
        names: set[str] = set()
        for tray in model.inputs:
            if tray.name in names:
                tray = InputTray(tray.index, f"{tray.name} ({tray.index})", tray.manual, tray.level,
                                 tray.max_capacity, tray.percent, tray.media)
            names.add(tray.name)
            yield _input_result(tray, params, target, now)
