"""Linux print system: CUPS, asked over IPP (its own protocol, no lpstat output to scrape).

Two requests: CUPS-Get-Printers for every queue's state, Get-Jobs (not-completed) for
jobs that wait. A decoded CUPS 2.4 reply for one queue (raw bytes recorded in
tests/printers/fixtures/ipp/)::

    printer-name: dead   printer-state: 4 (processing)   printer-is-accepting-jobs: true
    printer-state-reasons: none   device-uri: socket://127.0.0.1:9
    printer-state-message: The printer may not exist or is unavailable at this time.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

from collectors.base import CollectorIO, FetchError, ParseError
from collectors.printing import ipp
from collectors.printing.model import PrintJob, PrintQueue, PrintSystem

DEFAULT_SOCKETS = ("/run/cups/cups.sock", "/var/run/cups/cups.sock")

PRINTER_ATTRIBUTES = ("printer-name", "printer-state", "printer-state-reasons", "printer-is-accepting-jobs",
                      "printer-state-message", "device-uri")
# No job-name or user name: a check reads the system's state, never what people print.
JOB_ATTRIBUTES = ("job-id", "job-state", "job-state-reasons", "job-printer-uri", "time-at-creation")

_PRINTER_STATE = {3: "idle", 4: "processing", 5: "stopped"}  # RFC 8011 5.4.11
# RFC 8011 5.3.7: 3 pending, 4 pending-held, 5 processing, 6 processing-stopped;
# 7-9 (canceled, aborted, completed) are not asked for.
_JOB_STATE = {3: "pending", 4: "held", 5: "processing", 6: "stopped"}


@dataclass(frozen=True, slots=True)
class CupsReplies:
    """What fetch got: the raw IPP replies, or why CUPS could not be asked."""

    server: str
    printers: bytes | None = None
    jobs: bytes | None = None
    down: str | None = None  # CUPS refused the connection: the spooler is not running
    absent: bool = False  # nothing configured and nothing at the default places: no CUPS here


# RFC 8011 says clients SHOULD send requesting-user-name. CUPS 2.4 answers Get-Jobs about 25x
# slower without it (measured: 150 jobs, ~140 ms without, ~6 ms with).
def printers_request(user: str = "patrol") -> bytes:
    return ipp.encode_request(ipp.CUPS_GET_PRINTERS, 1, [(ipp.NAME, "requesting-user-name", [user]),
                                                         (ipp.KEYWORD, "requested-attributes", PRINTER_ATTRIBUTES)])


def jobs_request(user: str = "patrol") -> bytes:
    # "ipp://localhost/" asks for the jobs of every queue (as lpstat -o does).
    return ipp.encode_request(ipp.GET_JOBS, 2, [(ipp.URI, "printer-uri", ["ipp://localhost/"]),
                                                (ipp.NAME, "requesting-user-name", [user]),
                                                (ipp.KEYWORD, "which-jobs", ["not-completed"]),
                                                (ipp.KEYWORD, "requested-attributes", JOB_ATTRIBUTES)])


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container with an arbitrary uid)
        return "patrol"


def resolve_server(configured: str | None, environ: Mapping[str, str], io: CollectorIO) -> tuple[ipp.IppServer, bool]:
    """The server to ask and whether someone chose it (config or CUPS_SERVER) rather than a default."""
    chosen = configured or environ.get("CUPS_SERVER") or None
    if chosen:
        return parse_server(chosen), True
    for path in DEFAULT_SOCKETS:
        if io.path(path).exists():
            return ipp.IppServer(socket_path=str(io.path(path))), False
    return ipp.IppServer(), False


def parse_server(text: str) -> ipp.IppServer:
    """``/run/cups/cups.sock``, ``host``, ``host:port`` or ``[v6]:port`` (CUPS_SERVER syntax)."""
    text = text.strip()
    if text.startswith("/"):
        return ipp.IppServer(socket_path=text)
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and host and (not ":" in host or host.startswith("[")):
        return ipp.IppServer(host.strip("[]"), int(port))
    return ipp.IppServer(text.strip("[]"), 631)


def fetch(configured: str | None, timeout: float, io: CollectorIO,
          environ: Mapping[str, str] | None = None) -> CupsReplies:
    server, chosen = resolve_server(configured, os.environ if environ is None else environ, io)
    try:
        user = _user()
        printers = server.post(printers_request(user), timeout=timeout)
        jobs = server.post(jobs_request(user), timeout=timeout)
    except (ConnectionRefusedError, FileNotFoundError) as exc:
        if not chosen and server.socket_path is None:
            return CupsReplies(str(server), absent=True)
        return CupsReplies(str(server), down=f"CUPS at {server} refused the connection ({exc.strerror or exc})")
    except (socket.timeout, TimeoutError):
        raise FetchError(f"CUPS at {server} did not answer within {timeout:g} s") from None
    except ipp.IppError as exc:
        raise FetchError(str(exc)) from None
    except OSError as exc:
        raise FetchError(f"cannot reach CUPS at {server}: {exc.strerror or exc}") from None
    return CupsReplies(str(server), printers, jobs)


def _one(attrs: Mapping[str, tuple], name: str, default=None):
    values = attrs.get(name) or ()
    return values[0] if values else default


def redact_uri(uri: str) -> str:
    """A device URI without ``user:password@`` (smb://user:pass@server/queue is common)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "(unparsable device URI)"
    if "@" not in parts.netloc:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _decode(data: bytes, what: str, server: str) -> ipp.IppResponse:
    try:
        reply = ipp.decode_response(data)
    except ipp.IppError as exc:
        raise ParseError(f"CUPS at {server}: {what} reply is not valid IPP: {exc}") from None
    if not reply.ok and reply.status != ipp.STATUS_NOT_FOUND:
        raise ParseError(f"CUPS at {server} refused {what} (IPP status 0x{reply.status:04x})")
    return reply


def parse(raw: CupsReplies) -> PrintSystem:
    source = f"CUPS at {raw.server}"
    if raw.absent:
        return PrintSystem(source, None, "no CUPS on this computer (nothing at the default socket or 127.0.0.1:631)")
    if raw.down is not None:
        return PrintSystem(source, False, raw.down)
    if raw.printers is None or raw.jobs is None:
        raise ParseError(f"{source}: no reply recorded")
    queues = []
    for attrs in _decode(raw.printers, "CUPS-Get-Printers", raw.server).of(ipp.PRINTER_GROUP):
        name = _one(attrs, "printer-name")
        if not isinstance(name, str) or not name:
            raise ParseError(f"{source}: a printer without printer-name in CUPS-Get-Printers")
        reasons = tuple(str(r) for r in attrs.get("printer-state-reasons", ()) if r and r != "none")
        queues.append(PrintQueue(
            name=name,
            state=_PRINTER_STATE.get(_one(attrs, "printer-state"), "unknown"),  # type: ignore[arg-type]
            accepting=bool(_one(attrs, "printer-is-accepting-jobs", True)),
            reasons=reasons,
            message=str(_one(attrs, "printer-state-message", "") or ""),
            device=redact_uri(str(_one(attrs, "device-uri", "") or ""))))
    jobs = []
    for attrs in _decode(raw.jobs, "Get-Jobs", raw.server).of(ipp.JOB_GROUP):
        state = _JOB_STATE.get(_one(attrs, "job-state"))
        job_id, printer_uri = _one(attrs, "job-id"), _one(attrs, "job-printer-uri", "")
        if state is None or not isinstance(job_id, int):
            continue  # finished between the two requests, or a state we did not ask for
        created = _one(attrs, "time-at-creation")
        jobs.append(PrintJob(
            queue=str(printer_uri).rstrip("/").rsplit("/", 1)[-1],
            job_id=job_id, state=state,  # type: ignore[arg-type]
            created_at=datetime.fromtimestamp(created, timezone.utc) if isinstance(created, int) and created > 0 else None,
            reasons=tuple(str(r) for r in attrs.get("job-state-reasons", ()) if r and r != "none")))
    return PrintSystem(source, True, "answering", tuple(queues), tuple(jobs))
