"""The domain family's data: what fetch records (``*Raw``) and what parse makes of it (frozen)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class MembershipStatus:
    """One aspect of this computer's membership, as a platform source reports it.

    ``healthy`` is True/False, or None when the source could not tell (UNKNOWN).
    ``degraded`` marks a healthy aspect that lost redundancy (some domain controllers fail
    while others answer): WARN rather than OK.
    ``aspect`` becomes the check name: domain.<aspect> (secure_channel, realm, sssd, winbind).
    """

    aspect: str
    item: str
    healthy: bool | None
    summary: str
    degraded: bool = False


@dataclass(frozen=True, slots=True)
class KinitRaw:
    """What ``kinit`` printed (stdout and stderr, scrubbed), or why it did not run."""

    returncode: int | None
    output: str
    error: str | None = None  # "not_installed" | "timeout"
    timeout_s: float = 0.0


@dataclass(frozen=True, slots=True)
class LdapRaw:
    """How far the LDAP exchange got: ``phase`` is connect, tls, rootdse, bind, search or done."""

    server: str
    phase: str
    error_type: str | None = None
    result_code: int | None = None
    message: str = ""
    current_time: str | None = None  # rootDSE currentTime, GeneralizedTime: "20261122035449.0Z"
    local_before: datetime | None = None  # our clock just before and after the rootDSE read
    local_after: datetime | None = None
    account: Mapping[str, tuple[str, ...]] | None = None  # the account entry's attributes as text
    controllers: tuple[str, ...] | None = None  # the domain's DCs from the directory (discover_dcs)
    server_host: str | None = None  # this DC's own name (rootDSE dnsHostName)


@dataclass(frozen=True, slots=True)
class ShareRaw:
    unc: str
    phase: str  # connect, login, tree, open, list, done
    error_type: str | None = None
    status: int | None = None  # NTSTATUS from the server
    message: str = ""
    entries: int | None = None


@dataclass(frozen=True, slots=True)
class DcLoginRaw:
    """The login steps against one of ``other_dcs``."""

    dc: str
    kerberos: KinitRaw | None
    ldap: LdapRaw | None


@dataclass(frozen=True, slots=True)
class DomainRaw:
    realm: str | None
    dc: str | None
    username: str | None
    membership_platform: str | None = None  # which platform module fetched membership_raw
    membership_raw: Any = None
    membership_error: str | None = None  # why the membership source could not be read
    kerberos: KinitRaw | None = None
    ldap: LdapRaw | None = None
    shares: tuple[ShareRaw, ...] = ()
    other_dcs: tuple[DcLoginRaw, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """One classified step: ``kind`` ok or a failure kind; ``message`` for the engineer."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class AccountInfo:
    disabled: bool
    locked: bool
    password_expired: bool
    password_expires_at: datetime | None  # None: never expires (or not readable)


@dataclass(frozen=True, slots=True)
class DomainModel:
    realm: str | None
    dc: str | None
    username: str | None
    membership: tuple[MembershipStatus, ...] | None
    kerberos: Outcome | None
    ldap: Outcome | None
    account: AccountInfo | None
    skew_s: float | None  # DC clock minus ours; positive: the DC is ahead
    shares: tuple[tuple[str, Outcome], ...] = field(default=())
    # (dc, kerberos, ldap) for each of other_dcs; None where the step did not run
    other_dcs: tuple[tuple[str, Outcome | None, Outcome | None], ...] = field(default=())
