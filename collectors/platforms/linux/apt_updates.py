"""Debian/Ubuntu: pending upgrades from a simulated ``apt-get dist-upgrade`` (changes nothing).

``-s`` only prints what would happen and ``Debug::NoLocking`` lets it run beside a
running apt without touching the lock. Sample line (Debian 12, LC_ALL=C)::

    Inst libssl3 [3.0.17-1~deb12u2] (3.0.17-1~deb12u3 Debian-Security:12/oldstable-security [amd64])
    Inst python3-jwt [2.6.0-1] (2.6.0-1+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [all])
    Inst linux-image-6.1.0-42-amd64 (6.1.192-2 Debian-Security:12/oldstable-security [amd64])   <- new package

The parenthesis lists every archive offering that version as ``label:version/suite``
(``label:suite`` when the archive's Release file has no Version);
an update is a security update when any label or suite matches the security pattern
(``-security$``: Debian-Security, bookworm-security, jammy-security).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from collectors.base import CollectorIO, FetchError, ParseError
from collectors.messages import Messages, Said
from collectors.patches import MSG as PATCHES, PatchReport, PendingUpdate, RebootState

INST = re.compile(r"^Inst (?P<name>\S+)(?: \[(?P<old>[^\]]*)\])? \((?P<new>\S+)(?: (?P<origins>.*?))?(?: \[(?P<arch>[^\]]+)\])?\)")
# Written only after a successful `apt-get update` by apt.systemd.daily (Debian) and
# update-notifier-common's APT::Update::Post-Invoke-Success hook (Ubuntu).
SUCCESS_STAMP = "var/lib/apt/periodic/update-success-stamp"
LISTS = "var/lib/apt/lists"


@dataclass(frozen=True, slots=True)
class AptSample:
    stdout: bytes
    stderr: str
    returncode: int
    security_pattern: str
    reboot_required: bool
    reboot_mtime: float | None
    reboot_packages: str
    last_update: float | None
    last_update_what: Said


def _base(params: Any, io: CollectorIO) -> Path:
    return Path(params.apt.root) if params.apt.root else io.fs_root


def newest_list_time(base: Path) -> tuple[float | None, Said]:
    """When the package lists were last refreshed successfully, and how we know."""
    stamp = base / SUCCESS_STAMP
    try:
        return stamp.stat().st_mtime, MSG.say("patches.apt.refreshed", source="update-success-stamp")
    except OSError:
        pass
    # apt moves a Release/InRelease file into lists/ only after its signature checked out,
    # so the newest one dates the last successful update (it may keep the server's
    # Last-Modified time, which is never later than the download).
    newest = None
    try:
        for path in (base / LISTS).iterdir():
            if path.name.endswith(("_InRelease", "_Release")):
                mtime = path.stat().st_mtime
                newest = mtime if newest is None else max(newest, mtime)
    except OSError:
        pass
    return newest, MSG.say("patches.apt.refreshed", source=MSG.ref("patches.apt.newest_release"))


def fetch(params: Any, io: CollectorIO) -> AptSample:
    apt = params.apt
    argv = [apt.command, "-s", "-o", "Debug::NoLocking=1", "-o", "APT::Get::Show-User-Simulation-Note=false"]
    if apt.root:
        argv += ["-o", f"Dir={apt.root}", "-o", f"Dir::State::status={apt.root.rstrip('/')}/var/lib/dpkg/status"]
    argv.append("dist-upgrade")
    try:
        out = io.run(argv, timeout=params.command_timeout_s)
    except FileNotFoundError:
        raise FetchError(f"{apt.command} not found") from None
    except TimeoutError:
        raise FetchError(f"apt-get -s dist-upgrade did not finish within {params.command_timeout_s:g} s") from None
    base = _base(params, io)
    reboot = base / apt.reboot_required_file.lstrip("/")
    try:
        reboot_mtime: float | None = reboot.stat().st_mtime
        required = True
    except FileNotFoundError:
        reboot_mtime, required = None, False
    try:
        packages = (base / (apt.reboot_required_file.lstrip("/") + ".pkgs")).read_text(errors="replace")
    except OSError:
        packages = ""
    last, what = newest_list_time(base)
    return AptSample(out.stdout, out.stderr.decode("utf-8", "replace"), out.returncode, apt.security_pattern,
                     required, reboot_mtime, packages, last, what)


def parse_simulation(text: str, security_pattern: str) -> tuple[PendingUpdate, ...]:
    pattern = re.compile(security_pattern)
    updates = []
    for line in text.splitlines():
        match = INST.match(line)
        if not match:
            continue
        origins = [o.strip() for o in (match["origins"] or "").split(",") if o.strip()]
        security = False
        for origin in origins:
            # "Debian-Security:12/oldstable-security", or "Label:suite" when the Release has no Version
            label, _, rest = origin.partition(":")
            suite = rest.rpartition("/")[2]
            if pattern.search(label) or pattern.search(suite):
                security = True
        updates.append(PendingUpdate(name=match["name"], severity="unspecified", security=security,
                                     version=f"{match['old'] or '(new)'} -> {match['new']}"))
    return tuple(updates)


def _ts(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if value is not None else None


def parse(sample: AptSample) -> PatchReport:
    error: Said | None = None
    updates: tuple[PendingUpdate, ...] = ()
    if sample.returncode != 0:
        lines = [ln.strip() for ln in sample.stderr.splitlines() if ln.strip()]
        # apt's own error line (data), or Patrol's words for a silent failure (translated).
        first = next((ln for ln in lines if ln.startswith("E:")), lines[0] if lines else None)
        error = MSG.say("patches.failed", command="apt-get -s dist-upgrade",
                        error=first or MSG.ref("patches.exit_code", code=sample.returncode))
    else:
        try:
            text = sample.stdout.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"apt-get output is not UTF-8 (byte offset {exc.start})") from None
        updates = parse_simulation(text, sample.security_pattern)
    packages = tuple(p.strip() for p in sample.reboot_packages.splitlines() if p.strip())
    reasons = ("/var/run/reboot-required exists",) + ((f"packages: {', '.join(sorted(set(packages)))}",) if packages else ())
    reboot = RebootState(sample.reboot_required, _ts(sample.reboot_mtime), reasons if sample.reboot_required else ())
    return PatchReport("apt", updates, _ts(sample.last_update), sample.last_update_what, reboot, error,
                       severity_rated=False)


# Patrol's own words (translated in reports); apt's error line, the command and file names are data.
MSG = Messages({
    "patches.apt.refreshed": "package lists refreshed ({source})",
    "patches.apt.newest_release": "newest Release file",
}, PATCHES)
