"""RHEL family (dnf 4): pending updates, security advisories with severity, reboot needed.

Four read-only commands (formats as dnf 4 prints them with LC_ALL=C; see the recorded
and constructed samples in tests/patches/fixtures/dnf/)::

    dnf -q check-update             exit 100 when updates exist; "name.arch  version  repo" lines
    dnf -q updateinfo list          "RHSA-2023:5312 Important/Sec. open-vm-tools-12.1.5-1.el9_2.1.x86_64"
    dnf -q updateinfo info          blocks with "Update ID:", "Severity:", "Issued:"/"Updated:"
    dnf -q needs-restarting -r      exit 1 when a reboot is needed (dnf-plugins-core)

Repositories without updateinfo (CentOS Stream, some mirrors) list no advisories: then
every update counts as "unspecified", not security (said in the result's details).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from collectors.base import CollectorIO, FetchError, ParseError
from collectors.messages import Messages, Said
from collectors.patches import MSG as PATCHES, SEVERITIES, PatchReport, PendingUpdate, RebootState

# "RHSA-2023:5312 Important/Sec. open-vm-tools-12.1.5-1.el9_2.1.x86_64"
ADVISORY_LINE = re.compile(r"^(?P<id>\S+)\s+(?P<type>\S+)\s+(?P<nevra>\S+)\s*$")
# "open-vm-tools.x86_64   12.1.5-1.el9_2.1   rhel-9-for-x86_64-appstream-rpms"
PACKAGE_LINE = re.compile(r"^(?P<name>\S+)\.(?P<arch>[A-Za-z0-9_]+)\s+(?P<version>\S+)\s+(?P<repo>\S+)\s*$")
INFO_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z ]+?)\s*:\s(?P<value>.*)$")
METADATA_GLOB = "var/cache/dnf/*/repodata/repomd.xml"


@dataclass(frozen=True, slots=True)
class DnfSample:
    check_update: tuple[int, str, str]  # returncode, stdout, stderr
    updateinfo_list: tuple[int, str, str]
    updateinfo_info: tuple[int, str, str]
    needs_restarting: tuple[int, str, str] | None  # None: the plugin is missing
    metadata_mtime: float | None


def _run(io: CollectorIO, argv: list[str], timeout: float) -> tuple[int, str, str]:
    try:
        out = io.run(argv, timeout=timeout)
    except FileNotFoundError:
        raise FetchError(f"{argv[0]} not found") from None
    except TimeoutError:
        raise FetchError(f"{' '.join(argv[1:4])} did not finish within {timeout:g} s") from None
    return out.returncode, out.stdout.decode("utf-8", "replace"), out.stderr.decode("utf-8", "replace")


def fetch(params: Any, io: CollectorIO) -> DnfSample:
    base = [params.dnf.command, "-q"] + (["-C"] if params.dnf.cache_only else [])
    timeout = params.command_timeout_s
    check = _run(io, base + ["check-update"], timeout)
    listing = _run(io, base + ["updateinfo", "list", "--available"], timeout)
    info = _run(io, base + ["updateinfo", "info", "--available"], timeout)
    try:
        restart: tuple[int, str, str] | None = _run(io, base + ["needs-restarting", "-r"], timeout)
    except FetchError:
        restart = None
    newest = None
    for path in io.fs_root.glob(METADATA_GLOB):
        try:
            newest = max(newest or 0.0, path.stat().st_mtime)
        except OSError:
            continue
    return DnfSample(check, listing, info, restart, newest)


def _fail(what: str, rc: int, stderr: str) -> Said:
    """dnf's first error line (data), or Patrol's words for a silent failure (translated)."""
    first = next((ln.strip() for ln in stderr.splitlines() if ln.strip()), None)
    return MSG.say("patches.failed", command=f"dnf {what}", error=first or MSG.ref("patches.exit_code", code=rc))


def parse_check_update(text: str) -> list[tuple[str, str, str]]:
    """(name, arch, version) of each pending update; stops at "Obsoleting Packages"."""
    found = []
    for line in text.splitlines():
        if line.startswith("Obsoleting"):
            break
        match = PACKAGE_LINE.match(line)
        if match and not line.startswith("Last metadata"):
            found.append((match["name"], match["arch"], match["version"]))
    return found


def parse_list(text: str) -> list[tuple[str, str, bool, str]]:
    """(advisory, severity, security, nevra) per line."""
    found = []
    for line in text.splitlines():
        match = ADVISORY_LINE.match(line)
        if not match or line.startswith("Last metadata"):
            continue
        kind = match["type"]
        severity, _, sec = kind.partition("/")
        security = sec.lower().startswith("sec") or kind.lower() == "security"
        level = severity.lower() if security and severity.lower() in SEVERITIES else "unspecified"
        found.append((match["id"], level, security, match["nevra"]))
    return found


def parse_info(text: str) -> dict[str, datetime]:
    """Advisory id -> issued (or else updated) date."""
    dates: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        match = INFO_FIELD.match(line)
        if not match:
            continue
        key, value = match["key"].strip().lower(), match["value"].strip()
        if key == "update id":
            current = dates.setdefault(value, {})
        elif current is not None and key in ("issued", "updated"):
            current[key] = value
    out = {}
    for advisory, fields in dates.items():
        text_date = fields.get("issued") or fields.get("updated")
        if not text_date:
            continue
        try:
            out[advisory] = datetime.strptime(text_date[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
        except ValueError:
            try:
                out[advisory] = datetime.strptime(text_date[:10], "%Y-%m-%d").replace(tzinfo=timezone.utc)
            except ValueError:
                raise ParseError(f"dnf updateinfo info: {advisory}: unreadable date {text_date!r}") from None
    return out


def parse(sample: DnfSample) -> PatchReport:
    rc, out, err = sample.check_update
    error = None if rc in (0, 100) else _fail("check-update", rc, err)
    updates: list[PendingUpdate] = []
    notes: list[str] = []
    if error is None:
        for step, (src, _, serr) in (("updateinfo list", sample.updateinfo_list), ("updateinfo info", sample.updateinfo_info)):
            if src != 0:
                error = _fail(step, src, serr)
        if error is None:
            released = parse_info(sample.updateinfo_info[1])
            advisories = parse_list(sample.updateinfo_list[1])
            by_nevra: dict[str, tuple[str, str, bool]] = {}
            for advisory, severity, security, nevra in advisories:
                previous = by_nevra.get(nevra)
                # A package fixed by several advisories takes the most severe one.
                if previous is None or (security, -SEVERITIES.index(severity)) > (previous[2], -SEVERITIES.index(previous[1])):
                    by_nevra[nevra] = (advisory, severity, security)
            for name, arch, version in parse_check_update(out):
                advisory, severity, security = by_nevra.pop(f"{name}-{version}.{arch}", ("", "unspecified", False))
                updates.append(PendingUpdate(f"{name}.{arch}", severity, security, advisory=advisory, version=version,
                                             released=released.get(advisory)))
            for nevra, (advisory, severity, security) in by_nevra.items():
                updates.append(PendingUpdate(nevra, severity, security, advisory=advisory, released=released.get(advisory)))
            if updates and not advisories:
                notes.append("the repositories publish no updateinfo: security updates cannot be told apart")
    reboot = RebootState(None, reasons=("dnf needs-restarting is not available (install dnf-plugins-core)",))
    if sample.needs_restarting is not None:
        rrc, rout, _ = sample.needs_restarting
        if rrc in (0, 1):
            lines = tuple(ln.strip(" *") for ln in rout.splitlines() if ln.strip().startswith("*"))
            reboot = RebootState(rrc == 1, reasons=lines if rrc == 1 else ())
    last = datetime.fromtimestamp(sample.metadata_mtime, timezone.utc) if sample.metadata_mtime is not None else None
    return PatchReport("dnf", tuple(updates), last, MSG.say("patches.dnf.metadata_refreshed"), reboot, error, tuple(notes))


# Patrol's own words (translated in reports); the command and dnf's error line are data.
MSG = Messages({
    "patches.dnf.metadata_refreshed": "repository metadata refreshed",
}, PATCHES)
