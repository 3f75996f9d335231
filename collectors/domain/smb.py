"""The SMB step: each configured share opened and listed as the service account (fetch, bounded
in time), and the server's NTSTATUS classified into outcomes (parse, pure)."""

from __future__ import annotations

import logging
import math
import threading
import uuid
from typing import Any

from collectors.domain.model import Outcome, ShareRaw
from collectors.domain.wire import Scrubber
from config.checks.domain import DomainParams, split_unc

log = logging.getLogger(__name__)


def fetch_share(unc: str, params: DomainParams, password: str) -> ShareRaw:
    """Open and list one share, within 4 x connect_timeout_s whatever the server does.

    smbprotocol bounds only the connect and negotiate by a timeout; a server that stalls
    later (session setup, tree connect) would hold this thread for minutes. The exchange
    therefore runs in a helper thread; past the limit its connection is closed, which
    ends the helper's wait, and the share is reported as not answering.
    """
    limit = 4 * params.connect_timeout_s
    state: dict[str, Any] = {"phase": "connect"}
    done: list[ShareRaw] = []
    worker = threading.Thread(target=lambda: done.append(_open_and_list(unc, params, password, state)),
                              name="patrol-smb", daemon=True)
    worker.start()
    worker.join(limit)
    if done:
        return done[0]
    conn = state.get("conn")
    if conn is not None:
        try:
            conn.disconnect(close=False)
        except Exception:  # noqa: BLE001 - best effort on a connection already given up
            log.debug("domain: closing the stalled SMB connection to %s failed", unc, exc_info=True)
    return ShareRaw(unc, state["phase"], "TimeoutError", None, f"no answer within {limit:g} s")


def _open_and_list(unc: str, params: DomainParams, password: str, state: dict[str, Any]) -> ShareRaw:
    from smbprotocol.connection import Connection
    from smbprotocol.exceptions import SMBException, SMBResponseException
    from smbprotocol.file_info import FileInformationClass
    from smbprotocol.open import (CreateDisposition, CreateOptions, DirectoryAccessMask, FileAttributes,
                                  ImpersonationLevel, Open, ShareAccess)
    from smbprotocol.session import Session
    from smbprotocol.tree import TreeConnect

    assert params.account and params.realm
    scrub = Scrubber(password)
    server, share, path = split_unc(unc)
    phase = state["phase"] = "connect"
    conn = state["conn"] = Connection(uuid.uuid4(), server, params.smb_port, require_signing=True)
    try:
        conn.connect(timeout=max(1, math.ceil(params.connect_timeout_s)))
        phase = state["phase"] = "login"
        session = Session(conn, f"{params.account.username}@{params.realm}", password, auth_protocol=params.smb_auth)
        session.connect()
        phase = state["phase"] = "tree"
        tree = TreeConnect(session, rf"\\{server}\{share}")
        tree.connect()
        phase = state["phase"] = "open"
        folder = Open(tree, path)
        folder.create(ImpersonationLevel.Impersonation, DirectoryAccessMask.FILE_LIST_DIRECTORY,
                      FileAttributes.FILE_ATTRIBUTE_DIRECTORY, ShareAccess.FILE_SHARE_READ | ShareAccess.FILE_SHARE_WRITE,
                      CreateDisposition.FILE_OPEN, CreateOptions.FILE_DIRECTORY_FILE)
        phase = state["phase"] = "list"
        entries = folder.query_directory("*", FileInformationClass.FILE_NAMES_INFORMATION)
        folder.close()
        tree.disconnect()
        # "." and ".." are listed too; they are not content.
        return ShareRaw(unc, "done", entries=max(0, len(entries) - 2))
    except SMBResponseException as exc:
        return ShareRaw(unc, phase, type(exc).__name__, exc.status, scrub(str(exc)))
    except (SMBException, OSError, ValueError) as exc:
        name = "TimeoutError" if isinstance(exc, TimeoutError) else type(exc).__name__
        return ShareRaw(unc, phase, name, None, scrub(str(exc)))
    finally:
        try:
            conn.disconnect()
        except (SMBException, OSError, ValueError):
            pass  # never connected or already gone


# NTSTATUS values the server answers (MS-ERREF 2.3.1).
NTSTATUS: dict[int, tuple[str, str]] = {
    0xC00000CC: ("share_missing", "share {share} does not exist on {server} (STATUS_BAD_NETWORK_NAME)"),
    0xC0000022: ("access_denied", "access denied to {unc} for {user} (STATUS_ACCESS_DENIED)"),
    0xC000006D: ("wrong_password", "SMB logon refused for {user}: wrong password or unknown account (STATUS_LOGON_FAILURE)"),
    0xC0000072: ("disabled", "SMB logon refused: account {user} is disabled (STATUS_ACCOUNT_DISABLED)"),
    0xC0000234: ("locked", "SMB logon refused: account {user} is locked out (STATUS_ACCOUNT_LOCKED_OUT)"),
    0xC0000071: ("password_expired", "SMB logon refused: the password of {user} has expired (STATUS_PASSWORD_EXPIRED)"),
    0xC0000224: ("must_change_password", "SMB logon refused: {user} must change the password (STATUS_PASSWORD_MUST_CHANGE)"),
    0xC0000034: ("path_missing", "folder {unc} does not exist (STATUS_OBJECT_NAME_NOT_FOUND)"),
    0xC000003A: ("path_missing", "folder {unc} does not exist (STATUS_OBJECT_PATH_NOT_FOUND)"),
    0xC0000133: ("skew", "SMB logon refused: clock skew too great (STATUS_TIME_DIFFERENCE_AT_DC)"),
}
# Samba answers an NTLM logon with a wrong password inside SPNEGO with STATUS_NOT_FOUND
# (0xC0000225) to smbprotocol (recorded against tests/domain's DC); during the logon
# phase it can only mean the logon was refused.
_LOGIN_PHASE_STATUS = {0xC0000225: ("wrong_password", "SMB logon refused for {user}: wrong password or unknown account")}


def parse_share(raw: ShareRaw, user: str) -> Outcome:
    server, share, _ = split_unc(raw.unc)
    fmt = {"unc": raw.unc, "server": server, "share": share, "user": user}
    if raw.error_type is None and raw.phase == "done":
        return Outcome("ok", f"{raw.unc} opened and listed ({raw.entries} entries)")
    if raw.status is not None:
        table = {**NTSTATUS, **(_LOGIN_PHASE_STATUS if raw.phase == "login" else {})}
        if raw.status in table:
            kind, text = table[raw.status]
            return Outcome(kind, text.format(**fmt))
        return Outcome("failed", f"{raw.unc}: {raw.phase} failed with NTSTATUS 0x{raw.status:08X}")
    if raw.error_type in ("TimeoutError", "SMBConnectionClosed") or "timeout" in raw.message.lower():
        return Outcome("timeout", f"{raw.unc}: no answer from {server} during {raw.phase}")
    if raw.error_type in ("ConnectionRefusedError", "gaierror", "OSError", "ValueError") and raw.phase == "connect":
        return Outcome("unreachable", f"{raw.unc}: cannot connect to {server}: {raw.message[:160]}")
    if raw.phase == "login":
        return Outcome("login_failed", f"{raw.unc}: SMB logon failed for {user}: {raw.message[:160]}")
    return Outcome("failed", f"{raw.unc}: {raw.phase} failed: {raw.error_type}: {raw.message[:160]}")
