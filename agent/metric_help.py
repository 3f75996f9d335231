"""HELP texts of the result metrics that /metrics exports (``patrol_<name>``).

A result metric is named by its collector; the exporter turns it into Prometheus base
units (``_days`` -> ``_seconds``, ``_percent`` -> ``_ratio``, a ``_count`` gauge loses the
suffix, which Prometheus reserves for histograms and summaries). Each gets a HELP text
that says what was measured and by which check: the curated sentence below when there
is one, else one built from the name, the unit and the checks that reported it.
"""

from __future__ import annotations

from collections.abc import Iterable

# Keyed by the exported name without "patrol_".
METRIC_HELP = {
    "active_products": "Antivirus products active on the computer (the standard allows one)",
    "clock_offset_seconds": "Offset of the system clock from its NTP source, seconds",
    "config_lines": "Lines in the backed-up device configuration",
    "cpu_busy_ratio": "Share of time the CPU was busy over a short sample (0-1)",
    "disk_free_bytes": "Free space on the volume (item: mount point or drive)",
    "disk_used_ratio": "Used share of the volume (0-1; item: mount point or drive)",
    "kernel_error_lines": "Kernel error lines in the current boot (after kernel_ignore)",
    "load15_per_core_ratio": "15-minute load average divided by the number of cores",
    "memory_available_bytes": "Memory available to programs without swapping",
    "memory_used_ratio": "Used share of physical memory (0-1)",
    "missing_security_updates": "Security updates available but not installed",
    "missing_updates": "Updates available but not installed, by severity label",
    "oldest_job_age_seconds": "Age of the oldest job waiting in the print queue, seconds",
    "password_expiry_seconds": "Time until the service account's password expires, seconds",
    "ports": "Ports (interfaces) the switch reports",
    "ports_down": "Ports administratively up but operationally down",
    "ports_up": "Ports operationally up",
    "queued_jobs": "Jobs waiting in the print queue",
    "response_time_seconds": "Time the device took to answer the check's first request, seconds",
    "signature_age_seconds": "Age of the newest antivirus signatures, seconds",
    "stuck_jobs": "Print jobs still not printed after the stuck threshold",
    "supply_level_ratio": "Level of a printer supply (toner, ink, drum; 0-1; item: the supply)",
    "swap_used_ratio": "Used share of swap space (0-1)",
    "temperature_celsius": "Temperature reported by the device's sensor (item: the sensor)",
    "uptime_seconds": "Time since the system or device last started, seconds",
    "web_cert_expiry_seconds": "Time until the site's TLS certificate expires, seconds",
}

_UNITS = {"seconds": "seconds", "bytes": "bytes", "ratio": "a ratio 0-1", "celsius": "degrees Celsius",
          "bits_per_second": "bits per second", "packets_per_second": "packets per second", "total": "a running total"}


def metric_help(name: str, unit: str | None, checks: Iterable[str]) -> str:
    """The HELP text of ``patrol_<name>``, naming the checks that reported it."""
    by = ", ".join(sorted(set(checks)))
    text = METRIC_HELP.get(name)
    if text is None:
        words = name.replace("_", " ")
        for suffix, unit_text in _UNITS.items():
            if name.endswith("_" + suffix):
                words = f"{name[: -len(suffix) - 1].replace('_', ' ')} ({unit_text})"
                break
        else:
            if unit and unit not in ("count", "total"):
                words += f" ({unit.replace('_', ' ')})"
        text = words[:1].upper() + words[1:]
    return f"{text}; reported by {by}" if by else text
