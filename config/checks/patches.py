"""Settings of the patches family: Missing security updates and pending reboots (checklist item 4)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from config.checks.base import CheckParams, Schedule, Strict, WarnCrit


class AptSettings(Strict):
    """Debian/Ubuntu: a simulated upgrade (`apt-get -s`), which changes nothing and takes no lock."""

    command: Annotated[str, Field(description="apt-get executable")] = "apt-get"
    root: Annotated[str | None, Field(
        description="alternative apt root (passed as -o Dir=ROOT; lists, stamps and dpkg status are read below it)")] = None
    security_pattern: Annotated[str, Field(
        description="regular expression matched against each origin label and suite of an upgrade; a match marks it a security update")] = r"(?i)-security$"
    reboot_required_file: Annotated[str, Field(description="file that exists while a reboot is required")] = "/var/run/reboot-required"


class DnfSettings(Strict):
    """RHEL family: `dnf updateinfo` advisories (needs repositories that publish updateinfo)."""

    command: Annotated[str, Field(description="dnf executable")] = "dnf"
    cache_only: Annotated[bool, Field(description="read only the metadata cache (-C): no network, may be stale")] = False


class WindowsUpdateSettings(Strict):
    """Windows: the Windows Update Agent COM API through PowerShell."""

    powershell: Annotated[str, Field(description="PowerShell executable")] = "powershell.exe"
    criteria: Annotated[str, Field(description="IUpdateSearcher.Search criteria")] = "IsInstalled=0 and Type='Software' and IsHidden=0"
    offline_cab: Annotated[str | None, Field(
        description="path of wsusscn2.cab: scan offline against it (sites without internet or WSUS)")] = None
    history_entries: Annotated[int, Field(ge=1, le=5000, description="install history entries read for the last install time")] = 200


class PatchesParams(CheckParams):
    """Settings under ``checks.patches``."""

    # An online Windows Update search can take minutes; a simulated apt upgrade a few seconds.
    timeout_s: Annotated[float, Field(gt=0, description="the whole fetch/parse/evaluate may take this long")] = 600
    schedule: Schedule = Schedule(interval_s=6 * 3600)
    linux_manager: Annotated[Literal["auto", "apt", "dnf"], Field(description="auto picks apt-get or dnf, whichever is installed")] = "auto"
    critical_age_days: Annotated[WarnCrit, Field(
        description="age (since release) of the oldest missing update whose severity is in age_severities")] = WarnCrit(warn=14, crit=30)
    age_severities: Annotated[tuple[Literal["critical", "important", "moderate", "low", "unspecified"], ...], Field(
        description="severities that critical_age_days applies to")] = ("critical",)
    security_count: Annotated[WarnCrit, Field(
        description="number of missing security updates (any severity)")] = WarnCrit(warn=1, crit=None)
    pending_count: Annotated[WarnCrit, Field(description="number of all pending updates (off by default)")] = WarnCrit()
    last_update_days: Annotated[WarnCrit, Field(
        description="time since the last successful update (Windows: last install; apt: package lists refreshed; dnf: metadata)")] = WarnCrit(warn=35, crit=60)
    reboot_pending_days: Annotated[WarnCrit, Field(
        description="how long a required reboot may stay pending; a pending reboot of unknown age is WARN")] = WarnCrit(warn=3, crit=14)
    command_timeout_s: Annotated[float, Field(gt=0, description="time limit of the package manager / Windows Update call")] = 540
    apt: AptSettings = AptSettings()
    dnf: DnfSettings = DnfSettings()
    windows: WindowsUpdateSettings = WindowsUpdateSettings()
