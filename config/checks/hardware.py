"""Settings of the hardware family: Devices without a driver and devices in an error state (items 8 and 9)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from config.checks.base import CheckParams, Strict, WarnCrit

StateName = Literal["ok", "warn", "crit"]


class ProblemStates(Strict):
    """Windows: the state of each meaning of a Device Manager problem code
    (collectors/platforms/windows/hardware_codes.py puts every code in one group)."""

    disabled: Annotated[StateName, Field(description="22: the user or an administrator disabled the device")] = "ok"
    driver_missing: Annotated[StateName, Field(description="28, 1, 18: the driver is not installed (or must be)")] = "warn"
    stopped: Annotated[StateName, Field(description="43, 10: Windows stopped the device or it cannot start")] = "warn"
    restart_needed: Annotated[StateName, Field(description="14, 21, 47: works after a restart or removal")] = "warn"
    setting_up: Annotated[StateName, Field(description="24, 25, 26, 51, 56: Windows is still setting it up")] = "warn"
    not_present: Annotated[StateName, Field(description="45, 46, 53, 55: not connected or not available now")] = "ok"
    conflict: Annotated[StateName, Field(description="resource or IRQ conflicts (12, 30, ...)")] = "crit"
    driver_failed: Annotated[StateName, Field(description="a driver that fails, is blocked or unsigned (31, 39, 48, 52, ...)")] = "crit"
    device_failed: Annotated[StateName, Field(description="failed hardware or firmware (11, 29, 44, ...) and unknown codes")] = "crit"


class HardwareParams(CheckParams):
    """Settings under ``checks.hardware``."""

    ignore_devices: Annotated[tuple[str, ...], Field(
        description="device ids or names (shell patterns, case-insensitive) never reported, "
                    "e.g. 'PCI\\\\VEN_8086&DEV_A0EF*' or 'pci 0000:00:1f.4'")] = ()
    problem_states: ProblemStates = ProblemStates()
    code_states: Annotated[dict[int, StateName], Field(
        description="Windows: override the state of one ConfigManagerErrorCode, e.g. {28: crit}; wins over problem_states")] = {}
    unbound_state: Annotated[StateName, Field(
        description="Linux: state of a PCI device or USB interface that no kernel driver has claimed")] = "warn"
    ignore_pci_classes: Annotated[tuple[str, ...], Field(
        description="Linux: PCI class prefixes (hex, from /sys/.../class) that need no driver: host, ISA and "
                    "other bridges, generic system peripherals")] = ("0600", "0601", "0680", "0880")
    kernel_log: Annotated[Literal["off", "auto", "on"], Field(
        description="Linux: read kernel error lines (dmesg, else journalctl -k). auto: skip quietly when the log "
                    "is not readable; on: UNKNOWN when it is not")] = "auto"
    kernel_log_max_lines: Annotated[int, Field(ge=1, le=10000, description="read at most this many error lines")] = 500
    kernel_error_lines: Annotated[WarnCrit, Field(
        description="kernel error lines (after kernel_ignore) in the current boot: WARN/CRIT")] = WarnCrit(warn=1, crit=None)
    kernel_ignore: Annotated[tuple[str, ...], Field(
        description="regular expressions; kernel lines matching any are not counted (firmware noise)")] = (
        r"ACPI (BIOS )?Error", r"ACPI Exception", r"\bfirmware bug\b", r"RAS: Correctable Errors collector")
    command_timeout_s: Annotated[float, Field(gt=0, description="seconds PowerShell, dmesg or journalctl may take")] = 20
