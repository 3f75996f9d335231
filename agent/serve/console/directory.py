"""Console sign-in with an Active Directory account (``serve.console.active_directory``).

The LDAP exchange is the domain family's (collectors/domain/ldap.py): a simple bind as
user@REALM on the configured DC (StartTLS, LDAPS or plain), then a search of the account,
here with its ``memberOf``. What the DC answered is classified by the same parser (wrong
password, disabled, locked, expired, ...). The user's direct groups are then mapped to a
console role by the configured list, first match first; a user in none is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# A sAMAccountName: what "alice", "alice@corp.example.com" and "CORP\alice" name.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
_CN = re.compile(r"^CN=((?:[^,\\]|\\.)+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DirectoryAnswer:
    ok: bool
    reason: str  # for the audit log: the domain parser's message, or why no role was given
    account: str  # sAMAccountName as typed, without the realm
    groups: tuple[str, ...] = ()  # the cn of each direct group


@dataclass(frozen=True, slots=True)
class Grant:
    role: str
    site: str | None
    group: str


def account_name(typed: str, realm: str) -> str | None:
    """The bare account name of what the user typed, or None when it names another domain
    or is not an account name at all (then the directory is not asked)."""
    name = typed.strip()
    if "\\" in name:
        domain, _, name = name.partition("\\")
        if domain.upper() not in (realm.split(".")[0], realm):
            return None
    elif "@" in name:
        name, _, domain = name.partition("@")
        if domain.upper() != realm:
            return None
    return name if _NAME.match(name) else None


def group_names(member_of: Iterable[str]) -> tuple[str, ...]:
    """The cn of each group DN ("CN=Patrol Engineers,OU=Groups,DC=ex,DC=test")."""
    out = []
    for dn in member_of:
        match = _CN.match(dn)
        if match:
            out.append(re.sub(r"\\(.)", r"\1", match.group(1)))
    return tuple(out)


def grant(groups: Iterable[str], mapping: Iterable[Any]) -> Grant | None:
    """The first configured group (AdGroupRole) the user is in; names compare case-insensitively, as AD does."""
    have = {g.casefold() for g in groups}
    for entry in mapping:
        if entry.group.casefold() in have:
            return Grant(entry.role, entry.site, entry.group)
    return None


def sign_in(settings: Any, typed: str, password: str, clock: Callable[[], datetime]) -> DirectoryAnswer:
    """Ask the DC (I/O, blocking): ``settings`` is ActiveDirectorySignIn."""
    from collectors.domain.ldap import fetch_ldap, parse_ldap
    from config.checks.domain import DomainParams

    name = account_name(typed, settings.realm)
    if name is None:
        return DirectoryAnswer(False, f"not an account of {settings.realm}", typed.strip()[:64])
    if not password:
        return DirectoryAnswer(False, "empty password (an LDAP bind without one is anonymous)", name)
    # The domain family's settings for one login; the password is handed over directly, the
    # reference is never resolved (DomainParams insists on a secret reference, not a value).
    params = DomainParams.model_validate({"realm": settings.realm, "dc": settings.dc,
                                         "ldap": settings.ldap.model_dump(),
                                         "account": {"username": name, "password": "env:PATROL_CONSOLE_UNUSED"}})
    raw = fetch_ldap(params, password, clock, attributes=("memberOf",))
    outcome = parse_ldap(raw, name)
    if outcome.kind != "ok":
        return DirectoryAnswer(False, outcome.message, name)
    return DirectoryAnswer(True, outcome.message, name, group_names((raw.account or {}).get("memberOf", ())))
