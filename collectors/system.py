"""System health (checklist item 11): CPU, load, memory, swap, disks, uptime, services, clock.

fetch reads psutil (and systemctl/PowerShell for services, chronyc for the clock) into a
plain, JSON-able sample; parse turns that sample into a typed model; evaluate applies the
thresholds. Tests feed recorded samples to parse/evaluate and run fetch on this machine.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar

from collectors.base import (CheckResult, CollectorIO, CommandOutput, FetchError, Metric, ParseError, State,
                             threshold_state)
from collectors.messages import COMMON, Messages, Said, duration
from collectors.platforms.services import ServiceStatus, fetch_services, source_for
from collectors.platforms.shutdown import LastShutdown, fetch_last_shutdown, parse_last_shutdown
from collectors.system_cpu import sample_cpu
from config.checks.system import MaintenanceWindow, SystemParams
from inventory.models import Host, Inventory


@dataclass(frozen=True, slots=True)
class DiskUsage:
    mountpoint: str
    device: str
    fstype: str
    total_bytes: int
    used_bytes: int
    free_bytes: int

    @property
    def used_percent(self) -> float:
        # psutil's percent ignores root-reserved blocks the same way df does: used / (used + free).
        usable = self.used_bytes + self.free_bytes
        return 100.0 * self.used_bytes / usable if usable else 0.0


@dataclass(frozen=True, slots=True)
class CpuSample:
    busy_percent: float  # the whole machine, all cores
    own_percent: float  # this agent's process tree, same scale

    @property
    def outside_percent(self) -> float:
        return max(0.0, self.busy_percent - self.own_percent)


@dataclass(frozen=True, slots=True)
class SystemSample:
    cpu_count: int
    load_15m: float | None
    cpu_percent: float | None  # a single sample without the agent's share (older recorded samples)
    memory_total_bytes: int
    memory_available_bytes: int
    swap_total_bytes: int
    swap_used_bytes: int
    disks: tuple[DiskUsage, ...]
    uptime_s: float
    services: tuple[ServiceStatus, ...]
    services_error: str | None
    processes: Mapping[str, bool]
    clock_offset_s: float | None
    clock_synchronized: bool | None
    cpu_samples: tuple[CpuSample, ...] = ()
    boot_time: float | None = None  # seconds since the epoch
    boot_utc_offset_s: int = 0  # the local time zone's offset at boot (maintenance windows are local)
    last_shutdown: LastShutdown | None = None


# --- fetch ---------------------------------------------------------------------------------

def fetch_sample(params: SystemParams, io: CollectorIO) -> dict[str, Any]:
    """Everything the system checks need, as plain values (the raw sample)."""
    import psutil  # imported here: the daemon's idle footprint does not pay for it until a check runs

    vm = psutil.virtual_memory()
    sw = psutil.swap_memory()
    disks = []
    seen_devices: set[int] = set()
    for part in psutil.disk_partitions(all=False):
        if part.fstype in params.disk.ignore_fstypes or part.mountpoint in params.disk.ignore_mountpoints:
            continue
        try:
            device_id = os.stat(part.mountpoint).st_dev
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:  # a stale network mount or a removed USB stick: skip, do not hang the check
            continue
        if device_id in seen_devices:  # a bind mount of a filesystem already listed (/run/netns on /)
            continue
        seen_devices.add(device_id)
        disks.append({"mountpoint": part.mountpoint, "device": part.device, "fstype": part.fstype,
                      "total": usage.total, "used": usage.used, "free": usage.free})
    try:
        load = psutil.getloadavg()[2]
    except (AttributeError, OSError):
        load = None
    raw: dict[str, Any] = {
        "cpu_count": psutil.cpu_count() or 1,
        "load_15m": load,
        "cpu_samples": sample_cpu(psutil, params.cpu_samples, params.cpu_sample_s),
        "memory": {"total": vm.total, "available": vm.available},
        "swap": {"total": sw.total, "used": sw.used},
        "disks": disks,
        "boot_time": psutil.boot_time(),
        "boot_utc_offset_s": _utc_offset(psutil.boot_time()),
        "now": io.clock().timestamp(),
        "platform": io.platform,
        "services": list(params.required_services),
        "processes": _running_processes(psutil, params.required_processes),
    }
    if params.required_services:
        try:
            raw["services_output"] = fetch_services(params.required_services, io)
        except (FetchError, TimeoutError) as exc:
            raw["services_error"] = str(exc)
    if raw["now"] - raw["boot_time"] < params.recent_reboot_s:  # only a recent reboot needs its cause
        raw["last_shutdown"] = fetch_last_shutdown(io)
    raw["chrony"] = _try(io, ["chronyc", "-c", "tracking"])
    if raw["chrony"] is None or raw["chrony"].returncode != 0:
        raw["timedatectl"] = _try(io, ["timedatectl", "show", "--property=NTPSynchronized", "--value"])
    return raw


def _utc_offset(epoch: float) -> int:
    import time

    return int(time.localtime(epoch).tm_gmtoff)


def _running_processes(psutil: Any, names: Sequence[str]) -> dict[str, bool]:
    if not names:
        return {}
    wanted = {n.lower(): n for n in names}
    seen = set()
    for proc in psutil.process_iter(["name"]):
        name = (proc.info.get("name") or "").lower()
        if name in wanted:
            seen.add(name)
    return {original: low in seen for low, original in wanted.items()}


def _try(io: CollectorIO, argv: list[str]) -> CommandOutput | None:
    try:
        return io.run(argv, timeout=5)
    except (FileNotFoundError, PermissionError, TimeoutError):
        return None


# --- parse ---------------------------------------------------------------------------------

def parse_sample(raw: Mapping[str, Any]) -> SystemSample:
    try:
        disks = tuple(DiskUsage(d["mountpoint"], d["device"], d["fstype"], int(d["total"]), int(d["used"]), int(d["free"]))
                      for d in raw["disks"])
        services: tuple[ServiceStatus, ...] = ()
        services_error = raw.get("services_error")
        if raw.get("services") and "services_output" in raw:
            try:
                services = source_for(raw["platform"]).parse(raw["services"], raw["services_output"])
            except (ParseError, FetchError) as exc:
                services_error = str(exc)
        offset, synced = parse_clock(raw.get("chrony"), raw.get("timedatectl"))
        cpu = tuple(CpuSample(float(c["busy"]), float(c["own"])) for c in raw.get("cpu_samples") or ())
        shutdown = parse_last_shutdown(raw["platform"], raw["last_shutdown"]) if "last_shutdown" in raw else None
        return SystemSample(
            cpu_count=int(raw["cpu_count"]),
            load_15m=None if raw.get("load_15m") is None else float(raw["load_15m"]),
            cpu_percent=None if raw.get("cpu_percent") is None else float(raw["cpu_percent"]),
            memory_total_bytes=int(raw["memory"]["total"]),
            memory_available_bytes=int(raw["memory"]["available"]),
            swap_total_bytes=int(raw["swap"]["total"]),
            swap_used_bytes=int(raw["swap"]["used"]),
            disks=disks,
            uptime_s=max(0.0, float(raw["now"]) - float(raw["boot_time"])),
            services=services,
            services_error=services_error,
            processes=dict(raw.get("processes", {})),
            clock_offset_s=offset,
            clock_synchronized=synced,
            cpu_samples=cpu,
            boot_time=float(raw["boot_time"]),
            boot_utc_offset_s=int(raw.get("boot_utc_offset_s", 0)),
            last_shutdown=shutdown,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"system sample is incomplete: {type(exc).__name__} {exc}") from None


def parse_clock(chrony: CommandOutput | None, timedatectl: CommandOutput | None) -> tuple[float | None, bool | None]:
    """Offset and sync state.

    ``chronyc -c tracking`` prints one CSV line; field 5 is the system time offset in seconds
    (sample: ``A9FEA97B,169.254.169.123,4,1732249000.123,0.000012345,-0.000001,...,Normal``).
    The last field is the leap status; "Not synchronised" means no usable source.
    ``timedatectl show --property=NTPSynchronized --value`` prints ``yes`` or ``no``.
    """
    if chrony is not None and chrony.returncode == 0:
        fields = chrony.stdout.decode("ascii", "replace").strip().split(",")
        if len(fields) >= 5:
            try:
                offset = abs(float(fields[4]))
            except ValueError:
                offset = None
            if offset is not None and math.isfinite(offset):
                return offset, fields[-1].strip() != "Not synchronised"
    if timedatectl is not None and timedatectl.returncode == 0:
        value = timedatectl.stdout.decode("ascii", "replace").strip()
        if value in ("yes", "no"):
            return None, value == "yes"
    return None, None


# --- evaluate ------------------------------------------------------------------------------

MSG = Messages({
    "system.load": "load {load:.2f} over 15 min on {cores} cores ({per_core:.2f} per core)",
    "system.cpu.outside": "CPU {busy:.0f}% busy outside this agent (samples {samples}%; the agent itself used {own:.0f}%)",
    "system.cpu.outside_over": "CPU {busy:.0f}% busy outside this agent (samples {samples}%; the agent itself used "
                               "{own:.0f}%), over the limit in all {n} samples",
    "system.cpu.busy": "CPU {busy:.0f}% busy",
    "system.memory": "memory {used:.0f}% used ({available:.1f} GiB available of {total:.1f} GiB)",
    "system.swap": "swap {used:.0f}% used of {total:.1f} GiB",
    "system.disk": "{mount} {used:.0f}% used, {free:.1f} GiB free of {total:.1f} GiB",
    "system.uptime": "up {up}",
    "system.uptime.window": "up {up}: rebooted in the maintenance window {days} {start}-{end} (planned)",
    "system.uptime.clean": "up {up}: rebooted after a clean shutdown ({detail}; planned)",
    "system.uptime.unexpected": "up {up}: rebooted unexpectedly ({detail})",
    "system.uptime.unknown": "up {up}: rebooted recently; whether it was planned is not known ({why})",
    "system.uptime.no_record": "the shutdown record was not read",
    "system.services.unreadable": "services cannot be read: {error}",
    "system.service.running": "service {name} running",
    "system.service.missing": "service {name} not installed",
    "system.service.stopped": "service {name} not running ({detail})",
    "system.process.running": "process {name} running",
    "system.process.stopped": "process {name} not running",
    "system.clock.offset": "clock offset {ms:.1f} ms",
    "system.clock.offset_unsynced": "clock offset {ms:.1f} ms, not synchronised",
    "system.clock.synced": "clock synchronised by NTP",
    "system.clock.unsynced": "clock not synchronised by NTP",
}, COMMON)


def evaluate_sample(sample: SystemSample, params: SystemParams, target: str, now: datetime) -> Iterable[CheckResult]:
    def result(check: str, item: str, state: State, said: Said, *metrics: Metric, details: str = "") -> CheckResult:
        return CheckResult(check, target, item, state, said.text, details, tuple(metrics), now, said.ref)

    if sample.load_15m is not None:
        per_core = sample.load_15m / max(1, sample.cpu_count)
        state = threshold_state(per_core, params.cpu_load_per_core.warn, params.cpu_load_per_core.crit)
        yield result("system.load", "", state, MSG.say("system.load", load=sample.load_15m, cores=sample.cpu_count,
                                                        per_core=per_core), Metric("load15_per_core_ratio", per_core, "ratio"))
    cpu = _cpu_result(sample, params)
    if cpu is not None:
        yield result("system.cpu", "", *cpu)

    total, avail = sample.memory_total_bytes, sample.memory_available_bytes
    used_pct = 100.0 * (total - avail) / total if total else 0.0
    yield result("system.memory", "", threshold_state(used_pct, params.memory_used_percent.warn, params.memory_used_percent.crit),
                 MSG.say("system.memory", used=used_pct, available=avail / 1024**3, total=total / 1024**3),
                 Metric("memory_used_ratio", used_pct / 100, "ratio"),
                 Metric("memory_available_bytes", avail, "bytes"))

    if sample.swap_total_bytes:
        swap_pct = 100.0 * sample.swap_used_bytes / sample.swap_total_bytes
        yield result("system.swap", "", threshold_state(swap_pct, params.swap_used_percent.warn, params.swap_used_percent.crit),
                     MSG.say("system.swap", used=swap_pct, total=sample.swap_total_bytes / 1024**3),
                     Metric("swap_used_ratio", swap_pct / 100, "ratio"))

    for disk in sample.disks:
        pct = disk.used_percent
        by_pct = threshold_state(pct, params.disk.used_percent.warn, params.disk.used_percent.crit)
        roomy = params.disk.percent_ignored_above_free_bytes
        if roomy is not None and disk.free_bytes >= roomy:
            by_pct = State.OK
        by_free = threshold_state(disk.free_bytes, params.disk.free_bytes_min.warn, params.disk.free_bytes_min.crit,
                                  higher_is_worse=False)
        state = State.worst(by_pct, by_free)
        yield result("system.disk", disk.mountpoint, state,
                     MSG.say("system.disk", mount=disk.mountpoint, used=pct, free=disk.free_bytes / 1024**3,
                             total=disk.total_bytes / 1024**3),
                     Metric("disk_used_ratio", pct / 100, "ratio"), Metric("disk_free_bytes", disk.free_bytes, "bytes"),
                     details=f"device {disk.device}, {disk.fstype}")

    state, summary = _uptime(sample, params)
    yield result("system.uptime", "", state, summary, Metric("uptime_seconds", sample.uptime_s, "seconds"))

    if params.required_services:
        if sample.services_error:
            yield result("system.service", "", State.UNKNOWN,
                         MSG.say("system.services.unreadable", error=sample.services_error))
        for svc in sample.services:
            state = State.OK if svc.running else State.CRIT
            said = (MSG.say("system.service.running", name=svc.name) if svc.running
                    else MSG.say("system.service.missing", name=svc.name) if not svc.exists
                    else MSG.say("system.service.stopped", name=svc.name, detail=svc.detail))
            yield result("system.service", svc.name, state, said)

    for name, running in sample.processes.items():
        yield result("system.process", name, State.OK if running else State.CRIT,
                     MSG.say("system.process.running" if running else "system.process.stopped", name=name))

    if sample.clock_offset_s is not None:
        state = threshold_state(sample.clock_offset_s, params.clock_offset_s.warn, params.clock_offset_s.crit)
        if sample.clock_synchronized is False:
            state = State.worst(state, State.WARN)
        yield result("system.clock", "", state,
                     MSG.say("system.clock.offset" if sample.clock_synchronized else "system.clock.offset_unsynced",
                             ms=sample.clock_offset_s * 1000),
                     Metric("clock_offset_seconds", sample.clock_offset_s, "seconds"))
    elif sample.clock_synchronized is not None:
        yield result("system.clock", "", State.OK if sample.clock_synchronized else State.WARN,
                     MSG.say("system.clock.synced" if sample.clock_synchronized else "system.clock.unsynced"))


def _cpu_result(sample: SystemSample, params: SystemParams) -> tuple[State, Said, Metric] | None:
    """CPU busy outside the agent; an alarm only when every sample is over the threshold."""
    limits = params.cpu_percent
    if sample.cpu_samples:
        outside = [c.outside_percent for c in sample.cpu_samples]
        mean, lowest = sum(outside) / len(outside), min(outside)
        own = sum(c.own_percent for c in sample.cpu_samples) / len(sample.cpu_samples)
        state = threshold_state(lowest, limits.warn, limits.crit)
        shown = "/".join(f"{v:.0f}" for v in outside)
        summary = (MSG.say("system.cpu.outside", busy=mean, samples=shown, own=own) if state is State.OK else
                   MSG.say("system.cpu.outside_over", busy=mean, samples=shown, own=own, n=len(outside)))
        return state, summary, Metric("cpu_busy_ratio", round(mean / 100, 4), "ratio")
    if sample.cpu_percent is not None:
        state = threshold_state(sample.cpu_percent, limits.warn, limits.crit)
        return state, MSG.say("system.cpu.busy", busy=sample.cpu_percent), Metric("cpu_busy_ratio", sample.cpu_percent / 100, "ratio")
    return None


def in_window(moment_local: datetime, windows: Sequence[MaintenanceWindow]) -> MaintenanceWindow | None:
    """The window ``moment_local`` (a naive local time) falls in; a window past midnight
    belongs to the day it opens."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    minute = moment_local.hour * 60 + moment_local.minute
    for window in windows:
        start = int(window.start[:2]) * 60 + int(window.start[3:])
        end = int(window.end[:2]) * 60 + int(window.end[3:])
        today, yesterday = days[moment_local.weekday()], days[(moment_local.weekday() - 1) % 7]
        if start <= end and today in window.days and start <= minute < end:
            return window
        if start > end and ((today in window.days and minute >= start) or (yesterday in window.days and minute < end)):
            return window
    return None


def _uptime(sample: SystemSample, params: SystemParams) -> tuple[State, Said]:
    """A recent reboot is WARN only when unexpected; a planned one is information (OK)."""
    up = duration(sample.uptime_s)
    if sample.uptime_s >= params.recent_reboot_s:
        return State.OK, MSG.say("system.uptime", up=up)
    window = None
    if sample.boot_time is not None and params.maintenance_windows:
        local = datetime.fromtimestamp(sample.boot_time + sample.boot_utc_offset_s, timezone.utc).replace(tzinfo=None)
        window = in_window(local, params.maintenance_windows)
    shutdown = sample.last_shutdown
    if window is not None:
        return State.OK, MSG.say("system.uptime.window", up=up, days=",".join(window.days), start=window.start,
                                 end=window.end)
    if shutdown is not None and shutdown.kind == "clean":
        return State.OK, MSG.say("system.uptime.clean", up=up, detail=shutdown.detail)
    if shutdown is not None and shutdown.kind == "unexpected":
        return State.parse(params.unexpected_reboot_state), MSG.say("system.uptime.unexpected", up=up,
                                                                    detail=shutdown.detail)
    why = shutdown.detail if shutdown is not None else MSG.ref("system.uptime.no_record")
    return State.parse(params.unknown_reboot_state), MSG.say("system.uptime.unknown", up=up, why=why)


class SystemCollector:
    name: ClassVar[str] = "system"
    params_model: ClassVar[type[SystemParams]] = SystemParams

    def targets(self, params: SystemParams, inventory: Inventory) -> Sequence[Host]:
        return [inventory.local]

    def fetch(self, target: Host, params: SystemParams, io: CollectorIO) -> dict[str, Any]:
        return fetch_sample(params, io)

    def parse(self, raw: Mapping[str, Any]) -> SystemSample:
        return parse_sample(raw)

    def evaluate(self, model: SystemSample, params: SystemParams, target: Host, now: datetime) -> Iterable[CheckResult]:
        return evaluate_sample(model, params, target.name, now)

