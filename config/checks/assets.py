"""Settings of the assets family: the asset archive (设备档案), its captures and its findings (docs/assets.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from config.checks.base import CheckParams, FindingPolicy, Schedule, WarnCrit


class AssetsParams(CheckParams):
    """Settings under ``checks.assets``.

    Capture: the family runs every ``schedule.interval_s`` (hourly); a quick fingerprint of
    the hardware and package database (milliseconds on Linux, one short PowerShell run on
    Windows) decides whether a full capture is due; a full capture runs at least every
    ``full_every_h`` hours. Network devices and printers with SNMP credentials in the
    inventory are captured every ``full_every_h`` hours (no quick check over SNMP).

    The archive's findings: ``assets.hardware`` (a module, disk, CPU or component added,
    removed or swapped, a serial changed) and ``assets.warranty`` (the inventory's
    ``asset.warranty_end`` coming close). A finding opens at the first such result: a
    hardware change is one event, not a state that repeats.
    """

    timeout_s: Annotated[float, Field(gt=0, description="the whole capture of one target may take this long")] = 300
    schedule: Schedule = Schedule(interval_s=3600, jitter_s=300, misfire_grace_s=3600)
    full_every_h: Annotated[float, Field(gt=0, le=24 * 31, description="a full capture at least this often, "
                                                                       "changed or not (hours)")] = 24
    devices: Annotated[bool, Field(description="capture the inventory's network devices and printers over SNMP "
                                               "(ENTITY-MIB, sysDescr, Printer-MIB)")] = True
    command_timeout_s: Annotated[float, Field(gt=0, description="each program the capture runs (dmidecode, "
                                                                "smartctl, dpkg-query, PowerShell) may take this long")] = 60
    hardware_change_days: Annotated[float, Field(
        gt=0, le=366, description="a hardware change stays a finding (WARN) for this many days, then resolves; "
                                  "the change itself stays in the history")] = 7
    warranty_days: Annotated[WarnCrit, Field(
        description="days until asset.warranty_end: WARN/CRIT at or below (an ended warranty is no finding: "
                    "the archive shows it as out of warranty)")] = WarnCrit(warn=90, crit=30)
    findings: FindingPolicy = FindingPolicy(open_after=1, resolve_after=1)
