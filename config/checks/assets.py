"""Settings of the assets family: the asset archive (设备档案) and its findings (docs/assets.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from config.checks.base import CheckParams, FindingPolicy, WarnCrit


class AssetsParams(CheckParams):
    """Settings under ``checks.assets``.

    The archive's findings: ``assets.hardware`` (a module, disk, CPU or component added,
    removed or swapped, a serial changed) and ``assets.warranty`` (the inventory's
    ``asset.warranty_end`` coming close). A finding opens at the first such result: a
    hardware change is one event, not a state that repeats.
    """

    hardware_change_days: Annotated[float, Field(
        gt=0, le=366, description="a hardware change stays a finding (WARN) for this many days, then resolves; "
                                  "the change itself stays in the history")] = 7
    warranty_days: Annotated[WarnCrit, Field(
        description="days until asset.warranty_end: WARN/CRIT at or below (an ended warranty is no finding: "
                    "the archive shows it as out of warranty)")] = WarnCrit(warn=90, crit=30)
    findings: FindingPolicy = FindingPolicy(open_after=1, resolve_after=1)
