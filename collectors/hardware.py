"""Drivers and hardware conflicts (checklist items 8 驱动程序安装是否正确 and 9 是否存在系统硬件冲突).

Windows: Win32_PnPEntity devices whose ConfigManagerErrorCode is not 0, each code decoded
and put under item 8 (driver missing/broken) or item 9 (conflict, failure, disabled).
Linux: PCI devices and USB interfaces no kernel driver has claimed (item 8), and kernel
error lines of the current boot (item 9). Sources: collectors/platforms/<platform>/hardware.py.

Checks, each with item "" (one verdict per checklist item; details list the devices):
``hardware.driver`` (item 8), ``hardware.device`` (item 9), ``hardware.kernel_errors`` (Linux).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from collectors.base import CheckResult, CollectorIO, Metric, State, threshold_state
from collectors.messages import Messages
from collectors.platforms.detect import choose
from config.checks.hardware import HardwareParams
from inventory.models import Host, Inventory


@dataclass(frozen=True, slots=True)
class DeviceIssue:
    device_id: str  # PNPDeviceID, "pci 0000:00:1f.3", "usb 1-2:1.0": stable, used by ignore_devices
    name: str
    category: Literal["driver", "device"]
    code: str  # Windows problem code ("28") or "no-driver"
    meaning: str
    device_class: str = ""  # Linux PCI class (hex), for ignore_pci_classes


@dataclass(frozen=True, slots=True)
class HardwareSnapshot:
    platform: Literal["linux", "windows"]
    source: str
    devices_total: int
    issues: tuple[DeviceIssue, ...]
    kernel_lines: tuple[str, ...] | None = None  # None: not read (off, Windows, or unreadable)
    kernel_error: str = ""  # why the kernel log could not be read
    # Whether the source reports device errors at all (Windows problem codes do; Linux sysfs
    # only says whether a driver is bound: there, failures show as kernel errors).
    reports_device_errors: bool = True


@dataclass(frozen=True, slots=True)
class HardwareRaw:
    platform: str
    payload: Any


# The data source per platform (collectors/platforms/detect.py picks and imports it).
SOURCES = {"windows": "collectors.platforms.windows.hardware", "linux": "collectors.platforms.linux.hardware"}


def issue_state(issue: DeviceIssue, params: HardwareParams) -> State:
    if issue.code == "no-driver":
        return State.parse(params.unbound_state)
    from collectors.platforms.windows.hardware_codes import describe

    code = int(issue.code)
    if code in params.code_states:
        return State.parse(params.code_states[code])
    return State.parse(getattr(params.problem_states, describe(code)[3], "crit"))


def ignored(issue: DeviceIssue, params: HardwareParams) -> bool:
    if issue.device_class and any(issue.device_class.startswith(p.lower()) for p in params.ignore_pci_classes):
        return True
    keys = (issue.device_id.casefold(), issue.name.casefold())
    return any(fnmatch.fnmatchcase(key, pattern.casefold()) for pattern in params.ignore_devices for key in keys)


MSG = Messages({
    "hardware.device.no_states": "{source} has no device error states: see hardware.kernel_errors",
    "hardware.driver.none": "no device without a working driver ({n} devices, {source})",
    "hardware.device.none": "no device in an error state ({n} devices, {source})",
    "hardware.driver.problems": "{n} device(s) without a working driver: {shown}",
    "hardware.driver.problems_more": "{n} device(s) without a working driver: {shown} (+{more} more)",
    "hardware.device.problems": "{n} device(s) in an error state: {shown}",
    "hardware.device.problems_more": "{n} device(s) in an error state: {shown} (+{more} more)",
    "hardware.kernel.unreadable": "{error}",
    "hardware.kernel.lines": "{n} kernel error line(s) this boot, last: {last}",
    "hardware.kernel.none": "no kernel error lines this boot",
})


def evaluate_category(model: HardwareSnapshot, category: str, params: HardwareParams, target: str,
                      now: datetime) -> CheckResult:
    check = f"hardware.{category}"
    rated = [(issue, issue_state(issue, params)) for issue in model.issues
             if issue.category == category and not ignored(issue, params)]
    problems = [(issue, state) for issue, state in rated if state is not State.OK]
    worst = State.worst(state for _, state in problems)
    details = "\n".join(f"{state.value.upper()} {issue.device_id}: {issue.name} - {issue.meaning}"
                        for issue, state in rated)
    metrics = (Metric(f"{category}_problem_devices_count", len(problems), "count"),)
    if category == "device" and not model.reports_device_errors:
        said = MSG.say("hardware.device.no_states", source=model.source)
        return CheckResult(check, target, "", State.OK, said.text, observed_at=now, message=said.ref)
    if not problems:
        said = MSG.say(f"hardware.{category}.none", n=model.devices_total, source=model.source)
    else:
        # the device's name and the meaning of its error code, as the system gives them
        shown = "; ".join(f"{issue.name}: {issue.meaning}" for issue, _ in problems[:3])
        key = f"hardware.{category}.problems" + ("_more" if len(problems) > 3 else "")
        said = MSG.say(key, n=len(problems), shown=shown, more=len(problems) - 3)
    return CheckResult(check, target, "", worst, said.text, details, metrics, now, said.ref)


def evaluate_kernel(model: HardwareSnapshot, params: HardwareParams, target: str, now: datetime) -> CheckResult | None:
    if model.kernel_lines is None:
        if model.kernel_error and params.kernel_log == "on":
            said = MSG.say("hardware.kernel.unreadable", error=model.kernel_error)
            return CheckResult("hardware.kernel_errors", target, "", State.UNKNOWN, said.text, observed_at=now,
                               message=said.ref)
        return None
    patterns = [re.compile(p, re.IGNORECASE) for p in params.kernel_ignore]
    counted = [line for line in model.kernel_lines if not any(p.search(line) for p in patterns)]
    limits = params.kernel_error_lines
    state = threshold_state(len(counted), limits.warn, limits.crit)
    said = (MSG.say("hardware.kernel.lines", n=len(counted), last=counted[-1][:160]) if counted
            else MSG.say("hardware.kernel.none"))
    return CheckResult("hardware.kernel_errors", target, "", state, said.text, "\n".join(counted[-20:]),
                       (Metric("kernel_error_lines_count", len(counted), "count"),), now, said.ref)


class HardwareCollector:
    name: ClassVar[str] = "hardware"
    params_model: ClassVar[type[HardwareParams]] = HardwareParams

    def targets(self, params: HardwareParams, inventory: Inventory) -> Sequence[Host]:
        return (inventory.local,)

    def fetch(self, target: Host, params: HardwareParams, io: CollectorIO) -> HardwareRaw:
        if io.platform == "windows":
            return HardwareRaw("windows", choose("windows", SOURCES).fetch(io, params.command_timeout_s))
        return HardwareRaw("linux", choose("linux", SOURCES).fetch(io, kernel_log=params.kernel_log,
                                                          max_lines=params.kernel_log_max_lines,
                                                          timeout=params.command_timeout_s))

    def parse(self, raw: HardwareRaw) -> HardwareSnapshot:
        return choose(raw.platform, SOURCES).parse(raw.payload)

    def evaluate(self, model: HardwareSnapshot, params: HardwareParams, target: Host,
                 now: datetime) -> Iterable[CheckResult]:
        yield evaluate_category(model, "driver", params, target.name, now)
        yield evaluate_category(model, "device", params, target.name, now)
        kernel = evaluate_kernel(model, params, target.name, now)
        if kernel is not None:
            yield kernel
