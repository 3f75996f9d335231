"""Windows domain membership: the computer's domain, its role, the secure channel and the DC.

Data sources (thin, parsed elsewhere in this module):

- PowerShell: ``Win32_ComputerSystem`` (Domain, PartOfDomain, DomainRole) and
  ``Test-ComputerSecureChannel`` as one JSON object (script below).
- ``nltest /sc_query:<domain>``: the secure channel as Netlogon sees it, with the DC it
  talks to ("Trusted DC Name"). On a domain controller Test-ComputerSecureChannel reports
  false errors (a DC has no secure channel to itself), so there nltest's answer counts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from collectors.base import CollectorIO, FetchError, ParseError
from collectors.domain.model import MembershipStatus

# Prints one JSON object; a failing Test-ComputerSecureChannel (not joined, no DC) is caught
# so the error text is kept instead of a non-zero exit with half an answer.
SCRIPT = r"""
$ErrorActionPreference = 'Stop'
$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$sc = $null; $scError = $null
if ($cs.PartOfDomain) {
  try { $sc = Test-ComputerSecureChannel } catch { $scError = $_.Exception.Message }
}
[pscustomobject]@{
  Domain = $cs.Domain; PartOfDomain = $cs.PartOfDomain; DomainRole = $cs.DomainRole
  SecureChannel = $sc; SecureChannelError = $scError
} | ConvertTo-Json -Compress
"""

# Win32_ComputerSystem.DomainRole
# (https://learn.microsoft.com/en-us/windows/win32/cimwin32prov/win32-computersystem)
DOMAIN_ROLES = {0: "standalone workstation", 1: "member workstation", 2: "standalone server",
                3: "member server", 4: "backup domain controller", 5: "primary domain controller"}
DC_ROLES = frozenset({4, 5})


@dataclass(frozen=True, slots=True)
class WindowsDomainRaw:
    computer_json: str  # the SCRIPT's output
    nltest: str | None  # `nltest /sc_query:<domain>` output; None when not joined or not run
    nltest_rc: int | None = None


def fetch(io: CollectorIO, params: Any) -> WindowsDomainRaw:
    try:
        out = io.run(["powershell.exe", "-NoProfile", "-NonInteractive", "-Command", SCRIPT], timeout=60)
    except FileNotFoundError:
        raise FetchError("powershell.exe not found") from None
    if out.returncode != 0:
        raise FetchError(f"PowerShell failed (exit {out.returncode}): {out.stderr.decode('utf-8', 'replace').strip()[:200]}")
    text = out.stdout.decode("utf-8-sig", "replace")
    try:
        info = json.loads(text)
    except json.JSONDecodeError:
        return WindowsDomainRaw(text, None)  # parse reports the broken reply
    if not info.get("PartOfDomain"):
        return WindowsDomainRaw(text, None)
    try:
        nl = io.run(["nltest", f"/sc_query:{info.get('Domain', '')}"], timeout=30)
    except (FileNotFoundError, TimeoutError):
        return WindowsDomainRaw(text, None)
    return WindowsDomainRaw(text, nl.stdout.decode("utf-8", "replace"), nl.returncode)


@dataclass(frozen=True, slots=True)
class NltestChannel:
    status_code: int
    status_name: str
    dc: str | None


# nltest /sc_query:domain.example (recorded in tests/domain/fixtures/windows/*):
#   Flags: 30 HAS_IP  HAS_TIMESERV
#   Trusted DC Name \\dc10.domain.example
#   Trusted DC Connection Status Status = 0 0x0 NERR_Success
#   The command completed successfully
_TRUSTED_DC = re.compile(r"^\s*Trusted DC Name\s+\\\\(?P<dc>\S+)", re.M)
_DC_STATUS = re.compile(r"^\s*Trusted DC Connection Status Status = (?P<code>\d+) 0x[0-9a-f]+ (?P<name>\S+)", re.M | re.I)
# Errors before any channel line: "I_NetLogonControl failed: Status = 1722 0x6ba RPC_S_SERVER_UNAVAILABLE"
_FAILED = re.compile(r"failed: Status = (?P<code>\d+) 0x[0-9a-f]+ (?P<name>\S+)", re.I)


def parse_nltest(text: str) -> NltestChannel:
    dc_match = _TRUSTED_DC.search(text)
    status = _DC_STATUS.search(text) or _FAILED.search(text)
    if status is None:
        raise ParseError("nltest /sc_query printed no connection status: " + " ".join(text.split())[:160])
    return NltestChannel(int(status["code"]), status["name"], dc_match["dc"] if dc_match else None)


def parse(raw: WindowsDomainRaw) -> list[MembershipStatus]:
    try:
        info = json.loads(raw.computer_json)
    except json.JSONDecodeError:
        raise ParseError("Win32_ComputerSystem / Test-ComputerSecureChannel did not print JSON: "
                         + " ".join(raw.computer_json.split())[:160]) from None
    if not isinstance(info, dict):
        raise ParseError(f"expected one JSON object from PowerShell, got {type(info).__name__}")
    domain = str(info.get("Domain") or "")
    if not info.get("PartOfDomain"):
        return [MembershipStatus("secure_channel", domain, False,
                                 f"this computer is not joined to a domain (workgroup {domain or '?'})")]
    role = info.get("DomainRole")
    role_name = DOMAIN_ROLES.get(role, f"role {role}")
    channel = parse_nltest(raw.nltest) if raw.nltest else None
    via = f" via {channel.dc}" if channel and channel.dc else ""
    if role in DC_ROLES:
        # Test-ComputerSecureChannel is not meaningful here: nltest decides.
        if channel is None:
            return [MembershipStatus("secure_channel", domain, None,
                                     f"{role_name} of {domain}: nltest /sc_query gave no answer")]
        ok = channel.status_code == 0
        return [MembershipStatus("secure_channel", domain, ok,
                                 f"{role_name} of {domain}: Netlogon secure channel{via} "
                                 f"{'healthy' if ok else 'broken'} ({channel.status_name})")]
    if info.get("SecureChannel") is True:
        return [MembershipStatus("secure_channel", domain, True,
                                 f"{role_name} of {domain}: secure channel healthy{via}")]
    reason = info.get("SecureChannelError") or (channel.status_name if channel and channel.status_code else "")
    return [MembershipStatus("secure_channel", domain, False,
                             f"{role_name} of {domain}: the secure channel is broken{via}"
                             f"{': ' + str(reason)[:200] if reason else ''}; "
                             "domain logons on this computer fail (repair: Test-ComputerSecureChannel -Repair)")]
