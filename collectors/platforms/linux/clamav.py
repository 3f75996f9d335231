"""ClamAV on Linux: daemons running (from /proc) and signature age from the database headers.

A .cvd/.cld file starts with a 512-byte ASCII header, space padded (libclamav cvd.c,
sigtool.c)::

    ClamAV-VDB:22 Nov 2026 04-21 -0500:27462:2071334:90:<md5>:<dsig>:raynman:1763803260

fields: build time (``%d %b %Y %H-%M %z``), version, signature count, functionality
level, MD5, digital signature, builder, and the build time again as unix seconds. The
newest database (normally daily) dates the signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from collectors.antivirus import AvProduct, ProductState
from collectors.base import CollectorIO, ParseError, State
from collectors.messages import Messages, Said
from collectors.platforms.linux.av_proc import any_running, process_names

NAME = "clamav"
PRODUCT = "ClamAV"
HEADER_SIZE = 512
MAGIC = "ClamAV-VDB"
DATABASE_SUFFIXES = (".cvd", ".cld")


@dataclass(frozen=True, slots=True)
class DbHeader:
    file: str
    version: int
    signatures: int
    built: datetime


@dataclass(frozen=True, slots=True)
class ClamavSample:
    """What fetch saw: installation, running processes, and the first 512 bytes of each database."""

    installed: bool
    database_dir: str
    headers: tuple[tuple[str, bytes], ...]
    processes: frozenset[str]
    settings: Any  # ClamavSettings: which process names mean what
    dir_error: Said | None = None  # Patrol's words: translated in reports


def parse_header(file: str, data: bytes) -> DbHeader:
    text = data[:HEADER_SIZE].decode("ascii", "replace").rstrip(" \x00\n")
    fields = text.split(":")
    if fields[0] != MAGIC or len(fields) < 9:
        raise ParseError(f"{file}: not a ClamAV database header ({text[:30]!r})")
    # Read from the right: the build-time text is the only field that could hold ':'.
    version, sigs, stime = fields[-7], fields[-6], fields[-1]
    try:
        built = datetime.fromtimestamp(int(stime), timezone.utc)
    except ValueError:
        try:
            built = datetime.strptime(":".join(fields[1:-7]), "%d %b %Y %H-%M %z").astimezone(timezone.utc)
        except ValueError:
            raise ParseError(f"{file}: unreadable build time {':'.join(fields[1:-7])!r} / {stime!r}") from None
    try:
        return DbHeader(file, int(version), int(sigs), built)
    except ValueError:
        raise ParseError(f"{file}: version {version!r} or signature count {sigs!r} is not a number") from None


def fetch(params: Any, io: CollectorIO) -> ClamavSample | None:
    settings = params.clamav
    if not settings.enabled:
        return None
    db_dir = io.path(settings.database_dir)
    headers: list[tuple[str, bytes]] = []
    dir_error = None
    try:
        files = sorted(p for p in db_dir.iterdir() if p.suffix in DATABASE_SUFFIXES)
    except FileNotFoundError:
        files, dir_error = [], MSG.say("antivirus.clamav.no_dir", path=settings.database_dir)
    except OSError as exc:
        files, dir_error = [], MSG.say("antivirus.clamav.unreadable_dir", path=settings.database_dir,
                                           error=str(exc.strerror))  # the OS error: data
    for path in files:
        try:
            with path.open("rb") as fh:
                headers.append((path.name, fh.read(HEADER_SIZE)))
        except OSError as exc:
            headers.append((path.name, f"unreadable: {exc.strerror}".encode()))
    installed = any(io.path(p).exists() for p in settings.installed_paths) or bool(headers)
    return ClamavSample(installed, settings.database_dir, tuple(headers), process_names(io), settings, dir_error)


def parse(sample: ClamavSample | None) -> tuple[AvProduct, ...]:
    if sample is None or not sample.installed:
        return ()
    s = sample.settings
    dbs: list[DbHeader] = []
    problems: list[tuple[State, str | Said]] = []
    for file, data in sample.headers:
        try:
            dbs.append(parse_header(file, data))
        except ParseError as exc:
            problems.append((State.WARN, str(exc)))
    daemon = any_running(sample.processes, s.daemon_processes)
    updater = any_running(sample.processes, s.updater_processes)
    on_access = any_running(sample.processes, s.on_access_processes)
    if daemon or on_access:
        state, mode = ProductState.ON, MSG.say("antivirus.clamav.running", name=daemon or on_access)
    else:
        state, mode = ProductState.OFF, MSG.say("antivirus.clamav.stopped", names=" / ".join(s.daemon_processes))
    if s.require_updater and not updater:
        problems.append((State.WARN, MSG.say("antivirus.clamav.updater_stopped", names=" / ".join(s.updater_processes))))
    newest = max(dbs, key=lambda d: d.built, default=None)
    missing: Said | None = None
    if newest is None:
        missing = sample.dir_error or MSG.say("antivirus.clamav.no_databases", path=sample.database_dir)
    details = "; ".join(f"{d.file}: version {d.version}, {d.signatures} signatures, built {d.built:%Y-%m-%d %H:%M} UTC"
                        for d in dbs)
    return (AvProduct(
        name=PRODUCT, source=NAME, state=state, mode=mode, owner="third party",
        realtime=on_access is not None, realtime_required=s.require_on_access,
        signatures_updated=newest.built if newest else None, signatures_missing=missing,
        problems=tuple(problems), details=details or f"database directory {sample.database_dir}"),)


# Patrol's own words about ClamAV (translated in reports); process names, paths and the OS's
# error text are parameters (data). A header ParseError stays as the parser worded it.
MSG = Messages({
    "antivirus.clamav.running": "{name} running",
    "antivirus.clamav.stopped": "{names} not running",
    "antivirus.clamav.updater_stopped": "{names} not running: signatures are not being updated",
    "antivirus.clamav.no_dir": "database directory {path} does not exist",
    "antivirus.clamav.unreadable_dir": "cannot read {path}: {error}",
    "antivirus.clamav.no_databases": "no signature databases (.cvd/.cld) in {path}",
})
