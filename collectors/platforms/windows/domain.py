"""Windows domain membership: the computer's domain, its role, the secure channel and the DCs.

Data sources (thin; everything that decides is parsed from language-neutral parts):

- PowerShell: ``Win32_ComputerSystem`` (Domain, PartOfDomain, DomainRole), whether the
  agent runs elevated (``WindowsPrincipal.IsInRole``), ``Test-ComputerSecureChannel`` (a
  Boolean, or an error whose FullyQualifiedErrorId is fixed text) and the domain's
  controllers from DNS (``_ldap._tcp.dc._msdcs.<domain>`` SRV records), as one JSON object.
- ``nltest /sc_query:<domain>``: the secure channel as Netlogon sees it. Its labels are
  translated ("受信任的 DC 连接状态" on zh-CN), but the status is printed by a fixed format,
  ``Status = <decimal> 0x<hex> <SYMBOL>`` (e.g. ``Status = 0 0x0 NERR_Success``), and the DC
  as ``\\\\name``: only those parts are read, so every Windows language parses the same.
- On a domain controller, ``nltest /server:<dc> /sc_query:<domain>`` for every DC of the
  domain: each controller's own channel. Test-ComputerSecureChannel reports false errors on
  a DC (it has no channel to itself), so there the DCs' answers decide: all healthy OK,
  some failing WARN (redundancy lost), none answering CRIT.

``Test-ComputerSecureChannel -Server`` is not used per DC: it only resolves the name and
then queries the current channel (TestComputerSecureChannelCommand, NETLOGON_CONTROL_TC_QUERY),
so it cannot tell one DC from another.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from collectors.base import CollectorIO, FetchError, ParseError
from collectors.domain.model import MembershipStatus
from collectors.platforms.windows.console import console_codepage, decode_console
from collectors.platforms.windows.powershell import run_powershell

# Prints one JSON object; a failing Test-ComputerSecureChannel (not elevated, no DC) is
# caught so its error id is kept instead of a non-zero exit with half an answer.
SCRIPT = r"""
$ErrorActionPreference = 'Stop'
$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$me = [Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()
$elevated = $me.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$sc = $null; $scError = $null; $scErrorId = $null; $dcs = @(); $dcsError = $null
if ($cs.PartOfDomain) {
  try { $sc = Test-ComputerSecureChannel } catch { $scError = $_.Exception.Message; $scErrorId = $_.FullyQualifiedErrorId }
  try {
    $dcs = @(Resolve-DnsName -Type SRV -DnsOnly -Name ('_ldap._tcp.dc._msdcs.' + $cs.Domain) |
             Where-Object { $_.NameTarget } | ForEach-Object { $_.NameTarget } | Sort-Object -Unique)
  } catch { $dcsError = $_.Exception.Message }
}
[pscustomobject]@{
  Domain = $cs.Domain; PartOfDomain = $cs.PartOfDomain; DomainRole = $cs.DomainRole; Elevated = $elevated
  SecureChannel = $sc; SecureChannelError = $scError; SecureChannelErrorId = $scErrorId
  DomainControllers = $dcs; DomainControllersError = $dcsError
} | ConvertTo-Json -Compress
"""

# Win32_ComputerSystem.DomainRole
# (https://learn.microsoft.com/en-us/windows/win32/cimwin32prov/win32-computersystem)
DOMAIN_ROLES = {0: "standalone workstation", 1: "member workstation", 2: "standalone server",
                3: "member server", 4: "backup domain controller", 5: "primary domain controller"}
DC_ROLES = frozenset({4, 5})
# A domain with more controllers than this is queried on the first ones only (sorted by
# name): each query may wait for an unreachable DC.
MAX_DCS = 16
ELEVATION_HINT = "run the agent as SYSTEM or an administrator"


@dataclass(frozen=True, slots=True)
class DcChannelRaw:
    dc: str
    output: str | None  # `nltest /server:<dc> /sc_query:<domain>`; None when it did not run
    returncode: int | None = None


@dataclass(frozen=True, slots=True)
class WindowsDomainRaw:
    computer_json: str  # the SCRIPT's output
    nltest: str | None  # `nltest /sc_query:<domain>` output; None when not joined or not run
    nltest_rc: int | None = None
    dc_channels: tuple[DcChannelRaw, ...] = ()  # on a DC only: every DC's own channel


def _nltest(io: CollectorIO, argv: list[str], codepage: int | None) -> tuple[str | None, int | None]:
    try:
        out = io.run(argv, timeout=30)
    except (FileNotFoundError, TimeoutError):
        return None, None
    # nltest prints in the console's OEM code page (936 on zh-CN); the parser reads only its
    # ASCII parts, which decode_console never loses, and the rest is shown in messages.
    return decode_console(out.stdout, codepage), out.returncode


def fetch(io: CollectorIO, params: Any) -> WindowsDomainRaw:
    # Through the shared PowerShell wrapper: its preamble makes the JSON UTF-8 (a translated
    # Test-ComputerSecureChannel error message on zh-CN would otherwise come in code page 936).
    out = run_powershell(io, SCRIPT, timeout=60, what="domain membership")
    if out.returncode != 0:
        raise FetchError(f"PowerShell failed (exit {out.returncode}): {out.stderr.decode('utf-8', 'replace').strip()[:200]}")
    text = out.stdout.decode("utf-8-sig", "replace")
    try:
        info = json.loads(text)
    except json.JSONDecodeError:
        return WindowsDomainRaw(text, None)  # parse reports the broken reply
    if not isinstance(info, dict) or not info.get("PartOfDomain"):
        return WindowsDomainRaw(text, None)
    domain = str(info.get("Domain") or "")
    codepage = console_codepage(io)
    local, rc = _nltest(io, ["nltest", f"/sc_query:{domain}"], codepage)
    channels: tuple[DcChannelRaw, ...] = ()
    if info.get("DomainRole") in DC_ROLES:
        dcs = _controllers(info)[:MAX_DCS]
        # In parallel: a DC that does not answer holds its query for the RPC timeout.
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="patrol-nltest") as pool:
            answers = list(pool.map(lambda dc: _nltest(io, ["nltest", f"/server:{dc}", f"/sc_query:{domain}"], codepage),
                                    dcs))
        channels = tuple(DcChannelRaw(dc, out_, rc_) for dc, (out_, rc_) in zip(dcs, answers))
    return WindowsDomainRaw(text, local, rc, channels)


def _controllers(info: dict[str, Any]) -> list[str]:
    names = info.get("DomainControllers") or []
    if isinstance(names, str):  # ConvertTo-Json writes a one-element array as its element
        names = [names]
    return sorted({str(n).rstrip(".").lower() for n in names if isinstance(n, str) and n.strip()})


@dataclass(frozen=True, slots=True)
class NltestChannel:
    status_code: int
    status_name: str
    dc: str | None
    call_failed: bool = False  # the query itself failed ("I_NetLogonControl failed: ..."), no channel report

    @property
    def refused(self) -> bool:
        """The caller was refused (not elevated); says nothing about the channel."""
        return self.call_failed and self.status_code == ERROR_ACCESS_DENIED


# nltest /sc_query:domain.example, English (tests/domain/fixtures/windows/*):
#   Flags: 30 HAS_IP  HAS_TIMESERV
#   Trusted DC Name \\dc10.domain.example
#   Trusted DC Connection Status Status = 0 0x0 NERR_Success
#   The command completed successfully
# the same on zh-CN (labels translated, no space before "Status"):
#   受信任的 DC 名称 \\homsom-dc01.hs.com
#   受信任的 DC 连接状态Status = 0 0x0 NERR_Success
# a call that failed before any channel line (the function name stays, "failed" is
# translated: "Errore di I_NetLogonControl: Status = 5 0x5 ERROR_ACCESS_DENIED" on it-IT):
#   I_NetLogonControl failed: Status = 1722 0x6ba RPC_S_SERVER_UNAVAILABLE
# ERROR_ACCESS_DENIED there means the caller is not elevated; as the channel's status
# ("Trusted DC Connection Status Status = 5 0x5 ERROR_ACCESS_DENIED") it means the DC refused
# this computer's password: a broken channel.
# /sc_verify adds a second status (trust verification); the first non-zero one decides.
_STATUS = re.compile(r"Status = (?P<code>\d+) 0x(?P<hex>[0-9a-f]+) (?P<name>[A-Za-z][A-Za-z0-9_]*)", re.I)
_DC_NAME = re.compile(r"\\\\(?P<dc>[A-Za-z0-9][A-Za-z0-9._-]*)")

# Win32 / NET_API status codes nltest reports, and what an engineer should read
# (https://learn.microsoft.com/en-us/windows/win32/debug/system-error-codes--1700-3999-).
ERROR_ACCESS_DENIED = 5
STATUS_MEANINGS: dict[int, str] = {
    5: "the domain controller refused this computer's password (ERROR_ACCESS_DENIED)",
    1311: "no domain controller answered (ERROR_NO_LOGON_SERVERS)",
    1355: "the domain was not found (ERROR_NO_SUCH_DOMAIN)",
    1722: "Netlogon did not answer over RPC (RPC_S_SERVER_UNAVAILABLE)",
    1786: "the machine password is missing on this computer (ERROR_NO_TRUST_LSA_SECRET)",
    1787: "the domain has no computer account for this computer (ERROR_NO_TRUST_SAM_ACCOUNT): rejoin it",
    1788: "the trust with the domain failed (ERROR_TRUSTED_DOMAIN_FAILURE)",
    1789: "the machine password does not match the domain's (ERROR_TRUSTED_RELATIONSHIP_FAILURE)",
}


def parse_nltest(text: str) -> NltestChannel:
    statuses = list(_STATUS.finditer(text))
    if not statuses:
        raise ParseError("nltest /sc_query printed no connection status: " + " ".join(text.split())[:160])
    failing = [m for m in statuses if int(m["code"]) != 0]
    status = failing[0] if failing else statuses[0]
    dc = _DC_NAME.search(text)
    line_start = text.rfind("\n", 0, status.start()) + 1
    call_failed = "I_NetLogonControl" in text[line_start:status.start()]
    return NltestChannel(int(status["code"]), status["name"], dc["dc"] if dc else None, call_failed)


def _meaning(channel: NltestChannel) -> str:
    return STATUS_MEANINGS.get(channel.status_code, channel.status_name)


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
    if role in DC_ROLES:
        return [_dc_status(raw, info, domain, f"{role_name} of {domain}", channel)]
    return [_member_status(info, domain, f"{role_name} of {domain}", channel)]


def _member_status(info: dict[str, Any], domain: str, who: str, channel: NltestChannel | None) -> MembershipStatus:
    via = f" via {channel.dc}" if channel and channel.dc else ""
    if info.get("SecureChannel") is True:
        return MembershipStatus("secure_channel", domain, True, f"{who}: secure channel healthy{via}")
    # Test-ComputerSecureChannel keeps no error code (its message is translated), so a
    # refused call is recognised from the fixed error id with elevation, or nltest's code.
    denied = (channel is not None and channel.refused) or (
        info.get("SecureChannel") is None and info.get("Elevated") is False)
    if denied:
        return MembershipStatus("secure_channel", domain, None,
                                f"{who}: the secure channel could not be tested: access denied ({ELEVATION_HINT})")
    reason = info.get("SecureChannelError") or (_meaning(channel) if channel and channel.status_code else "")
    return MembershipStatus("secure_channel", domain, False,
                            f"{who}: the secure channel is broken{via}"
                            f"{': ' + str(reason)[:200] if reason else ''}; "
                            "domain logons on this computer fail (repair: Test-ComputerSecureChannel -Repair)")


def _dc_status(raw: WindowsDomainRaw, info: dict[str, Any], domain: str, who: str,
               channel: NltestChannel | None) -> MembershipStatus:
    answers: list[tuple[str, NltestChannel | None]] = []
    for item in raw.dc_channels:
        try:
            answers.append((item.dc, parse_nltest(item.output) if item.output else None))
        except ParseError:
            answers.append((item.dc, None))
    if not answers:  # no DC list from DNS: this DC's own channel decides
        if channel is None:
            why = f" (DNS gave no DC list: {info['DomainControllersError']})" if info.get("DomainControllersError") else ""
            return MembershipStatus("secure_channel", domain, None, f"{who}: nltest /sc_query gave no answer{why}")
        answers = [(channel.dc or "this DC", channel)]
    if len(answers) == 1 and answers[0][1] is not None and not answers[0][1].refused:
        only = answers[0][1]
        via = f" via {only.dc}" if only.dc else ""
        if only.status_code == 0:
            return MembershipStatus("secure_channel", domain, True,
                                    f"{who}: Netlogon secure channel{via} healthy ({only.status_name})")
        return MembershipStatus("secure_channel", domain, False,
                                f"{who}: Netlogon secure channel{via} broken: {_meaning(only)}")
    healthy = [dc for dc, c in answers if c is not None and c.status_code == 0]
    denied = [dc for dc, c in answers if c is not None and c.refused]
    failed = [(dc, c) for dc, c in answers if c is not None and c.status_code != 0 and not c.refused]
    silent = [dc for dc, c in answers if c is None]
    total = len(answers)
    if failed or (silent and healthy):
        problems = [f"{dc}: {_meaning(c)}" for dc, c in failed] + [f"{dc}: no answer from nltest" for dc in silent]
        if healthy:
            return MembershipStatus("secure_channel", domain, True,
                                    f"{who}: {total - len(healthy)} of {total} domain controllers fail the Netlogon "
                                    f"secure channel (redundancy lost): {'; '.join(problems)}; healthy: "
                                    f"{', '.join(healthy)}", degraded=True)
        return MembershipStatus("secure_channel", domain, False,
                                f"{who}: no domain controller has a healthy Netlogon secure channel: "
                                f"{'; '.join(problems)}")
    if denied or silent:
        return MembershipStatus("secure_channel", domain, None,
                                f"{who}: the secure channel of {', '.join(denied + silent)} could not be queried: "
                                f"access denied or no answer ({ELEVATION_HINT} with rights on every DC)")
    return MembershipStatus("secure_channel", domain, True,
                            f"{who}: Netlogon secure channel healthy on all {total} domain controllers "
                            f"({', '.join(healthy)})")
