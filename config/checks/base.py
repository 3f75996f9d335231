"""What every check family's settings share: whether it runs, when, and how long it may take."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    """Base of every settings model: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def time_zone_name(value: str) -> str:
    """``value`` when it is an IANA time zone name; ValueError naming it otherwise."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai or UTC") from None
    return value


class Schedule(Strict):
    """When a check family runs under ``patrol run``: an interval or a cron expression."""

    interval_s: Annotated[float, Field(gt=0, description="seconds between runs (ignored when cron is set)")] = 300
    cron: Annotated[str | None, Field(description="crontab expression in local time, e.g. '0 8 * * 1-5'")] = None
    jitter_s: Annotated[float, Field(ge=0, description="random delay up to this many seconds, to spread load")] = 10
    misfire_grace_s: Annotated[float, Field(gt=0, description="a run late by more than this is skipped")] = 60

    @model_validator(mode="after")
    def _cron_parses(self) -> "Schedule":
        if self.cron is not None:
            fields = self.cron.split()
            if len(fields) != 5:
                raise ValueError(f"cron needs 5 fields (minute hour day month weekday), got {len(fields)}: {self.cron!r}")
        return self


class FindingPolicy(Strict):
    """How results of this family become findings (see agent/findings.py)."""

    open_after: Annotated[int, Field(ge=1, description="consecutive non-OK results before a finding opens")] = 2
    resolve_after: Annotated[int, Field(ge=1, description="consecutive OK results before a finding resolves")] = 2


class CheckParams(Strict):
    """Fields every ``checks.<family>`` section has; families subclass it."""

    enabled: Annotated[bool, Field(description="run this family in `patrol inspect` and `patrol run`")] = True
    timeout_s: Annotated[float, Field(gt=0, description="the whole fetch/parse/evaluate may take this long")] = 30
    schedule: Schedule = Schedule()
    findings: FindingPolicy = FindingPolicy()


class WarnCrit(Strict):
    """A pair of thresholds; null switches that level off."""

    warn: float | None = None
    crit: float | None = None
