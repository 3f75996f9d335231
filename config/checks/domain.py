"""Settings of the domain family: Domain trust, domain login and shares (item 6).

Nothing is checked by default: set ``membership: true`` to check this computer's own
domain membership (Windows secure channel, Linux realmd/sssd/winbind), and ``realm``,
``dc`` and ``account`` to test a real login (Kerberos, LDAP) and the ``shares``.
The account's password is a secret reference (env:/file:), never text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.checks.base import CheckParams, Strict, WarnCrit
from config.secrets import Secret

_UNC = re.compile(r"^(?:\\\\|//)(?P<server>[^\\/]+)[\\/](?P<share>[^\\/]+)(?P<path>(?:[\\/][^\\/]+)*)[\\/]?$")


def split_unc(path: str) -> tuple[str, str, str]:
    """``\\\\server\\share\\sub\\dir`` (or ``//server/share/sub``) -> (server, share, sub\\dir)."""
    match = _UNC.match(path.strip())
    if not match:
        raise ValueError(f"{path!r} is not a share path such as \\\\server\\share or //server/share")
    return match["server"], match["share"], match["path"].strip("\\/").replace("/", "\\")


class DomainAccount(Strict):
    """A read-only service account used only to log in and read."""

    username: Annotated[str, Field(min_length=1, description="sAMAccountName, without the realm (e.g. svc-patrol)")]
    password: Annotated[Secret, Field(description="secret reference: env:NAME or file:/path")]

    @field_validator("username")
    @classmethod
    def _bare(cls, value: str) -> str:
        if "@" in value or "\\" in value:
            raise ValueError("give the bare account name (svc-patrol); the realm comes from 'realm'")
        return value


class LdapSettings(Strict):
    security: Annotated[Literal["starttls", "ldaps", "plain"], Field(
        description="starttls on 389, ldaps on 636, or plain (the simple bind's password crosses the network "
                    "in clear text: only for a lab or a loopback DC)")] = "starttls"
    port: Annotated[int | None, Field(gt=0, lt=65536, description="default 389, or 636 for ldaps")] = None
    verify_tls: Annotated[bool, Field(description="check the DC's certificate and name")] = True
    ca_file: Annotated[Path | None, Field(description="PEM file of the CAs to trust (e.g. the domain's root CA)")] = None
    base_dn: Annotated[str | None, Field(description="where to search the account; default the realm as DC=...,DC=...")] = None

    def port_or_default(self) -> int:
        return self.port if self.port is not None else (636 if self.security == "ldaps" else 389)


class DomainParams(CheckParams):
    """Settings under ``checks.domain``."""

    membership: Annotated[bool, Field(
        description="check this computer's membership: Windows secure channel (nltest on domain controllers), "
                    "Linux realmd/sssd/winbind where present")] = False
    realm: Annotated[str | None, Field(description="Kerberos realm / AD DNS domain in upper case, e.g. CORP.EXAMPLE.COM")] = None
    dc: Annotated[str | None, Field(description="the domain controller to test: KDC, LDAP server and time source")] = None
    other_dcs: Annotated[tuple[str, ...], Field(
        description="the domain's other controllers: Kerberos and LDAP are tested against each as against 'dc' "
                    "(in parallel); some failing is WARN (redundancy lost), all failing CRIT")] = ()
    discover_dcs: Annotated[bool, Field(
        description="after the LDAP login, read the domain's controllers from the directory (computer accounts "
                    "with SERVER_TRUST_ACCOUNT) and test each like other_dcs")] = False
    kdc_port: Annotated[int, Field(gt=0, lt=65536)] = 88
    account: Annotated[DomainAccount | None, Field(description="service account for the login tests; unset = no login tests")] = None
    kerberos: Annotated[Literal["auto", "required", "off"], Field(
        description="get a Kerberos ticket (TGT) for the account with kinit: auto (when kinit is installed; "
                    "Windows rarely has it), required (UNKNOWN when kinit is missing) or off")] = "auto"
    kinit: Annotated[str, Field(description="the kinit program (MIT krb5: Debian krb5-user)")] = "kinit"
    ldap: LdapSettings = LdapSettings()
    shares: Annotated[tuple[str, ...], Field(description="shares to open and list, as \\\\server\\share[\\folder]")] = ()
    smb_port: Annotated[int, Field(gt=0, lt=65536)] = 445
    smb_auth: Annotated[Literal["negotiate", "ntlm", "kerberos"], Field(
        description="SMB login: negotiate (Kerberos when available, else NTLM), ntlm or kerberos")] = "negotiate"
    clock_skew_s: Annotated[WarnCrit, Field(
        description="seconds between this computer's clock and the DC's; Kerberos refuses logins beyond 300")] = \
        WarnCrit(warn=60, crit=300)
    password_expiry_days: Annotated[WarnCrit, Field(
        description="days until the service account's password expires (lower is worse)")] = WarnCrit(warn=14, crit=3)
    connect_timeout_s: Annotated[float, Field(gt=0, description="per connection and per reply")] = 10
    timeout_s: Annotated[float, Field(gt=0, description="the whole check may take this long "
                                                        "(kinit, LDAP and each share wait up to 2 x connect_timeout_s)")] = 120

    @field_validator("realm")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @field_validator("shares")
    @classmethod
    def _uncs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for path in value:
            split_unc(path)
        return value

    @model_validator(mode="after")
    def _complete(self) -> "DomainParams":
        if self.account is not None and (not self.realm or not self.dc):
            raise ValueError("domain: the login tests need 'realm' and 'dc' besides 'account'")
        if self.other_dcs and self.account is None:
            raise ValueError("domain: testing 'other_dcs' needs 'account'")
        if self.shares and self.account is None:
            raise ValueError("domain: opening 'shares' needs 'account'")
        return self

    @property
    def configured(self) -> bool:
        return self.membership or self.account is not None

    def base_dn(self) -> str:
        if self.ldap.base_dn:
            return self.ldap.base_dn
        return ",".join(f"DC={part}" for part in (self.realm or "").lower().split("."))
