"""Settings of the system family: resources, uptime, services (checklist item 11)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from config.checks.base import CheckParams, Schedule, Strict, WarnCrit


class DiskParams(Strict):
    used_percent: WarnCrit = WarnCrit(warn=85, crit=95)
    free_bytes_min: Annotated[WarnCrit, Field(description="alert when free space falls to these many bytes, whatever the percentage")] = WarnCrit(
        warn=2 * 1024**3, crit=512 * 1024**2)
    percent_ignored_above_free_bytes: Annotated[float | None, Field(
        description="a volume with at least this much free space is not alerted on by percentage (96% of 4 TB is fine)")] = 50 * 1024**3
    # Pseudo and read-only image filesystems are never "full" in a way an engineer can fix.
    ignore_fstypes: tuple[str, ...] = ("squashfs", "tmpfs", "devtmpfs", "overlay", "iso9660", "udf", "nsfs", "ramfs")
    ignore_mountpoints: tuple[str, ...] = ()


Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class MaintenanceWindow(Strict):
    """A weekly window (the computer's local time) in which reboots are planned."""

    days: Annotated[tuple[Day, ...], Field(min_length=1, description="days the window opens")] = (
        "mon", "tue", "wed", "thu", "fri", "sat", "sun")
    start: Annotated[str, Field(description="HH:MM, local time")]
    end: Annotated[str, Field(description="HH:MM, local time; before start means the window ends the next day")]

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"{value!r} is not a time such as 02:30")
        return value


class SystemParams(CheckParams):
    # 120 s, not 60: each cycle of `patrol run` starts a worker (~0.6 s of CPU, see
    # agent/daemon.py); every 2 minutes keeps the agent under 0.6% of a core.
    schedule: Schedule = Schedule(interval_s=120)
    cpu_load_per_core: Annotated[WarnCrit, Field(description="15-minute load average divided by cores")] = WarnCrit(warn=2.0, crit=4.0)
    cpu_percent: Annotated[WarnCrit, Field(
        description="CPU busy outside this agent's own process tree; alarms only when every sample is over it")] = \
        WarnCrit(warn=90, crit=None)
    cpu_samples: Annotated[int, Field(ge=1, le=20, description="samples taken per check (sustained = all of them)")] = 3
    cpu_sample_s: Annotated[float, Field(gt=0, le=10, description="seconds per CPU sample")] = 1.0
    memory_used_percent: WarnCrit = WarnCrit(warn=90, crit=97)
    swap_used_percent: WarnCrit = WarnCrit(warn=50, crit=90)
    disk: DiskParams = DiskParams()
    recent_reboot_s: Annotated[float, Field(ge=0, description="uptime below this is reported as a recent reboot")] = 3600
    unexpected_reboot_state: Annotated[Literal["ok", "warn", "crit"], Field(
        description="a recent reboot with no clean shutdown recorded (Windows event 6008/41, Linux wtmp) and "
                    "outside every maintenance window; a planned reboot is information (OK)")] = "warn"
    unknown_reboot_state: Annotated[Literal["ok", "warn", "crit"], Field(
        description="a recent reboot whose shutdown record could not be read, outside every maintenance window")] = "ok"
    maintenance_windows: Annotated[tuple[MaintenanceWindow, ...], Field(
        description="reboots starting inside these windows are planned, e.g. [{days: [sun], start: '02:00', end: '05:00'}]")] = ()
    clock_offset_s: Annotated[WarnCrit, Field(description="NTP offset from chrony/timedatectl when available")] = WarnCrit(warn=1.0, crit=60.0)
    required_services: Annotated[tuple[str, ...], Field(
        description="Windows services or systemd units that must be running (e.g. sshd, Spooler)")] = ()
    required_processes: Annotated[tuple[str, ...], Field(description="process names that must be running")] = ()
