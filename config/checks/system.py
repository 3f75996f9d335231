"""Settings of the system family: resources, uptime, services (checklist item 11)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

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


class SystemParams(CheckParams):
    # 120 s, not 60: each cycle of `patrol run` starts a worker (~0.6 s of CPU, see
    # agent/daemon.py); every 2 minutes keeps the agent under 0.6% of a core.
    schedule: Schedule = Schedule(interval_s=120)
    cpu_load_per_core: Annotated[WarnCrit, Field(description="15-minute load average divided by cores")] = WarnCrit(warn=2.0, crit=4.0)
    cpu_percent: Annotated[WarnCrit, Field(description="CPU busy over a short sample")] = WarnCrit(warn=90, crit=None)
    memory_used_percent: WarnCrit = WarnCrit(warn=90, crit=97)
    swap_used_percent: WarnCrit = WarnCrit(warn=50, crit=90)
    disk: DiskParams = DiskParams()
    recent_reboot_s: Annotated[float, Field(ge=0, description="uptime below this is reported as a recent reboot (WARN)")] = 3600
    clock_offset_s: Annotated[WarnCrit, Field(description="NTP offset from chrony/timedatectl when available")] = WarnCrit(warn=1.0, crit=60.0)
    required_services: Annotated[tuple[str, ...], Field(
        description="Windows services or systemd units that must be running (e.g. sshd, Spooler)")] = ()
    required_processes: Annotated[tuple[str, ...], Field(description="process names that must be running")] = ()
