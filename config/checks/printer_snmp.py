"""Settings of the printer_snmp family: Network printers over SNMP (Printer-MIB, HOST-RESOURCES-MIB)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.checks.base import CheckParams

StateName = Literal["ok", "warn", "crit"]

# hrPrinterDetectedErrorState conditions (HOST-RESOURCES-MIB as updated by RFC 3805) and the
# state each gives by default: what stops printing is CRIT, what will soon is WARN.
DEFAULT_CONDITION_STATES: dict[str, StateName] = {
    "lowPaper": "warn",
    "noPaper": "crit",
    "lowToner": "warn",
    "noToner": "crit",
    "doorOpen": "crit",
    "jammed": "crit",
    "offline": "crit",
    "serviceRequested": "warn",
    "inputTrayMissing": "warn",
    "outputTrayMissing": "warn",
    "markerSupplyMissing": "crit",
    "outputNearFull": "warn",
    "outputFull": "crit",
    "inputTrayEmpty": "warn",
    "overduePreventMaint": "warn",
}


class PrinterSnmpParams(CheckParams):
    """Settings under ``checks.printer_snmp``.

    Targets are the inventory's ``printers`` that have ``snmp`` credentials; with none,
    this family yields no results.
    """

    timeout_s: Annotated[float, Field(gt=0, description="one printer's whole poll may take this long")] = 20
    unreachable: Annotated[Literal["warn", "crit", "unknown"], Field(description=(
        "state of printer_snmp.reachability when the printer does not answer SNMP, "
        "after one quick re-check (a dead printer is 'down', found on the first failed poll)"))] = "crit"
    recheck_after_s: Annotated[float, Field(ge=0, le=30, description=(
        "seconds to wait before asking a silent printer once more"))] = 1.0
    supply_warn_percent: Annotated[float, Field(
        ge=0, le=100, description="a supply (toner, ink, drum, waste box space) at or below this percentage is WARN")] = 15
    supply_crit_percent: Annotated[float | None, Field(
        ge=0, le=100, description="at or below this percentage a supply is CRIT; null switches CRIT off "
                                  "(an empty toner is reported by the printer's own noToner condition anyway)")] = 0
    some_remaining_state: Annotated[StateName, Field(
        description="state of a supply that only says 'some remaining' (level -3, no percentage)")] = "ok"
    unknown_level_state: Annotated[StateName, Field(
        description="state of a supply or tray whose level the printer does not report (-1 other, -2 unknown)")] = "ok"
    tray_empty_state: Annotated[StateName, Field(
        description="state of an empty paper tray (manual-feed trays are never reported empty)")] = "warn"
    condition_states: Annotated[dict[str, StateName], Field(
        description="state per hrPrinterDetectedErrorState condition (lowPaper, noPaper, lowToner, noToner, doorOpen, "
                    "jammed, offline, serviceRequested, inputTrayMissing, outputTrayMissing, markerSupplyMissing, "
                    "outputNearFull, outputFull, inputTrayEmpty, overduePreventMaint); unnamed ones keep their default")] = {}
    alert_states: Annotated[dict[Literal["critical", "warning", "warningBinaryChangeEvent", "other"], StateName], Field(
        description="state of an active Printer-MIB alert by severity (prtAlertSeverityLevel)")] = {
        "critical": "crit", "warning": "warn", "warningBinaryChangeEvent": "ok", "other": "ok"}

    @field_validator("condition_states")
    @classmethod
    def _known_conditions(cls, value: dict[str, StateName]) -> dict[str, StateName]:
        unknown = sorted(set(value) - set(DEFAULT_CONDITION_STATES))
        if unknown:
            raise ValueError(f"unknown printer condition(s) {', '.join(unknown)}; known: "
                             f"{', '.join(DEFAULT_CONDITION_STATES)}")
        return value

    @model_validator(mode="after")
    def _crit_below_warn(self) -> "PrinterSnmpParams":
        if self.supply_crit_percent is not None and self.supply_crit_percent > self.supply_warn_percent:
            raise ValueError("supply_crit_percent must not be above supply_warn_percent")
        return self

    def condition_state(self, condition: str) -> StateName:
        return self.condition_states.get(condition, DEFAULT_CONDITION_STATES.get(condition, "warn"))
