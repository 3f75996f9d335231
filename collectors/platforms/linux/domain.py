"""Linux domain membership through realmd, sssd and winbind, where present.

Each tool is optional: a missing program means that part is not used on this computer
(not applicable), never a failure. Sources:

- ``realm list``: the joined realms ("configured: kerberos-member").
- ``sssctl domain-status <domain> --online``: whether sssd reaches the domain.
- ``wbinfo -t``: winbind's check of the machine account's trust secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from collectors.base import CollectorIO, ParseError
from collectors.domain.model import MembershipStatus

TIMEOUT_S = 20


@dataclass(frozen=True, slots=True)
class Tool:
    """One command's answer; ``missing`` when the program is not installed."""

    returncode: int | None
    output: str
    missing: bool = False
    timed_out: bool = False


@dataclass(frozen=True, slots=True)
class LinuxDomainRaw:
    realm_list: Tool
    sssctl: tuple[tuple[str, Tool], ...]  # (domain, `sssctl domain-status DOMAIN --online`)
    wbinfo: Tool


def _run(io: CollectorIO, argv: list[str]) -> Tool:
    try:
        out = io.run(argv, timeout=TIMEOUT_S)
    except FileNotFoundError:
        return Tool(None, "", missing=True)
    except TimeoutError:
        return Tool(None, "", timed_out=True)
    return Tool(out.returncode, (out.stdout + b"\n" + out.stderr).decode("utf-8", "replace").strip())


def fetch(io: CollectorIO, params: Any) -> LinuxDomainRaw:
    realms = _run(io, ["realm", "list"])
    joined = parse_realm_list(realms.output) if realms.returncode == 0 else []
    sssctl = tuple((r.domain, _run(io, ["sssctl", "domain-status", r.domain, "--online"]))
                   for r in joined if r.client == "sssd")
    return LinuxDomainRaw(realms, sssctl, _run(io, ["wbinfo", "-t"]))


@dataclass(frozen=True, slots=True)
class Realm:
    domain: str
    configured: str  # "kerberos-member", "no", ...
    client: str  # "sssd", "winbind"


# `realm list` (realmd; documented in realm(8), sample in tests/domain/fixtures/linux):
#   ad.example.com
#     type: kerberos
#     realm-name: AD.EXAMPLE.COM
#     domain-name: ad.example.com
#     configured: kerberos-member
#     server-software: active-directory
#     client-software: sssd
_KEY_VALUE = re.compile(r"^\s+(?P<key>[a-z-]+): (?P<value>.*)$")


def parse_realm_list(text: str) -> list[Realm]:
    realms: list[Realm] = []
    current: dict[str, str] | None = None
    name = ""
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            if current is not None:
                realms.append(Realm(current.get("domain-name", name), current.get("configured", ""),
                                    current.get("client-software", "")))
            name, current = line.strip(), {}
            continue
        match = _KEY_VALUE.match(line)
        if match and current is not None:
            current[match["key"]] = match["value"].strip()
    if current is not None:
        realms.append(Realm(current.get("domain-name", name), current.get("configured", ""),
                            current.get("client-software", "")))
    return realms


# `sssctl domain-status ad.example.com --online`:  "Online status: Online" / "Online status: Offline"
_ONLINE = re.compile(r"^Online status:\s*(?P<status>\w+)", re.M)


def parse(raw: LinuxDomainRaw) -> list[MembershipStatus]:
    statuses: list[MembershipStatus] = []
    if not raw.realm_list.missing:
        if raw.realm_list.timed_out:
            statuses.append(MembershipStatus("realm", "", None, f"realm list did not answer within {TIMEOUT_S} s"))
        elif raw.realm_list.returncode != 0:
            statuses.append(MembershipStatus("realm", "", None, f"realm list failed: {raw.realm_list.output[:160]}"))
        else:
            joined = [r for r in parse_realm_list(raw.realm_list.output) if r.configured not in ("", "no")]
            if not joined:
                statuses.append(MembershipStatus("realm", "", False, "realmd is installed but this computer has joined no realm"))
            for realm in joined:
                statuses.append(MembershipStatus("realm", realm.domain, True,
                                                 f"joined to {realm.domain} ({realm.configured}, client {realm.client or '?'})"))
    for domain, tool in raw.sssctl:
        statuses.append(_sssd_status(domain, tool))
    winbind_realm = not raw.realm_list.missing and any(
        r.client == "winbind" for r in parse_realm_list(raw.realm_list.output))
    if not raw.wbinfo.missing:
        status = _winbind_status(raw.wbinfo, winbind_realm)
        if status is not None:
            statuses.append(status)
    if not statuses:
        statuses.append(MembershipStatus("membership", "", True,
                                         "no realmd, sssd or winbind in use on this computer: membership not applicable"))
    return statuses


def _sssd_status(domain: str, tool: Tool) -> MembershipStatus:
    if tool.missing:
        return MembershipStatus("sssd", domain, None, "sssctl is not installed (Debian: sssd-tools): sssd not checked")
    match = _ONLINE.search(tool.output)
    if tool.timed_out or match is None:
        return MembershipStatus("sssd", domain, None, f"sssctl domain-status gave no online status: {tool.output[:160]}")
    online = match["status"].lower() == "online"
    return MembershipStatus("sssd", domain, online, f"sssd is {match['status'].lower()} for {domain}"
                            + ("" if online else ": logons use cached credentials only; check DNS, the DC and the clock"))


# `wbinfo -t`:
#   checking the trust secret for domain EX via RPC calls succeeded
#   checking the trust secret for domain EX via RPC calls failed
#   failed to call wbcCheckTrustCredentials: WBC_ERR_AUTH_ERROR
# When winbindd is not running: "failed to call wbcCheckTrustCredentials: WBC_ERR_WINBIND_NOT_AVAILABLE"
_WB_DOMAIN = re.compile(r"trust secret for domain (?P<domain>\S+) via RPC calls (?P<result>succeeded|failed)")


def _winbind_status(tool: Tool, winbind_realm: bool) -> MembershipStatus | None:
    if tool.timed_out:
        return MembershipStatus("winbind", "", None, f"wbinfo -t did not answer within {TIMEOUT_S} s")
    if "WBC_ERR_WINBIND_NOT_AVAILABLE" in tool.output:
        # wbinfo comes with Samba's client tools; without a realm joined through winbind
        # a stopped winbindd is simply not in use here.
        if not winbind_realm:
            return None
        return MembershipStatus("winbind", "", False, "winbindd is not running, but the realm is joined through winbind")
    match = _WB_DOMAIN.search(tool.output)
    if match is None:
        raise ParseError("wbinfo -t printed neither success nor failure: " + " ".join(tool.output.split())[:160])
    ok = match["result"] == "succeeded" and tool.returncode == 0
    return MembershipStatus("winbind", match["domain"], ok,
                            f"winbind trust secret for {match['domain']}: {'ok' if ok else 'check failed'}"
                            + ("" if ok else " (" + " ".join(tool.output.split())[-160:] + ")"))
